/**
 * The brute-force answer to a segment rule, in plain TypeScript over an in-memory model of
 * the profiles and their (deduplicated) events: what the compiled MongoDB filter must
 * agree with. It shares no code with segments/compileRule.ts on purpose.
 */
const DAY = 86_400_000;

export type Value = string | number | boolean | Date | string[];

export interface ModelProfile {
  id: string;
  attributes: Record<string, Value>;
  email?: string;
  msisdn?: string;
  devices: { platform: string; pushEnabled: boolean }[];
  consents: Record<string, string>;
  /** UTC day numbers of each stored event, by name. */
  events: Record<string, number[]>;
}

type Rule = Record<string, any>;

const same = (a: Value, b: unknown) => (a instanceof Date ? a.getTime() === new Date(b as string).getTime() : a === b);
const num = (v: Value) => (v instanceof Date ? v.getTime() : (v as number));
const operand = (v: unknown, like: Value) => (like instanceof Date ? new Date(v as string).getTime() : (v as number));

function attribute(p: ModelProfile, r: Rule, now: number): boolean {
  const v = p.attributes[r.attribute];
  const has = v !== undefined;
  switch (r.op) {
    case 'exists': return has;
    case 'notExists': return !has;
    case 'eq': return has && same(v, r.value);
    case 'ne': return !(has && same(v, r.value));
    case 'in': return has && (Array.isArray(v) ? v.some((x) => r.values.includes(x)) : r.values.some((x: unknown) => same(v, x)));
    case 'nin': return !(has && (Array.isArray(v) ? v.some((x) => r.values.includes(x)) : r.values.some((x: unknown) => same(v, x))));
    case 'gt': return has && num(v) > operand(r.value, v);
    case 'gte': return has && num(v) >= operand(r.value, v);
    case 'lt': return has && num(v) < operand(r.value, v);
    case 'lte': return has && num(v) <= operand(r.value, v);
    case 'between': return has && num(v) >= operand(r.values[0], v) && num(v) <= operand(r.values[1], v);
    case 'contains': return has && (Array.isArray(v) ? v.includes(r.value) : String(v).includes(r.value));
    case 'withinLastDays': return has && num(v) >= now - r.days * DAY && num(v) <= now;
    case 'moreThanDaysAgo': return has && num(v) < now - r.days * DAY;
  }
  throw new Error(`oracle: unknown op ${r.op}`);
}

function behaviour(p: ModelProfile, r: Rule, now: number): boolean {
  const today = Math.floor(now / DAY);
  const n = (p.events[r.event] ?? []).filter((day) => r.withinDays === undefined || day >= today - r.withinDays + 1).length;
  switch (r.op) {
    case 'atLeast': return n >= r.count;
    case 'atMost': return n <= r.count;
    case 'exactly': return n === r.count;
    case 'never': return n === 0;
  }
  throw new Error(`oracle: unknown op ${r.op}`);
}

export function matches(p: ModelProfile, rule: Rule, now: number): boolean {
  if (rule.and) return rule.and.every((r: Rule) => matches(p, r, now));
  if (rule.or) return rule.or.some((r: Rule) => matches(p, r, now));
  if (rule.not) return !matches(p, rule.not, now);
  if (rule.attribute) return attribute(p, rule, now);
  if (rule.event) return behaviour(p, rule, now);
  if (rule.device) return p.devices.some((d) => (rule.device.platform === undefined || d.platform === rule.device.platform) && (rule.device.pushEnabled === undefined || d.pushEnabled === rule.device.pushEnabled));
  if (rule.consent) return p.consents[rule.consent.type] === (rule.consent.status ?? 'ONAY');
  if (rule.channel) return p[rule.channel as 'email' | 'msisdn'] !== undefined;
  throw new Error(`oracle: unknown rule ${JSON.stringify(rule)}`);
}
