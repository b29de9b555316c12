/** The pure consent pieces: İYS's rules, consentDate parsing, the store's decision against the current consent, the send gate, CSV. */
import { parseConsentDate } from '../../consents/consentDate';
import { parseCsv } from '../../consents/csv';
import { decideAgainstCurrent, inputIssues, type ConsentChangeInput } from '../../consents/validateChange';
import type { ConsentSummary } from '../../data/models/profiles';
import { commercialConsent, decideSend } from '../../gate/sendGate';
import { parseIysDate } from '../../iys/dates';
import { consentDateRuleCodes, EARLIEST_CONSENT_AT, sourceStatusRuleCode, stateRuleCode } from '../../iys/rules';

const now = parseIysDate('2026-05-07 12:00:00')!; // a Thursday
const opts = { now, businessDayLimit: 3 };

describe('İYS rules', () => {
  test.each([
    ['2026-05-07 12:00:01', 'HS_WEB', ['H162']],
    ['2026-05-07 11:59:59', 'HS_WEB', []],
    ['2026-05-04 00:00:00', 'HS_WEB', []], // Monday: three business days before Thursday
    ['2026-05-01 23:59:59', 'HS_WEB', ['H467']], // Friday: four
    ['2015-04-30 10:00:00', 'HS_WEB', ['H156']],
    ['2015-05-01 00:00:00', 'HS_2015', []],
    ['2016-01-01 00:00:00', 'HS_2015', ['H155']],
  ])('consentDate %s from %s: %j', (date, source, codes) => {
    expect(consentDateRuleCodes(parseIysDate(date)!, source, opts)).toEqual(codes);
  });

  test('HS_KARAR records only RET', () => {
    expect(sourceStatusRuleCode('HS_KARAR', 'ONAY')).toBe('H408');
    expect(sourceStatusRuleCode('HS_KARAR', 'RET')).toBeUndefined();
    expect(sourceStatusRuleCode('HS_WEB', 'ONAY')).toBeUndefined();
  });

  test('state rules: first RET, RET on RET, older or equal dates, TACIR updates', () => {
    const incoming = { status: 'ONAY' as const, recipientType: 'BIREYSEL' as const, consentAt: 2000, source: 'HS_WEB' };
    expect(stateRuleCode(undefined, { ...incoming, status: 'RET' }, { rejectEqualDate: true })).toBe('H175');
    expect(stateRuleCode(undefined, incoming, { rejectEqualDate: true })).toBeUndefined();
    expect(stateRuleCode({ status: 'RET', consentAt: 1000 }, { ...incoming, status: 'RET' }, { rejectEqualDate: true })).toBe('H174');
    expect(stateRuleCode({ status: 'ONAY', consentAt: 3000 }, incoming, { rejectEqualDate: true })).toBe('H178');
    expect(stateRuleCode({ status: 'ONAY', consentAt: 2000 }, incoming, { rejectEqualDate: true })).toBe('H178');
    expect(stateRuleCode({ status: 'ONAY', consentAt: 2000 }, incoming, { rejectEqualDate: false })).toBeUndefined();
    expect(stateRuleCode({ status: 'ONAY', consentAt: 1000 }, incoming, { rejectEqualDate: true })).toBeUndefined(); // ONAY on ONAY re-registers
    expect(stateRuleCode({ status: 'ONAY' }, { status: 'RET', recipientType: 'TACIR' }, { rejectEqualDate: true })).toBe('H462');
    expect(stateRuleCode({ status: 'ONAY' }, { status: 'RET', recipientType: 'TACIR', consentAt: 1 }, { rejectEqualDate: true })).toBe('H463');
    expect(EARLIEST_CONSENT_AT).toBe(Date.parse('2015-04-30T21:00:00Z'));
  });
});

test.each([
  ['2026-05-07 12:00:00', now],
  ['2026-05-07T09:00:00Z', now],
  ['2026-05-07T12:00:00+03:00', now],
  ['2026-05-07T12:00:00.900+03:00', now], // kept to whole seconds, as İYS keeps it
  ['2026-05-07T12:00:00', undefined], // no zone: ambiguous
  ['2026-02-30 10:00:00', undefined],
  ['2026-02-30T10:00:00Z', undefined],
  ['yesterday', undefined],
])('parseConsentDate(%s)', (text, expected) => {
  expect(parseConsentDate(text)).toBe(expected);
});

