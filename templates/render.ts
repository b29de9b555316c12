/**
 * Rendering a resolved template for one recipient: what the send pipeline calls, once per
 * recipient and channel. No Express, no database: the caller brings the template
 * (templates/store.ts `resolveTemplate`) and the data.
 *
 * The answer is typed: `{ ok: true, content }`, or `{ ok: false, reason, … }` saying why the
 * recipient gets nothing on this channel (and whether that is a skip or a failure). A message
 * with a hole is never an answer.
 */
import type { Template } from 'liquidjs';
import type { ProfileDoc } from '../data/models/profiles';
import {
  CHANNEL_FIELDS, REQUIRED_FIELDS, TEMPLATE_CHANNELS,
  type ChannelContent, type RenderFailure, type RenderResult, type ResolvedTemplate, type TemplateChannel, type TemplateChannels,
} from './channels';
import { explainRenderError, parseSource, renderParsed, type SourceKind } from './liquid';

/** The profile as templates see it: `profile.externalId`, `profile.attributes.city`, … */
export interface TemplateProfile {
  externalId?: string;
  anonymousId?: string;
  email?: string;
  msisdn?: string;
  attributes: Record<string, unknown>;
}

export interface TemplateEvent {
  name?: string;
  occurredAt?: Date | string;
  attributes?: Record<string, unknown>;
}

export interface RenderContext {
  profile: TemplateProfile;
  /** The triggering event (journeys); absent for sends that have none, and then `event.*` is a missing variable. */
  event?: TemplateEvent;
  /** Send-time variables. */
  vars?: Record<string, unknown>;
}

/** A stored profile as templates see it. */
export function profileContext(profile: Pick<ProfileDoc, 'externalId' | 'anonymousIds' | 'email' | 'msisdn' | 'attributes'>): TemplateProfile {
  return {
    ...(profile.externalId ? { externalId: profile.externalId } : {}),
    ...(profile.anonymousIds?.length ? { anonymousId: profile.anonymousIds[0] } : {}),
    ...(profile.email ? { email: profile.email } : {}),
    ...(profile.msisdn ? { msisdn: profile.msisdn } : {}),
    attributes: profile.attributes ?? {},
  };
}

/**
 * The scope Liquid sees. Dates become ISO strings (so they print readably and `| date:` takes
 * them); a null counts as missing, like an absent value, so that it cannot print as nothing.
 */
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined).map(plain);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    // defineProperty: a key named __proto__ (JSON.parse makes one) stays a plain own key, never the object's prototype.
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) Object.defineProperty(out, k, { value: plain(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

function scopeOf(ctx: RenderContext): Record<string, unknown> {
  return plain({ profile: ctx.profile, event: ctx.event, vars: ctx.vars ?? {} }) as Record<string, unknown>;
}

type Parsed = Map<string, Template[]>;
// Parsed once per resolved template (a batch renders one template for hundreds of recipients); dropped with it.
const parsedCache = new WeakMap<TemplateChannels, Parsed>();

function parsedField(channels: TemplateChannels, key: string, source: string, kind: SourceKind): Template[] {
  let parsed = parsedCache.get(channels);
  if (!parsed) parsedCache.set(channels, (parsed = new Map()));
  let tpl = parsed.get(key);
  if (!tpl) parsed.set(key, (tpl = parseSource(source, kind)));
  return tpl;
}

type FieldOutcome = { ok: true; text: string } | RenderFailure;

async function renderField(template: ResolvedTemplate, field: string, source: string, kind: SourceKind, scope: object): Promise<FieldOutcome> {
  try {
    return { ok: true, text: await renderParsed(parsedField(template.channels, field, source, kind), scope, kind) };
  } catch (err) {
    const info = explainRenderError(err);
    if (info.kind === 'missing_variable') {
      return { ok: false, reason: 'template_missing_variable', variable: info.variable, field, ...(info.line ? { line: info.line } : {}), action: template.missingVariable };
    }
    return { ok: false, reason: 'template_render_error', field, message: info.message, ...(info.line ? { line: info.line } : {}), action: 'fail' };
  }
}

const isBlank = (s: string) => s.trim().length === 0;

/** Renders one channel of a template for one recipient. */
export async function renderChannel<C extends TemplateChannel>(template: ResolvedTemplate, channel: C, ctx: RenderContext): Promise<RenderResult<ChannelContent[C]>> {
  const content = template.channels[channel] as Record<string, unknown> | undefined;
  if (!content) return { ok: false, reason: 'template_channel_missing', channel, action: 'fail' };
  const scope = scopeOf(ctx);
  const out: Record<string, unknown> = {};
  const required = REQUIRED_FIELDS[channel] as readonly string[];
  for (const name of CHANNEL_FIELDS[channel] as readonly string[]) {
    const source = content[name];
    if (source === undefined) continue;
    const field = `${channel}.${name}`;
    if (typeof source === 'object' && source !== null) {
      // push.data: each value is a template; an empty value is left out.
      const data: Record<string, string> = {};
      for (const [key, value] of Object.entries(source as Record<string, string>)) {
        const r = await renderField(template, `${field}.${key}`, value, 'text', scope);
        if (!r.ok) return r;
        if (!isBlank(r.text)) data[key] = r.text;
      }
      if (Object.keys(data).length > 0) out[name] = data;
      continue;
    }
    const r = await renderField(template, field, String(source), channel === 'email' && name === 'html' ? 'html' : 'text', scope);
    if (!r.ok) return r;
    let text = r.text;
    // Canonical composition: "ş" as s + combining cedilla would otherwise force UCS-2 and look the same.
    if (channel === 'sms') text = text.normalize('NFC');
    // A subject is one header line, whatever line breaks a variable brought.
    if (channel === 'email' && name === 'subject') text = text.replace(/\s*[\r\n]+\s*/g, ' ');
    if (isBlank(text)) {
      if (required.includes(name)) return { ok: false, reason: 'template_empty_content', field, action: 'skip' };
      continue;
    }
    out[name] = text;
  }
  if (channel === 'email' && out.html === undefined && out.text === undefined) {
    return { ok: false, reason: 'template_empty_content', field: 'email.html', action: 'skip' };
  }
  return { ok: true, content: out as unknown as ChannelContent[C] };
}

export type RenderedChannels = { [C in TemplateChannel]?: ChannelContent[C] };

/**
 * Renders the channels asked for (default: every channel the template has) for one
 * recipient: all of them, or the first failure.
 */
export async function renderTemplate(template: ResolvedTemplate, ctx: RenderContext, channels?: readonly TemplateChannel[]): Promise<RenderResult<RenderedChannels>> {
  const wanted = channels ?? TEMPLATE_CHANNELS.filter((c) => template.channels[c] !== undefined);
  const content: Record<string, unknown> = {};
  for (const channel of wanted) {
    const r = await renderChannel(template, channel, ctx);
    if (!r.ok) return r;
    content[channel] = r.content;
  }
  return { ok: true, content: content as RenderedChannels };
}
