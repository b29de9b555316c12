/**
 * The gate's time maths and cap decisions, pure: local days and wall times in
 * Europe/Istanbul (UTC+3 all year) and in zones with daylight-saving time (Europe/Berlin,
 * America/New_York), quiet-hour windows and their ends, the cap ledger's verdicts, the
 * settings' validation, and the order of the whole gate (with an in-memory ledger).
 */
import { evaluateLedger, encodeRules, firstDayToKeep, type CapEntry, type CapRule } from '../../gate/frequencyCaps';
import { instantsOfWallTime, isValidTimeZone, localDayNumber, profileTimeZone } from '../../gate/localTime';
import { quietHoursAt } from '../../gate/quietHours';
import { gateSend, type SendContext } from '../../gate/sendGate';
import type { CapClaim, CapLedger } from '../../gate/capLedger';
import { DEFAULT_DELIVERY_SETTINGS, deliverySettingsSchema, type DeliverySettings } from '../../gate/settings';

const at = (iso: string) => new Date(iso);
const day = (iso: string, tz: string) => localDayNumber(Date.parse(iso), tz);
const NIGHT = { start: '22:00', end: '09:00' };

describe('local calendar days', () => {
  test('a UTC instant falls on the local date of each zone', () => {
    // 21:30Z on 30 March: 00:30 on the 31st in Istanbul (+3), 22:30 on the 30th in Berlin (+1).
    expect(day('2024-03-30T21:30:00Z', 'Europe/Istanbul')).toBe(day('2024-03-31T12:00:00Z', 'UTC'));
    expect(day('2024-03-30T21:30:00Z', 'Europe/Berlin')).toBe(day('2024-03-30T12:00:00Z', 'UTC'));
    expect(day('2024-03-30T20:59:59Z', 'Europe/Istanbul')).toBe(day('2024-03-30T12:00:00Z', 'UTC'));
  });

  test('a 23-hour and a 25-hour local day are still one day each', () => {
    expect(day('2024-03-31T21:59:00Z', 'Europe/Berlin') - day('2024-03-30T23:01:00Z', 'Europe/Berlin')).toBe(0); // 31 March, 23 h long
    expect(day('2024-10-27T22:59:00Z', 'Europe/Berlin') - day('2024-10-26T22:01:00Z', 'Europe/Berlin')).toBe(0); // 27 October, 25 h long
    expect(day('2024-10-27T23:01:00Z', 'Europe/Berlin') - day('2024-10-26T22:01:00Z', 'Europe/Berlin')).toBe(1);
  });

  test('a wall time that does not exist is the moment the clocks jump; one that exists twice, both', () => {
    const iso = (xs: number[]) => xs.map((x) => new Date(x).toISOString());
    expect(iso(instantsOfWallTime(day('2024-03-31T12:00:00Z', 'Europe/Berlin'), 150, 'Europe/Berlin'))).toEqual(['2024-03-31T01:00:00.000Z']);
    expect(iso(instantsOfWallTime(day('2024-10-27T12:00:00Z', 'Europe/Berlin'), 150, 'Europe/Berlin'))).toEqual(['2024-10-27T00:30:00.000Z', '2024-10-27T01:30:00.000Z']);
    expect(iso(instantsOfWallTime(day('2024-10-27T12:00:00Z', 'Europe/Istanbul'), 9 * 60, 'Europe/Istanbul'))).toEqual(['2024-10-27T06:00:00.000Z']);
  });

  test("the profile's zone: its most recently updated device with a valid zone, else the app's", () => {
    const d = (timeZone: string | undefined, updatedAt: string) => ({ timeZone, updatedAt: new Date(updatedAt) });
    expect(profileTimeZone([d('Europe/Berlin', '2024-01-01'), d('America/New_York', '2024-02-01')], 'Europe/Istanbul')).toEqual({ timeZone: 'America/New_York', source: 'device' });
    expect(profileTimeZone([d('Europe/Berlin', '2024-01-01'), d('Mars/Olympus', '2024-02-01')], 'Europe/Istanbul')).toEqual({ timeZone: 'Europe/Berlin', source: 'device' });
    expect(profileTimeZone([d(undefined, '2024-01-01')], 'Europe/Istanbul')).toEqual({ timeZone: 'Europe/Istanbul', source: 'app' });
    expect(profileTimeZone(undefined, 'Asia/Tokyo')).toEqual({ timeZone: 'Asia/Tokyo', source: 'app' });
    expect(isValidTimeZone('Europe/Istanbul')).toBe(true);
    expect(isValidTimeZone('Europe/Nowhere')).toBe(false);
  });
});

