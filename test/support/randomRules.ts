/**
 * Seeded random segment rules and the attribute values they compare, shared by the segment
 * property tests (segmentProperty, segmentStream). The same seed draws the same cases, so a
 * printed ROTA_PROPERTY_SEED replays a run.
 */
import type { Value } from './segmentOracle';

export const DAY = 86_400_000;
export const PLANS = ['free', 'gold', 'şahane'] as const;
export const TAGS = ['öğrenci', 'istanbul', 'kadın', 'vip'] as const;
export const EVENTS = ['purchase', 'view'] as const;
export const PLATFORMS = ['ios', 'android', 'web'] as const;
export const CONSENT_TYPES = ['MESAJ', 'ARAMA', 'EPOSTA'] as const;
export const ATTRS = { plan: 'string', score: 'number', vip: 'boolean', signup: 'date', tags: 'stringList' } as const;
export const OPS = {
  string: ['eq', 'ne', 'in', 'nin', 'contains', 'exists', 'notExists'],
  number: ['eq', 'ne', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'between', 'exists', 'notExists'],
  boolean: ['eq', 'ne', 'exists', 'notExists'],
  date: ['gt', 'gte', 'lt', 'lte', 'between', 'withinLastDays', 'moreThanDaysAgo', 'exists', 'notExists'],
  stringList: ['contains', 'in', 'nin', 'exists', 'notExists'],
} as const;

/** mulberry32: small, seedable, good enough to draw test cases. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const chance = (p: number) => next() < p;
  return { int, pick, chance };
}

export type Prng = ReturnType<typeof prng>;
type LeafKind = 'attribute' | 'event' | 'device' | 'consent' | 'channel';

export interface RuleShape {
  /** Drawn with repeats as weights. */
  leafKinds: readonly LeafKind[];
  /** The chance a node below `minDepth` is a leaf (always one at depth 3). */
  leafChance: number;
  /** Depths above this are always and/or/not. */
  minDepth: number;
  /** Drawn with repeats as weights. */
  branches: readonly ('and' | 'or' | 'not')[];
  children: [number, number];
}

export const wire = (v: Value) => (v instanceof Date ? v.toISOString() : v);

/** The generators over `r`; dates are counted back from `now()`, half a day off any whole-day boundary so that no relative-date answer sits on an edge. */
export function ruleGenerators(r: Prng, now: () => number, shape: RuleShape) {
  const dateDaysAgo = (days: number) => new Date(now() - (days + 0.5) * DAY);

  function randomValue(type: keyof typeof OPS): Value {
    switch (type) {
      case 'string': return r.pick(PLANS);
      case 'number': return r.int(0, 10);
      case 'boolean': return r.chance(0.5);
      case 'date': return dateDaysAgo(r.int(0, 60));
      case 'stringList': return TAGS.filter(() => r.chance(0.4));
    }
  }

  function randomLeaf(): Record<string, unknown> {
    const kind = r.pick(shape.leafKinds);
    if (kind === 'attribute') {
      const name = r.pick(Object.keys(ATTRS) as (keyof typeof ATTRS)[]);
      const type = ATTRS[name];
      const op = r.pick(OPS[type]) as string;
      const scalar = () => (type === 'stringList' ? r.pick(TAGS) : type === 'string' && op === 'contains' ? r.pick(['gold', 'ş', 'e', 'x']) : wire(randomValue(type)));
      if (op === 'exists' || op === 'notExists') return { attribute: name, op };
      if (op === 'withinLastDays' || op === 'moreThanDaysAgo') return { attribute: name, op, days: r.int(1, 60) };
      if (op === 'in' || op === 'nin') return { attribute: name, op, values: Array.from({ length: r.int(1, 3) }, scalar) };
      if (op === 'between') {
        const [a, b] = [randomValue(type), randomValue(type)].sort((x, y) => +x - +y);
        return { attribute: name, op, values: [wire(a!), wire(b!)] };
      }
      return { attribute: name, op, value: scalar() };
    }
    if (kind === 'event') {
      const op = r.pick(['atLeast', 'atMost', 'exactly', 'never'] as const);
      return { event: r.pick(EVENTS), op, ...(op === 'never' ? {} : { count: r.int(0, 4) }), ...(r.chance(0.7) ? { withinDays: r.int(1, 45) } : {}) };
    }
    if (kind === 'device') return { device: { ...(r.chance(0.5) ? { platform: r.pick(PLATFORMS) } : {}), ...(r.chance(0.5) ? { pushEnabled: r.chance(0.5) } : {}) } };
    if (kind === 'consent') return { consent: { type: r.pick(CONSENT_TYPES), ...(r.chance(0.3) ? { status: 'RET' } : {}) } };
    return { channel: r.pick(['email', 'msisdn'] as const) };
  }

  function randomRule(depth = 0): Record<string, unknown> {
    if (depth >= 3 || (depth >= shape.minDepth && r.chance(shape.leafChance))) return randomLeaf();
    const kind = r.pick(shape.branches);
    return kind === 'not' ? { not: randomRule(depth + 1) } : { [kind]: Array.from({ length: r.int(...shape.children) }, () => randomRule(depth + 1)) };
  }

  return { dateDaysAgo, randomValue, randomLeaf, randomRule };
}
