/**
 * Checks a raw rule tree against the app's attribute registry and answers it in checked
 * form (typed values, the attribute's type) or every issue, each with its path
 * (`body.rule.and.1.value`). Walking the tree by hand, rather than one zod union, is what
 * lets each issue name the exact failing node.
 */
import type { z } from 'zod';
import { coerce, type AttributeValue } from '../attributes/coerce';
import { definitionsOf } from '../attributes/registry';
import type { Db } from '../data/db';
import type { AttributeType } from '../domain/attributes';
import type { ConsentStatus, ConsentType } from '../iys/consent';
import type { Platform } from '../data/models/profiles';
import { EVENT_NAME } from '../events/schemas';
import type { FieldIssue } from '../lib/invalidInput';
import {
  attributeLeaf, channelLeaf, consentLeaf, deviceLeaf, eventLeaf, MAX_PATTERN_CONDITIONS, MAX_PATTERN_LENGTH, MAX_RULE_DEPTH, MAX_RULE_LEAVES,
  type AttributeOp, type EventOp,
} from './rules';

export type CheckedRule =
  | { kind: 'and' | 'or'; rules: CheckedRule[] }
  | { kind: 'not'; rule: CheckedRule }
  | { kind: 'attribute'; name: string; type: AttributeType; op: AttributeOp; value?: AttributeValue; values?: AttributeValue[]; days?: number }
  | { kind: 'event'; name: string; op: EventOp; count: number; withinDays?: number }
  | { kind: 'device'; platform?: Platform; pushEnabled?: boolean; uninstalled?: boolean }
  | { kind: 'consent'; type: ConsentType; status: ConsentStatus }
  | { kind: 'channel'; channel: 'email' | 'msisdn' };

/** Which operators each attribute type takes. */
export const OPS_BY_TYPE: Record<AttributeType, readonly AttributeOp[]> = {
  string: ['eq', 'ne', 'in', 'nin', 'contains', 'exists', 'notExists'],
  number: ['eq', 'ne', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'between', 'exists', 'notExists'],
  boolean: ['eq', 'ne', 'exists', 'notExists'],
  date: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'withinLastDays', 'moreThanDaysAgo', 'exists', 'notExists'],
  stringList: ['contains', 'in', 'nin', 'exists', 'notExists'],
};

const NEEDS: Record<AttributeOp, 'value' | 'values' | 'pair' | 'days' | 'nothing'> = {
  eq: 'value', ne: 'value', gt: 'value', gte: 'value', lt: 'value', lte: 'value', contains: 'value',
  in: 'values', nin: 'values', between: 'pair', withinLastDays: 'days', moreThanDaysAgo: 'days', exists: 'nothing', notExists: 'nothing',
};

const LOGICAL = ['and', 'or', 'not'] as const;
const LEAVES = { attribute: attributeLeaf, event: eventLeaf, device: deviceLeaf, consent: consentLeaf, channel: channelLeaf } as const;

type AttributeNode = Extract<CheckedRule, { kind: 'attribute' }>;

interface Walk {
  issues: FieldIssue[];
  /** Attribute leaves wait for their definitions, read in one query after the walk. */
  pending: { node: AttributeNode; leaf: z.infer<typeof attributeLeaf>; path: string }[];
  leaves: number;
}

function zodIssues(error: z.ZodError, path: string): FieldIssue[] {
  return error.issues.map((i) => ({ path: [path, ...i.path.map(String)].join('.'), message: i.message }));
}

/** First pass: the tree's shape. Attribute leaves are typed in the second pass, once their definitions are read. */
function walk(raw: unknown, path: string, depth: number, w: Walk): CheckedRule | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    w.issues.push({ path, message: 'a rule is an object: {and|or: [rules]}, {not: rule}, or a leaf with attribute, event, device, consent or channel' });
    return undefined;
  }
  if (depth > MAX_RULE_DEPTH) {
    w.issues.push({ path, message: `rules nest at most ${MAX_RULE_DEPTH} deep` });
    return undefined;
  }
  const keys = Object.keys(raw);
  const logical = LOGICAL.find((k) => Object.hasOwn(raw, k));
  if (logical) {
    if (keys.length !== 1) {
      w.issues.push({ path, message: `${logical} stands alone in its object` });
      return undefined;
    }
    const inner = (raw as Record<string, unknown>)[logical];
    if (logical === 'not') {
      const rule = walk(inner, `${path}.not`, depth + 1, w);
      return rule && { kind: 'not', rule };
    }
    if (!Array.isArray(inner) || inner.length === 0) {
      w.issues.push({ path: `${path}.${logical}`, message: 'must be a non-empty list of rules' });
      return undefined;
    }
    const rules = inner.map((r, i) => walk(r, `${path}.${logical}.${i}`, depth + 1, w));
    return rules.every(Boolean) ? { kind: logical, rules: rules as CheckedRule[] } : undefined;
  }
  const leafKind = (Object.keys(LEAVES) as (keyof typeof LEAVES)[]).find((k) => Object.hasOwn(raw, k));
  if (!leafKind) {
    w.issues.push({ path, message: 'unknown rule: expected and, or, not, attribute, event, device, consent or channel' });
    return undefined;
  }
  if (++w.leaves > MAX_RULE_LEAVES) {
    w.issues.push({ path, message: `a rule has at most ${MAX_RULE_LEAVES} conditions` });
    return undefined;
  }
  const parsed = LEAVES[leafKind].safeParse(raw);
  if (!parsed.success) {
    w.issues.push(...zodIssues(parsed.error, path));
    return undefined;
  }
  switch (leafKind) {
    case 'event': {
      const leaf = parsed.data as z.infer<typeof eventLeaf>;
      if (!EVENT_NAME.test(leaf.event)) w.issues.push({ path: `${path}.event`, message: 'not a valid event name' });
      if (leaf.op !== 'never' && leaf.count === undefined) w.issues.push({ path: `${path}.count`, message: `required with ${leaf.op}` });
      if (leaf.op === 'never' && leaf.count !== undefined) w.issues.push({ path: `${path}.count`, message: 'never takes no count' });
      return { kind: 'event', name: leaf.event, op: leaf.op, count: leaf.count ?? 0, ...(leaf.withinDays ? { withinDays: leaf.withinDays } : {}) };
    }
    case 'device':
      return { kind: 'device', ...(parsed.data as z.infer<typeof deviceLeaf>).device };
    case 'consent':
      return { kind: 'consent', ...(parsed.data as z.infer<typeof consentLeaf>).consent };
    case 'channel':
      return { kind: 'channel', channel: (parsed.data as z.infer<typeof channelLeaf>).channel };
    case 'attribute': {
      const leaf = parsed.data as z.infer<typeof attributeLeaf>;
      const node: AttributeNode = { kind: 'attribute', name: leaf.attribute, type: 'string', op: leaf.op };
      w.pending.push({ node, leaf, path });
      return node;
    }
  }
}