describe('quiet hours', () => {
  const hoursLeft = (iso: string, tz: string, window = NIGHT) => {
    const s = quietHoursAt(at(iso), tz, window);
    return s.inside ? (s.endsAt.getTime() - Date.parse(iso)) / 3600_000 : undefined;
  };

  test('Europe/Istanbul: 23:00 waits until 09:00 the next morning, 10 hours, on any night of the year', () => {
    expect(quietHoursAt(at('2024-03-30T20:00:00Z'), 'Europe/Istanbul', NIGHT)).toEqual({ inside: true, endsAt: at('2024-03-31T06:00:00Z') });
    expect(hoursLeft('2024-10-26T20:00:00Z', 'Europe/Istanbul')).toBe(10);
    expect(hoursLeft('2024-07-01T20:00:00Z', 'Europe/Istanbul')).toBe(10);
  });

  test('the window is local wall time: after midnight it ends the same morning; its ends are exact', () => {
    expect(quietHoursAt(at('2024-03-30T23:30:00Z'), 'Europe/Istanbul', NIGHT)).toEqual({ inside: true, endsAt: at('2024-03-31T06:00:00Z') }); // 02:30
    expect(quietHoursAt(at('2024-03-30T05:59:59Z'), 'Europe/Istanbul', NIGHT)).toEqual({ inside: true, endsAt: at('2024-03-30T06:00:00Z') }); // 08:59:59
    expect(quietHoursAt(at('2024-03-30T06:00:00Z'), 'Europe/Istanbul', NIGHT)).toEqual({ inside: false }); // 09:00
    expect(quietHoursAt(at('2024-03-30T18:59:59Z'), 'Europe/Istanbul', NIGHT)).toEqual({ inside: false }); // 21:59:59
    expect(quietHoursAt(at('2024-03-30T19:00:00Z'), 'Europe/Istanbul', NIGHT).inside).toBe(true); // 22:00
  });

  test('a zone with DST: the night the clocks go forward is 9 hours, the night they go back 11', () => {
    expect(quietHoursAt(at('2024-03-30T22:00:00Z'), 'Europe/Berlin', NIGHT)).toEqual({ inside: true, endsAt: at('2024-03-31T07:00:00Z') }); // 23:00 CET → 09:00 CEST
    expect(quietHoursAt(at('2024-10-26T21:00:00Z'), 'Europe/Berlin', NIGHT)).toEqual({ inside: true, endsAt: at('2024-10-27T08:00:00Z') }); // 23:00 CEST → 09:00 CET
    expect(hoursLeft('2024-03-30T22:00:00Z', 'Europe/Berlin')).toBe(9);
    expect(hoursLeft('2024-10-26T21:00:00Z', 'Europe/Berlin')).toBe(11);
    expect(hoursLeft('2024-06-01T21:00:00Z', 'Europe/Berlin')).toBe(10);
    expect(quietHoursAt(at('2024-03-10T06:30:00Z'), 'America/New_York', NIGHT)).toEqual({ inside: true, endsAt: at('2024-03-10T13:00:00Z') }); // 01:30 EST → 09:00 EDT
  });

  test('an end the clocks jump over ends at the jump; an end that happens twice, at the one still ahead', () => {
    const early = { start: '01:00', end: '02:30' };
    expect(quietHoursAt(at('2024-03-31T00:30:00Z'), 'Europe/Berlin', early)).toEqual({ inside: true, endsAt: at('2024-03-31T01:00:00Z') }); // 01:30 CET; 02:30 never comes
    expect(quietHoursAt(at('2024-10-27T00:10:00Z'), 'Europe/Berlin', early)).toEqual({ inside: true, endsAt: at('2024-10-27T00:30:00Z') }); // 02:10 CEST
    expect(quietHoursAt(at('2024-10-27T01:10:00Z'), 'Europe/Berlin', early)).toEqual({ inside: true, endsAt: at('2024-10-27T01:30:00Z') }); // 02:10 CET, the second time
  });

  test('a window within one day', () => {
    const lunch = { start: '12:00', end: '14:00' };
    expect(quietHoursAt(at('2024-05-01T10:00:00Z'), 'Europe/Istanbul', lunch)).toEqual({ inside: true, endsAt: at('2024-05-01T11:00:00Z') }); // 13:00
    expect(quietHoursAt(at('2024-05-01T12:00:00Z'), 'Europe/Istanbul', lunch)).toEqual({ inside: false }); // 15:00
    expect(quietHoursAt(at('2024-05-01T20:00:00Z'), 'Europe/Istanbul', lunch)).toEqual({ inside: false }); // 23:00
  });
});

