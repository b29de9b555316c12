/** The pure parts of journey runs: the split's spread and stability, event conditions, send outcomes. */
import { eventMatches, reasonKey, sendOutcomeOf, splitBucket, splitPath } from '../../domain/journeyRuns';

test('a 50/50 split of 1 000 profiles lands within ±5 % of each half, and a profile always gets the same path', () => {
  const ids = Array.from({ length: 1000 }, (_, i) => `demo:prf_${(i * 2654435761 >>> 0).toString(16)}${i}`);
  const paths = ids.map((id) => splitPath([50, 50], splitBucket('welcome', 3, 'ab', id)));
  const a = paths.filter((p) => p === 0).length;
  expect(a).toBeGreaterThanOrEqual(450);
  expect(a).toBeLessThanOrEqual(550);
  expect(ids.map((id) => splitPath([50, 50], splitBucket('welcome', 3, 'ab', id)))).toEqual(paths);
  // Another version or step draws anew.
  expect(ids.map((id) => splitPath([50, 50], splitBucket('welcome', 4, 'ab', id)))).not.toEqual(paths);
});

test('a three-way split follows its percentages', () => {
  const counts = [0, 0, 0];
  for (let i = 0; i < 3000; i++) counts[splitPath([20, 30, 50], splitBucket('j', 1, 's', `demo:prf_${i}`))]!++;
  expect(counts[0]! / 3000).toBeCloseTo(0.2, 1);
  expect(counts[1]! / 3000).toBeCloseTo(0.3, 1);
  expect(counts[2]! / 3000).toBeCloseTo(0.5, 1);
});

test('event conditions compare with values, lists and the run’s values', () => {
  const attrs = { cartId: 'c1', total: 120, tags: ['gift'] };
  const entry = (ref: string) => (ref === 'entry.cartId' ? 'c1' : undefined);
  expect(eventMatches([{ attribute: 'cartId', op: 'eq', valueFrom: 'entry.cartId' }], attrs, entry)).toBe(true);
  expect(eventMatches([{ attribute: 'cartId', op: 'eq', valueFrom: 'entry.cartId' }], { cartId: 'c2' }, entry)).toBe(false);
  // A value the run does not have never equals: a missing entry attribute does not match a missing event one.
  expect(eventMatches([{ attribute: 'orderId', op: 'eq', valueFrom: 'entry.orderId' }], {}, entry)).toBe(false);
  expect(eventMatches([{ attribute: 'total', op: 'gte', value: 100 }, { attribute: 'total', op: 'lt', value: 200 }], attrs)).toBe(true);
  expect(eventMatches([{ attribute: 'total', op: 'gt', value: '100' }], attrs)).toBe(false);
  expect(eventMatches([{ attribute: 'cartId', op: 'in', values: ['c0', 'c1'] }, { attribute: 'cartId', op: 'nin', values: ['c9'] }], attrs)).toBe(true);
  expect(eventMatches([{ attribute: 'tags', op: 'contains', value: 'gift' }, { attribute: 'coupon', op: 'notExists' }], attrs)).toBe(true);
  expect(eventMatches(undefined, attrs)).toBe(true);
});

test('a send’s outcome: opened is clicked, any channel sent is delivered, skipped is gated out; reasons become stats keys', () => {
  expect(sendOutcomeOf('delivered_by_push', true)).toBe('clicked');
  expect(sendOutcomeOf('sms_sent_after_push_timeout', false)).toBe('delivered');
  expect(sendOutcomeOf('skipped', false)).toBe('gatedOut');
  expect(sendOutcomeOf('not_delivered', false)).toBe('failed');
  expect(reasonKey('frequency_cap: 3 a day (any channel)')).toBe('frequency_cap');
  expect(reasonKey('a.b$c')).toBe('a_b_c');
  expect(reasonKey(undefined)).toBe('unknown');
});