/** Second pass, per attribute leaf; `patterns` counts the substring conditions met so far. */
function typeAttribute({ node, leaf: raw, path }: Walk['pending'][number], defs: Awaited<ReturnType<typeof definitionsOf>>, issues: FieldIssue[], patterns: { n: number }): void {
  const def = defs.get(raw.attribute);
  if (!def) {
    issues.push({ path: `${path}.attribute`, message: `unknown attribute ${raw.attribute} (define it with POST /v1/attributes)` });
    return;
  }
  node.type = def.type;
  if (!OPS_BY_TYPE[def.type].includes(raw.op)) {
    issues.push({ path: `${path}.op`, message: `${raw.op} does not apply to ${def.type} attributes (use ${OPS_BY_TYPE[def.type].join(', ')})` });
    return;
  }
  // Operands are checked by type and allowed values, not by a definition's bounds: "score > 1000" is a fair question.
  const operandDef = { type: def.type === 'stringList' ? ('string' as const) : def.type, allowed: def.allowed };
  const typed = (v: unknown, at: string): AttributeValue | undefined => {
    const r = coerce(operandDef, v);
    if ('error' in r) issues.push({ path: at, message: `${r.error} (${raw.attribute} is a ${def.type} attribute)` });
    return 'error' in r ? undefined : r.value;
  };
  if (raw.op === 'contains' && def.type === 'string') {
    if (++patterns.n > MAX_PATTERN_CONDITIONS) {
      issues.push({ path, message: `a rule has at most ${MAX_PATTERN_CONDITIONS} contains conditions on string attributes (each reads every profile)` });
      return;
    }
    if (typeof raw.value === 'string' && raw.value.length > MAX_PATTERN_LENGTH) {
      issues.push({ path: `${path}.value`, message: `contains takes at most ${MAX_PATTERN_LENGTH} characters (this one has ${raw.value.length})` });
      return;
    }
  }
  const need = NEEDS[raw.op];
  const extra = (['value', 'values', 'days'] as const).filter((k) => raw[k] !== undefined && k !== (need === 'pair' ? 'values' : need));
  for (const k of extra) issues.push({ path: `${path}.${k}`, message: `${raw.op} takes no ${k}` });
  if (need === 'value') {
    if (raw.value === undefined) issues.push({ path: `${path}.value`, message: `required with ${raw.op}` });
    else node.value = typed(raw.value, `${path}.value`);
  } else if (need === 'values' || need === 'pair') {
    if (!raw.values) issues.push({ path: `${path}.values`, message: `required with ${raw.op}` });
    else if (need === 'pair' && raw.values.length !== 2) issues.push({ path: `${path}.values`, message: 'between takes exactly two values: low and high' });
    else node.values = raw.values.map((v, i) => typed(v, `${path}.values.${i}`)!);
  } else if (need === 'days' && raw.days === undefined) {
    issues.push({ path: `${path}.days`, message: `required with ${raw.op}` });
  } else if (need === 'days') {
    node.days = raw.days;
  }
}

export async function validateRule(db: Db, appId: string, raw: unknown, path: string): Promise<{ rule: CheckedRule } | { issues: FieldIssue[] }> {
  const w: Walk = { issues: [], pending: [], leaves: 0 };
  const rule = walk(raw, path, 1, w);
  if (!rule || w.issues.length > 0) return { issues: w.issues };
  const defs = await definitionsOf(db, appId, [...new Set(w.pending.map((p) => p.leaf.attribute))]);
  const issues: FieldIssue[] = [];
  const patterns = { n: 0 };
  for (const pending of w.pending) typeAttribute(pending, defs, issues, patterns);
  return issues.length > 0 ? { issues } : { rule };
}