describe('frequency caps: the ledger verdicts', () => {
  const weekly: CapRule = { max: 3, days: 7, channel: 'any' };
  let n = 0;
  const claim = (d: number, rules: CapRule[], extra: Partial<CapEntry> = {}): CapEntry => {
    const m = extra.m ?? `m${n++}`;
    const c = extra.c ?? 'push';
    return { k: `${m}_${c}`, m, c, d, r: encodeRules(rules), ...extra };
  };
  const admitted = (entries: CapEntry[], frozen?: Record<string, number>) => entries.map((e) => evaluateLedger(entries, frozen).get(e.k)!.admitted);

  test('3 per 7 days: the fourth in the window is refused, naming the rule and the count', () => {
    const entries = [claim(100, [weekly]), claim(100, [weekly]), claim(101, [weekly]), claim(102, [weekly])];
    expect(admitted(entries)).toEqual([true, true, true, false]);
    expect(evaluateLedger(entries).get(entries[3]!.k)).toMatchObject({ admitted: false, refusedBy: { rule: weekly, used: 3 } });
    expect(evaluateLedger(entries).get(entries[2]!.k)).toMatchObject({ admitted: true, counts: [{ rule: weekly, used: 3 }] });
  });

  test('the window is today and the 6 local days before it', () => {
    const base = [claim(100, [weekly]), claim(101, [weekly]), claim(102, [weekly])];
    expect(admitted([...base, claim(106, [weekly])])).toEqual([true, true, true, false]); // 100..106
    expect(admitted([...base, claim(107, [weekly])])).toEqual([true, true, true, true]); // 101..107 holds two
  });

  test('a refused claim holds no slot: later claims see only the admitted ones', () => {
    const daily: CapRule = { max: 1, days: 1, channel: 'any' };
    expect(admitted([claim(100, [daily]), claim(100, [daily]), claim(100, [daily]), claim(101, [daily])])).toEqual([true, false, false, true]);
  });

  test('per channel: an SMS rule counts SMS only; the SMS fallback of an admitted push keeps its cross-channel slot', () => {
    const smsDaily: CapRule = { max: 1, days: 1, channel: 'sms' };
    const crossOne: CapRule = { max: 1, days: 7, channel: 'any' };
    const push = claim(100, [crossOne], { m: 'a', c: 'push' });
    const fallback = claim(100, [crossOne, smsDaily], { m: 'a', c: 'sms' });
    const otherPush = claim(100, [crossOne], { m: 'b', c: 'push' });
    expect(admitted([push, fallback, otherPush])).toEqual([true, true, false]);

    const sms1 = claim(100, [smsDaily], { c: 'sms' });
    const sms2 = claim(100, [smsDaily], { c: 'sms' });
    const pushes = [claim(100, []), claim(100, [])];
    expect(admitted([sms1, ...pushes, sms2])).toEqual([true, true, true, false]);
  });

  test('a repeated claim (a retried send) is the same claim: one slot, the first verdict', () => {
    const first = claim(100, [weekly], { m: 'retried' });
    const entries = [first, claim(100, [weekly]), { ...first, d: 101 }, claim(100, [weekly]), claim(100, [weekly])];
    expect(evaluateLedger(entries).size).toBe(4);
    expect(admitted(entries)).toEqual([true, true, true, true, false]);
  });

  test('an override is admitted and counted', () => {
    const one: CapRule = { max: 1, days: 7, channel: 'any' };
    const entries = [claim(100, [one]), claim(100, [one], { f: 1 }), claim(101, [one])];
    expect(admitted(entries)).toEqual([true, true, false]);
    expect(evaluateLedger(entries).get(entries[2]!.k)!.refusedBy!.used).toBe(2);
  });

  test('each claim is judged by the rules it carries, so a later change of settings does not rewrite the past', () => {
    const loose: CapRule = { max: 5, days: 7, channel: 'any' };
    const strict: CapRule = { max: 2, days: 7, channel: 'any' };
    const entries = [claim(100, [loose]), claim(100, [loose]), claim(100, [loose]), claim(100, [strict])];
    expect(admitted(entries)).toEqual([true, true, true, false]);
  });

  test('written-down verdicts stand once the claims behind them are dropped', () => {
    const one: CapRule = { max: 1, days: 7, channel: 'any' };
    const kept = [claim(150, [one]), claim(150, [one])];
    expect(admitted(kept)).toEqual([true, false]);
    expect(admitted(kept, { [kept[0]!.k]: 0, [kept[1]!.k]: 1 })).toEqual([false, true]);
    expect(firstDayToKeep(200, kept, [{ max: 1, days: 60, channel: 'any' }])).toBe(200 - 60 - 9);
    expect(firstDayToKeep(200, kept, [])).toBe(200 - 31 - 9);
  });
});

