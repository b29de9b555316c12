/**
 * `/sim/*`: what a test (or a person at a terminal) does to İYS from outside the API:
 * read the violations report and the stored consents, play a citizen (a RET from the İYS
 * app lands in the changes feed with origin IYS), inject faults, move the clock, reset.
 */
import { Router } from 'express';
import { CONSENT_STATUSES, CONSENT_TYPES, IYS_SOURCES, RECIPIENT_TYPES, normalizeRecipient, type ConsentType } from '../../iys/consent';
import { formatIysDate, parseIysDate } from '../../iys/dates';
import type { SimContext } from './context';
import type { FaultSpec } from './faults';
import { brandOf, type CitizenAction } from './store';

export function resetState(ctx: SimContext): void {
  ctx.store.reset();
  ctx.batches.reset();
  ctx.violations.reset();
  ctx.tokens.resetStats();
  ctx.faults.clear();
  ctx.limits.perSecond.reset();
  ctx.limits.token.reset();
  ctx.limits.status.reset();
  ctx.clock.reset();
}

export function testHooks(ctx: SimContext): Router {
  const r = Router();
  const defaultUser = ctx.opts.users[0]!;
  const brandFrom = (q: Record<string, unknown>) => brandOf(String(q.iysCode ?? defaultUser.iysCode), String(q.brandCode ?? defaultUser.brandCodes[0]));

  r.get('/sim/violations', (_req, res) => void res.json(ctx.violations.snapshot()));

  r.post('/sim/reset', (_req, res) => {
    resetState(ctx);
    res.json({ ok: true });
  });

  r.get('/sim/consents', (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    const list = ctx.store.list(q.iysCode || q.brandCode ? brandFrom(q) : undefined)
      .filter((c) => !q.recipient || c.recipient === normalizeRecipient(c.type, q.recipient));
    res.json({ total: list.length, consents: list });
  });

  r.get('/sim/movements', (_req, res) => void res.json({ total: ctx.store.movements.length, movements: ctx.store.movements }));

  r.post('/sim/citizen', (req, res) => {
    const b = (req.body ?? {}) as Partial<CitizenAction> & { iysCode?: number; brandCode?: number };
    const problems = [
      typeof b.recipient === 'string' && b.recipient ? undefined : 'recipient',
      CONSENT_TYPES.includes(b.type as never) ? undefined : 'type',
      CONSENT_STATUSES.includes(b.status as never) ? undefined : 'status',
      b.recipientType === undefined || RECIPIENT_TYPES.includes(b.recipientType) ? undefined : 'recipientType',
      b.source === undefined || IYS_SOURCES.includes(b.source) ? undefined : 'source (an IYS_* value)',
      b.consentDate === undefined || parseIysDate(b.consentDate) !== undefined ? undefined : 'consentDate',
    ].filter(Boolean);
    if (problems.length > 0) return void res.status(400).json({ error: `invalid citizen action: ${problems.join(', ')}` });
    const record = ctx.store.citizen(brandFrom(b), { ...(b as CitizenAction), recipient: normalizeRecipient(b.type as ConsentType, b.recipient!) });
    res.json(record);
  });

  r.post('/sim/faults', (req, res) => {
    ctx.faults.set((req.body ?? {}) as FaultSpec);
    res.json({ ok: true });
  });
  r.delete('/sim/faults', (_req, res) => {
    ctx.faults.clear();
    res.json({ ok: true });
  });

  r.post('/sim/clock', (req, res) => {
    const b = (req.body ?? {}) as { advanceMs?: number; now?: string };
    if (typeof b.advanceMs === 'number') ctx.clock.advance(b.advanceMs);
    if (typeof b.now === 'string') {
      const at = parseIysDate(b.now);
      if (at === undefined) return void res.status(400).json({ error: 'now: YYYY-MM-DD HH:mm:ss (Turkey time)' });
      ctx.clock.set(at);
    }
    res.json({ now: formatIysDate(ctx.clock.now()) });
  });

  r.get('/sim/stats', (_req, res) => void res.json({ tokens: ctx.tokens.stats, faultsInjected: ctx.faults.injected, now: formatIysDate(ctx.clock.now()) }));

  return r;
}
