/**
 * The Liquid engine (liquidjs) as templates use it: strict variables (a missing variable is
 * an error, so no message goes out with a hole) except as the first input of `default` and in
 * conditions; strict filters; own properties only; no file system (include, render and layout
 * are refused); bounded work per render. E-mail HTML has its own engine that HTML-escapes
 * every output (`| raw` opts out).
 */
import { Liquid, Tag, type Template, type TagToken, type TopLevelToken } from 'liquidjs';
import type { FieldIssue } from '../lib/invalidInput';
import { EVENT_VARIABLE_FIELDS, PROFILE_VARIABLE_FIELDS, TEMPLATE_VARIABLE_ROOTS } from './channels';

/** Largest template source taken, in characters (the e-mail HTML is the large one). */
export const MAX_TEMPLATE_SOURCE = 512_000;

// Bounds on one render, against a template like {% for i in (1..100000000) %}: renders of tags and outputs, bytes built.
const RENDER_BOUNDS = { templateLimit: 200_000, memoryLimit: 20_000_000, renderLimit: 5_000 };

const FILE_TAGS = ['include', 'render', 'layout'];

class RefusedTag extends Tag {
  constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid) {
    super(token, remain, liquid);
    throw new Error(`tag "${token.name}" is not available in templates (they read no files)`);
  }
  *render(): Generator<unknown, void> {
    // never reached: the constructor refuses the tag when the template is parsed
  }
}

function engine(outputEscape?: 'escape'): Liquid {
  const liquid = new Liquid({
    strictVariables: true,
    strictFilters: true,
    lenientIf: true,
    ownPropertyOnly: true,
    // An in-memory file system with nothing in it: no template can reach the disk.
    templates: {},
    parseLimit: MAX_TEMPLATE_SOURCE,
    timezoneOffset: 0,
    ...(outputEscape ? { outputEscape } : {}),
  });
  for (const name of FILE_TAGS) liquid.registerTag(name, RefusedTag);
  // Case filters take an optional locale, so Turkish text can be cased as Turkish: "istanbul" | upcase: "tr" is İSTANBUL.
  const upper = (s: string, l: unknown) => (typeof l === 'string' && l ? s.toLocaleUpperCase(l) : s.toUpperCase());
  const lower = (s: string, l: unknown) => (typeof l === 'string' && l ? s.toLocaleLowerCase(l) : s.toLowerCase());
  liquid.registerFilter('upcase', (v: unknown, l?: unknown) => upper(String(v ?? ''), l));
  liquid.registerFilter('downcase', (v: unknown, l?: unknown) => lower(String(v ?? ''), l));
  liquid.registerFilter('capitalize', (v: unknown, l?: unknown) => {
    const [first = '', ...rest] = Array.from(String(v ?? ''));
    return upper(first, l) + lower(rest.join(''), l);
  });
  return liquid;
}

const textEngine = engine();
const htmlEngine = engine('escape');

export type SourceKind = 'text' | 'html';

const engineFor = (kind: SourceKind) => (kind === 'html' ? htmlEngine : textEngine);

export function parseSource(source: string, kind: SourceKind): Template[] {
  return engineFor(kind).parse(source);
}

export async function renderParsed(parsed: Template[], scope: object, kind: SourceKind): Promise<string> {
  return String(await engineFor(kind).render(parsed, scope, RENDER_BOUNDS));
}

interface LiquidErrorLike {
  message: string;
  token?: { getPosition?: () => [number, number] };
  originalError?: unknown;
  variableName?: string;
}

/** The line and column liquidjs gives an error, and its message without the ", line:1, col:2" it appends. */
function located(err: LiquidErrorLike): { line?: number; column?: number; message: string } {
  const position = err.token?.getPosition?.();
  const message = err.message.replace(/, line:\d+, col:\d+$/, '');
  return position ? { line: position[0], column: position[1], message } : { message };
}

export type RenderErrorInfo =
  | { kind: 'missing_variable'; variable: string; line?: number }
  | { kind: 'error'; message: string; line?: number };

/** What a failed render means: a variable the data lacks (found through the wrapped errors), or another failure. */
export function explainRenderError(err: unknown): RenderErrorInfo {
  const top = err as LiquidErrorLike;
  for (let e: LiquidErrorLike | undefined = top; e; e = e.originalError as LiquidErrorLike | undefined) {
    if (typeof e.variableName === 'string') return { kind: 'missing_variable', variable: e.variableName, line: located(top).line };
  }
  const { line, message } = located(top);
  return { kind: 'error', message, ...(line ? { line } : {}) };
}

const where = (line?: number, column?: number) => (line ? `line ${line}${column ? `, column ${column}` : ''}: ` : '');

/** A variable's path as a template names it (`profile.attributes.city`), from liquidjs's static analysis. */
function segmentsOf(variable: { segments: unknown[] }): string[] {
  return variable.segments.map((s) => (typeof s === 'string' || typeof s === 'number' ? String(s) : '[…]'));
}

/** Variables a template cannot have: an unknown root (`custmer.name`), or a field `profile`/`event` does not hold (`profile.name`). */
function variableIssue(segments: string[]): string | undefined {
  const [root, field] = segments;
  if (!(TEMPLATE_VARIABLE_ROOTS as readonly string[]).includes(root!)) {
    return `unknown variable ${segments.join('.')}: variables start with ${TEMPLATE_VARIABLE_ROOTS.join(', ')}`;
  }
  if (field === undefined || field === '[…]') return undefined;
  if (root === 'profile' && !(PROFILE_VARIABLE_FIELDS as readonly string[]).includes(field)) {
    return `profile has no field ${field}: it holds ${PROFILE_VARIABLE_FIELDS.join(', ')} (custom attributes are profile.attributes.<name>)`;
  }
  if (root === 'event' && !(EVENT_VARIABLE_FIELDS as readonly string[]).includes(field)) {
    return `event has no field ${field}: it holds ${EVENT_VARIABLE_FIELDS.join(', ')} (its attributes are event.attributes.<name>)`;
  }
  return undefined;
}

/**
 * Checks one field's source as saving it would: syntax, tags and filters that exist, and
 * variables a template can have. Each problem is an issue naming the field and the line.
 */
export function checkSource(source: string, kind: SourceKind, path: string): FieldIssue[] {
  let parsed: Template[];
  try {
    parsed = parseSource(source, kind);
  } catch (err) {
    const { line, column, message } = located(err as LiquidErrorLike);
    return [{ path, message: `${where(line, column)}${message}` }];
  }
  const issues: FieldIssue[] = [];
  const globals = engineFor(kind).analyzeSync(parsed, { partials: false }).globals;
  for (const variables of Object.values(globals)) {
    for (const variable of variables) {
      const problem = variableIssue(segmentsOf(variable));
      if (problem) issues.push({ path, message: `${where(variable.location.row, variable.location.col)}${problem}` });
    }
  }
  return issues;
}