describe('the whole gate', () => {
  /** The verdicts of the real ledger, kept in memory; records what it was asked. */
  function memoryLedger(): CapLedger & { asked: CapClaim[] } {
    const entries: CapEntry[] = [];
    const asked: CapClaim[] = [];
    return {
      asked,
      async claim(c) {
        asked.push(c);
        const k = `${c.messageId}_${c.channel}`;
        entries.push({ k, m: c.messageId, c: c.channel, d: c.day, r: encodeRules(c.rules), ...(c.override ? { f: 1 as const } : {}) });
        return evaluateLedger(entries).get(k)!;
      },
    };
  }
  const device = (timeZone?: string) => ({ token: 't', platform: 'android' as const, pushEnabled: true, updatedAt: new Date('2024-01-01'), ...(timeZone ? { timeZone } : {}) });
  const settings = (s: Partial<DeliverySettings>): DeliverySettings => ({ ...DEFAULT_DELIVERY_SETTINGS, ...s });
  let n = 0;
  const ctx = (now: string, s: Partial<DeliverySettings>, extra: Partial<SendContext> = {}): SendContext => ({ appId: 'demo', profileId: 'demo:p', messageId: `m${n++}`, now: at(now), settings: settings(s), ...extra });
  const push = (category: 'commercial' | 'transactional', timeZone?: string) => ({ profile: { devices: [device(timeZone)] }, channel: 'push' as const, category });

  test('transactional sends are neither capped nor held, and take no slot', async () => {
    const ledger = memoryLedger();
    const s = { frequencyCaps: [{ max: 1, days: 7, channel: 'any' as const }], quietHours: { ...NIGHT, policy: 'defer' as const } };
    const d = await gateSend(push('transactional'), ctx('2024-03-30T20:00:00Z', s), ledger);
    expect(d).toMatchObject({ allowed: true, reason: 'push_enabled (transactional: consent-exempt)' });
    expect(d.deferUntil).toBeUndefined();
    expect(ledger.asked).toHaveLength(0);
  });

  test('consent and device come first; quiet hours hold a commercial send before any slot is taken', async () => {
    const ledger = memoryLedger();
    const s = { frequencyCaps: [{ max: 1, days: 7, channel: 'any' as const }], quietHours: { ...NIGHT, policy: 'defer' as const } };
    expect(await gateSend({ profile: { devices: [] }, channel: 'push', category: 'commercial' }, ctx('2024-03-30T20:00:00Z', s), ledger)).toMatchObject({ allowed: false, reason: expect.stringMatching(/^no_device/) });
    const held = await gateSend(push('commercial'), ctx('2024-03-30T20:00:00Z', s), ledger); // 23:00 in Istanbul, the app's zone
    expect(held).toMatchObject({ allowed: false, reason: expect.stringMatching(/^quiet_hours: deferred until 09:00 in Europe\/Istanbul/), deferUntil: at('2024-03-31T06:00:00Z') });
    const skipped = await gateSend(push('commercial'), ctx('2024-03-30T20:00:00Z', { ...s, quietHours: { ...NIGHT, policy: 'skip' } }), ledger);
    expect(skipped).toMatchObject({ allowed: false, reason: expect.stringMatching(/^quiet_hours: .*policy skip/) });
    expect(skipped.deferUntil).toBeUndefined();
    expect(ledger.asked).toHaveLength(0);
    // The device's zone decides: 23:00 in Istanbul is 21:00 in Berlin, outside the window.
    expect(await gateSend(push('commercial', 'Europe/Berlin'), ctx('2024-03-30T20:00:00Z', s), ledger)).toMatchObject({ allowed: true, reason: expect.stringMatching(/^push_enabled; frequency_cap_ok: 1 of at most 1/) });
  });

  test("caps count calendar days of the profile's zone", async () => {
    const ledger = memoryLedger();
    const daily = { frequencyCaps: [{ max: 1, days: 1, channel: 'any' as const }] };
    // 20:30Z and 21:30Z: the same day in Berlin (21:30, 22:30), two days in Istanbul (23:30, 00:30).
    expect((await gateSend(push('commercial', 'Europe/Berlin'), ctx('2024-03-30T20:30:00Z', daily, { profileId: 'demo:berlin' }), ledger)).allowed).toBe(true);
    expect(await gateSend(push('commercial', 'Europe/Berlin'), ctx('2024-03-30T21:30:00Z', daily, { profileId: 'demo:berlin' }), ledger)).toMatchObject({ allowed: false, reason: expect.stringMatching(/^frequency_cap: at most 1 commercial message per day across channels; 1 already sent/) });
    const istanbul = memoryLedger();
    expect((await gateSend(push('commercial'), ctx('2024-03-30T20:30:00Z', daily), istanbul)).allowed).toBe(true);
    expect((await gateSend(push('commercial'), ctx('2024-03-30T21:30:00Z', daily), istanbul)).allowed).toBe(true);
    expect(istanbul.asked.map((c) => c.day)).toEqual([ledger.asked[0]!.day, ledger.asked[0]!.day + 1]);
  });

  test('an override is admitted over a full cap and says so', async () => {
    const ledger = memoryLedger();
    const one = { frequencyCaps: [{ max: 1, days: 7, channel: 'any' as const }] };
    expect((await gateSend(push('commercial'), ctx('2024-03-30T10:00:00Z', one), ledger)).allowed).toBe(true);
    expect((await gateSend(push('commercial'), ctx('2024-03-30T10:00:00Z', one), ledger)).allowed).toBe(false);
    expect(await gateSend(push('commercial'), ctx('2024-03-30T10:00:00Z', one, { overrideCaps: true }), ledger)).toMatchObject({ allowed: true, reason: expect.stringMatching(/frequency_cap_overridden/) });
  });
});

