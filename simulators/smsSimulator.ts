/**
 * SMS gateway simulator: `POST /sms/send {to, from, text, reference}`. Numbers must be
 * E.164; a repeated `reference` is answered with the first send and not counted again.
 * `GET /sim/sms?reference=` or `?to=` lists what was sent. Send calls are counted per second
 * of the clock (`callsPerSecond`, `peakPerSecond`: what a rate limit must hold to).
 */
import type { RequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import { createSimApp, listen, type SimServer } from './simServer';

export interface SimulatedSms {
  id: string;
  to: string;
  from: string;
  text: string;
  reference: string;
  receivedAt: string;
}

export interface SmsSimulator extends SimServer {
  /** Messages the phones received: one per reference. */
  messages: SimulatedSms[];
  /** Every accepted send call whose reference contains `prefix` (a message id), deduplicated repeats included. */
  callsFor(messageId: string): number;
  /** `POST /sms/send` calls by second of the clock (epoch seconds), answered or not. */
  callsPerSecond: Map<number, number>;
  /** The most send calls received within one second of the clock. */
  readonly peakPerSecond: number;
}

const E164 = /^\+[1-9]\d{7,14}$/;

export async function startSmsSimulator(opts: { port?: number; host?: string } = {}): Promise<SmsSimulator> {
  const { app, faultInjection } = createSimApp();
  const messages: SimulatedSms[] = [];
  const byReference = new Map<string, SimulatedSms>();
  const calls: string[] = [];
  const callsPerSecond = new Map<number, number>();
  let peakPerSecond = 0;
  const countCall: RequestHandler = (_req, _res, next) => {
    const second = Math.floor(Date.now() / 1000);
    const inSecond = (callsPerSecond.get(second) ?? 0) + 1;
    callsPerSecond.set(second, inSecond);
    peakPerSecond = Math.max(peakPerSecond, inSecond);
    next();
  };

  app.post('/sms/send', countCall, faultInjection, (req, res) => {
    const { to, from, text, reference } = req.body as Partial<Record<string, unknown>>;
    const bad = [
      typeof to !== 'string' || !E164.test(to) ? 'to: must be an E.164 number' : undefined,
      typeof text !== 'string' || !text ? 'text: required' : undefined,
      typeof reference !== 'string' || !reference ? 'reference: required' : undefined,
    ].filter(Boolean);
    if (bad.length > 0) {
      res.status(400).json({ error: { code: 'invalid_request', message: bad.join('; ') } });
      return;
    }
    calls.push(reference as string);
    const seen = byReference.get(reference as string);
    if (seen) {
      res.json({ id: seen.id, status: 'accepted', duplicate: true });
      return;
    }
    const sms: SimulatedSms = {
      id: randomUUID(),
      to: to as string,
      from: typeof from === 'string' ? from : '',
      text: text as string,
      reference: reference as string,
      receivedAt: new Date().toISOString(),
    };
    messages.push(sms);
    byReference.set(sms.reference, sms);
    res.json({ id: sms.id, status: 'accepted' });
  });

  app.get('/sim/sms', (req, res) => {
    const { reference, to } = req.query;
    const list = messages.filter((m) => (typeof reference !== 'string' || m.reference.includes(reference)) && (typeof to !== 'string' || m.to === to));
    res.json({ total: list.length, messages: list });
  });

  return {
    ...(await listen(app, opts.port, opts.host)),
    messages,
    callsFor: (prefix) => calls.filter((r) => r.includes(prefix)).length,
    callsPerSecond,
    get peakPerSecond() {
      return peakPerSecond;
    },
  };
}