describe('a change against the current consent', () => {
  const path = (f: string) => `body.${f}`;
  const change = (status: 'ONAY' | 'RET', consentAt: number, recipientType: 'BIREYSEL' | 'TACIR' = 'BIREYSEL'): ConsentChangeInput => ({ type: 'MESAJ', status, recipientType, source: 'HS_WEB', consentAt });
  const current: ConsentSummary = { status: 'ONAY', recipientType: 'BIREYSEL', consentDate: new Date(now - 3600_000), recipient: '+905321234567', source: 'HS_WEB' };

  test('field-named issues for the stateless rules', () => {
    expect(inputIssues({ ...change('ONAY', now + 1000), source: 'HS_KARAR' }, now, path).map((i) => i.path)).toEqual(['body.consentDate', 'body.status']);
  });
  test('newer applies, older is stale, the same again is unchanged, RET on RET is not applied', () => {
    expect(decideAgainstCurrent(current, '+905321234567', change('RET', now), path)).toEqual({ kind: 'apply' });
    expect(decideAgainstCurrent(current, '+905321234567', change('RET', now - 7200_000), path)).toMatchObject({ kind: 'ignored', reason: 'stale' });
    expect(decideAgainstCurrent(current, '+905321234567', change('ONAY', now - 3600_000), path)).toEqual({ kind: 'unchanged' });
    expect(decideAgainstCurrent({ ...current, status: 'RET' }, '+905321234567', change('RET', now), path)).toMatchObject({ kind: 'ignored', reason: 'already_ret' });
  });
  test('another number or recipientType is a first record: it cannot be RET', () => {
    expect(decideAgainstCurrent(current, '+905329999999', change('RET', now), path)).toMatchObject({ kind: 'rejected', issue: { path: 'body.status' } });
    expect(decideAgainstCurrent(current, '+905321234567', change('RET', now, 'TACIR'), path)).toMatchObject({ kind: 'rejected' });
    expect(decideAgainstCurrent(undefined, '+905321234567', change('ONAY', now - 7200_000), path)).toEqual({ kind: 'apply' });
  });
  describe('a record İYS already holds (the sync)', () => {
    const fromIys = (status: 'ONAY' | 'RET', consentAt: number): ConsentChangeInput => ({ ...change(status, consentAt), source: 'IYS_MOBIL' });
    test('the provider rules on dates and HS_KARAR do not apply', () => {
      expect(inputIssues(fromIys('RET', now + 1000), now, path, 'iys_record')).toEqual([]);
      expect(inputIssues(fromIys('ONAY', now - 30 * 86_400_000), now, path, 'iys_record')).toEqual([]);
      expect(inputIssues({ ...change('ONAY', now - 3600_000), source: 'HS_KARAR' }, now, path, 'iys_record')).toEqual([]);
    });
    test('a first RET, a RET on a RET and an equal date apply; only an older date is stale; the same again is unchanged', () => {
      expect(decideAgainstCurrent(undefined, '+905321234567', fromIys('RET', now), path, 'iys_record')).toEqual({ kind: 'apply' });
      expect(decideAgainstCurrent({ ...current, status: 'RET' }, '+905321234567', fromIys('RET', now), path, 'iys_record')).toEqual({ kind: 'apply' });
      expect(decideAgainstCurrent(current, '+905321234567', fromIys('RET', now - 3600_000), path, 'iys_record')).toEqual({ kind: 'apply' });
      expect(decideAgainstCurrent(current, '+905321234567', fromIys('RET', now - 3600_001), path, 'iys_record')).toMatchObject({ kind: 'ignored', reason: 'stale' });
      expect(decideAgainstCurrent({ ...current, source: 'IYS_MOBIL' }, '+905321234567', fromIys('ONAY', now - 3600_000), path, 'iys_record')).toEqual({ kind: 'unchanged' });
    });
  });
});

describe('send gate: İYS consent', () => {
  const consent = (status: 'ONAY' | 'RET', recipientType: 'BIREYSEL' | 'TACIR', recipient = '+905321234567') => ({ status, recipientType, consentDate: new Date(now), recipient });
  const sms = (consents?: Record<string, ReturnType<typeof consent>>) => decideSend({ profile: { msisdn: '+905321234567', consents }, channel: 'sms', category: 'commercial' });

  test('BIREYSEL needs ONAY; TACIR is allowed until RET; no record blocks', () => {
    expect(sms()).toMatchObject({ allowed: false, reason: expect.stringMatching(/^no_consent/) });
    expect(sms({ MESAJ: consent('ONAY', 'BIREYSEL') })).toEqual({ allowed: true, reason: 'consent_onay: BIREYSEL MESAJ ONAY', consent: { type: 'MESAJ', status: 'ONAY', recipientType: 'BIREYSEL', consentDate: new Date(now) } });
    expect(sms({ MESAJ: consent('RET', 'BIREYSEL') })).toMatchObject({ allowed: false, reason: expect.stringMatching(/^consent_ret/), consent: { status: 'RET' } });
    expect(sms({ MESAJ: consent('ONAY', 'TACIR') })).toMatchObject({ allowed: true, reason: expect.stringMatching(/^tacir_not_refused/) });
    expect(sms({ MESAJ: consent('RET', 'TACIR') })).toMatchObject({ allowed: false });
  });
  test('a consent for another number does not cover the current one; e-mail needs EPOSTA; calls ARAMA', () => {
    expect(sms({ MESAJ: consent('ONAY', 'BIREYSEL', '+905320000000') })).toMatchObject({ allowed: false, reason: expect.stringMatching(/^consent_other_recipient/) });
    const email = (consents: Record<string, unknown>) => decideSend({ profile: { email: 'A@Example.com', consents: consents as never }, channel: 'email', category: 'commercial' });
    expect(email({ MESAJ: consent('ONAY', 'BIREYSEL') })).toMatchObject({ allowed: false, reason: expect.stringMatching(/EPOSTA/) });
    expect(email({ EPOSTA: consent('ONAY', 'BIREYSEL', 'a@example.com') })).toMatchObject({ allowed: true, consent: { type: 'EPOSTA' } });
    expect(commercialConsent('ARAMA', '+905321234567', { ARAMA: consent('ONAY', 'BIREYSEL') })).toMatchObject({ allowed: true, consent: { type: 'ARAMA' } });
  });
  test('transactional messages are exempt and marked so, with no consent consulted', () => {
    expect(decideSend({ profile: { email: 'a@example.com' }, channel: 'email', category: 'transactional' })).toEqual({ allowed: true, reason: 'email_present (transactional: consent-exempt)' });
  });
});

test('CSV: header, quotes with commas and escaped quotes, CRLF, blank cells left out', () => {
  expect(parseCsv('\uFEFFa,b,c\r\n1,"x, ""y""",\r\n\r\n2,,z\n')).toEqual({ header: ['a', 'b', 'c'], rows: [{ a: '1', b: 'x, "y"' }, { a: '2', c: 'z' }] });
});