describe('delivery settings', () => {
  const issues = (body: unknown) => {
    const r = deliverySettingsSchema.safeParse(body);
    return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
  };
  test('defaults: Europe/Istanbul, no caps, no quiet hours, no rate limits', () => {
    expect(deliverySettingsSchema.parse({})).toEqual({ timeZone: 'Europe/Istanbul', frequencyCaps: [], quietHours: null, rateLimits: {} });
    expect(deliverySettingsSchema.parse({ frequencyCaps: [{ max: 3, days: 7 }], quietHours: NIGHT })).toEqual({
      timeZone: 'Europe/Istanbul', frequencyCaps: [{ max: 3, days: 7, channel: 'any' }], quietHours: { ...NIGHT, policy: 'defer' }, rateLimits: {},
    });
  });
  test('each bad field is named', () => {
    expect(issues({ timeZone: 'Europe/Nowhere' })).toEqual(['timeZone']);
    expect(issues({ frequencyCaps: [{ max: 0, days: 7 }] })).toEqual(['frequencyCaps.0.max']);
    expect(issues({ frequencyCaps: [{ max: 3, days: 91 }] })).toEqual(['frequencyCaps.0.days']);
    expect(issues({ frequencyCaps: [{ max: 3, days: 7, channel: 'fax' }] })).toEqual(['frequencyCaps.0.channel']);
    expect(issues({ quietHours: { start: '22:00', end: '22:00' } })).toEqual(['quietHours.end']);
    expect(issues({ quietHours: { start: '24:00', end: '09:00' } })).toEqual(['quietHours.start']);
    expect(issues({ quietHours: { ...NIGHT, policy: 'later' } })).toEqual(['quietHours.policy']);
    expect(issues({ quietHours: NIGHT, extra: 1 })).toEqual(['']);
  });
});
