/**
 * The İYS client Rota's workers use: single add (v2, so a retried call returns the same
 * transactionId), batch add in chunks of ≤1000 polled no earlier than the documented 300 s,
 * single and multi status queries, and the changes feed with its cursor. Calls share a
 * 10-per-second limiter and one token pair (TokenStore).
 */
import { MAX_MULTI_STATUS, MAX_PULL_LIMIT, type Consent, type ConsentMovement, type ConsentRecord, type ConsentType, type RecipientType } from '../consent';
import { chunkConsents, slices } from './chunks';
import { IysError, type IysErrorDetail } from './errors';
import { RateLimiter } from './rateLimiter';
import { createMemoryTokenStore, type TokenStore } from './tokenStore';
import { IysTokens } from './tokens';
import { Transport } from './transport';

export interface IysClientOptions {
  baseUrl: string;
  username: string;
  password: string;
  iysCode: number;
  brandCode: number;
  tokenStore?: TokenStore;
  /** Share one limiter between the clients of a process (one IP). */
  limiter?: RateLimiter;
  maxRequestsPerSecond?: number;
  timeoutMs?: number;
  maxAttempts?: number;
  maxRetryWaitMs?: number;
  backoffBaseMs?: number;
  /** First poll of a batch's results after submission (document: at least 300 s). */
  batchFirstPollMs?: number;
  /** Between polls while results are empty or queued. */
  batchPollIntervalMs?: number;
  batchMaxPolls?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface BatchSubmission {
  requestId: string;
  submittedAt: number;
  /** Input row of each item, by the item's index in the request. */
  rows: number[];
}

export type BatchRowResult =
  | { row: number; status: 'success'; transactionId: string; creationDate?: string }
  | { row: number; status: 'failure'; error: IysError }
  /** Still queued at İYS after the last poll: ask again later with the requestId. */
  | { row: number; status: 'enqueue'; requestId: string };

interface RawResult {
  index: number;
  status: 'success' | 'failure' | 'enqueue';
  transactionId?: string;
  creationDate?: string;
  error?: IysErrorDetail;
}

export interface ChangesPage {
  /** The cursor to pass next time: unchanged when there was nothing new. */
  after?: string;
  list: ConsentMovement[];
}

/** Optional fields go out omitted, never null or "" (İYS answers those with errors such as H267). */
function clean(c: Consent): Consent {
  return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined && v !== null && v !== '')) as unknown as Consent;
}

export function createIysClient(o: IysClientOptions) {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = o.now ?? Date.now;
  const transport = new Transport({
    baseUrl: o.baseUrl,
    limiter: o.limiter ?? new RateLimiter(o.maxRequestsPerSecond ?? 10),
    timeoutMs: o.timeoutMs ?? 15_000,
    maxAttempts: o.maxAttempts ?? 5,
    maxRetryWaitMs: o.maxRetryWaitMs ?? 60_000,
    backoffBaseMs: o.backoffBaseMs ?? 250,
    sleep,
  });
  const tokens = new IysTokens(transport, o.tokenStore ?? createMemoryTokenStore(), o, now);
  const brand = `/sps/${o.iysCode}/brands/${o.brandCode}`;
  const firstPoll = o.batchFirstPollMs ?? 300_000;

  async function submitRows(consents: readonly Consent[], rows: number[], failed: BatchRowResult[]): Promise<BatchSubmission | undefined> {
    let pending = rows;
    // A list with invalid items is refused whole (422, errors by index): those rows fail, the rest go again.
    while (pending.length > 0) {
      const submittedAt = now();
      try {
        const { body } = await transport.call<{ requestId: string }>('POST', `/v2${brand}/consents/request`, { body: pending.map((r) => clean(consents[r]!)), tokens });
        return { requestId: body.requestId, submittedAt, rows: pending };
      } catch (err) {
        const indexed = err instanceof IysError && err.status !== undefined && err.status < 500 && err.details.length > 0 && err.details.every((d) => d.index !== undefined);
        if (!indexed) throw err;
        const bad = new Map<number, IysErrorDetail>();
        for (const d of err.details) if (!bad.has(d.index!)) bad.set(d.index!, d);
        for (const [index, d] of bad) failed.push({ row: pending[index]!, status: 'failure', error: IysError.fromDetail(d, err.status) });
        pending = pending.filter((_, i) => !bad.has(i));
      }
    }
    return undefined;
  }

  const client = {
    tokens,

    /** One consent, written synchronously. */
    async addConsent(consent: Consent): Promise<{ transactionId: string; creationDate: string }> {
      return (await transport.call<{ transactionId: string; creationDate: string }>('POST', `/v2${brand}/consents`, { body: clean(consent), tokens })).body;
    },

    /** Sends a list as batches of ≤1000; rows refused by validation come back as failures at once. */
    async submitBatch(consents: readonly Consent[]): Promise<{ submissions: BatchSubmission[]; failed: BatchRowResult[] }> {
      const failed: BatchRowResult[] = [];
      const submissions: BatchSubmission[] = [];
      for (const rows of chunkConsents(consents)) {
        const s = await submitRows(consents, rows, failed);
        if (s) submissions.push(s);
      }
      return { submissions, failed };
    },

    /** Per-row results of one submission, polled no earlier than the documented delay. */
    async batchResults(s: BatchSubmission): Promise<BatchRowResult[]> {
      const wait = s.submittedAt + firstPoll - now();
      if (wait > 0) await sleep(wait);
      const polls = o.batchMaxPolls ?? 30;
      let results: RawResult[] = [];
      for (let poll = 1; ; poll++) {
        results = (await transport.call<RawResult[]>('GET', `/v2${brand}/consents/request/${s.requestId}`, { tokens })).body ?? [];
        const done = results.length === s.rows.length && results.every((r) => r.status !== 'enqueue');
        if (done || poll >= polls) break;
        await sleep(o.batchPollIntervalMs ?? 60_000);
      }
      const byIndex = new Map(results.map((r) => [r.index, r]));
      return s.rows.map((row, index): BatchRowResult => {
        const r = byIndex.get(index);
        if (r?.status === 'success') return { row, status: 'success', transactionId: r.transactionId!, creationDate: r.creationDate };
        if (r?.status === 'failure') return { row, status: 'failure', error: IysError.fromDetail(r.error ?? {}, 400) };
        return { row, status: 'enqueue', requestId: s.requestId };
      });
    },

    /** A whole list: submitted in chunks, then one result per input row, in input order. */
    async addConsents(consents: readonly Consent[]): Promise<BatchRowResult[]> {
      const { submissions, failed } = await client.submitBatch(consents);
      const results = (await Promise.all(submissions.map((s) => client.batchResults(s)))).flat();
      return [...failed, ...results].sort((a, b) => a.row - b.row);
    },

    /** One consent's record; undefined when İYS has none. Limited to 1000 an hour: prefer approvedRecipients. */
    async consentStatus(q: { recipient: string; recipientType: RecipientType; type: ConsentType }): Promise<ConsentRecord | undefined> {
      try {
        const { body } = await transport.call<ConsentRecord | undefined>('POST', `${brand}/consents/status`, { body: q, tokens });
        return body?.status ? body : undefined;
      } catch (err) {
        if (err instanceof IysError && err.status === 404) return undefined;
        throw err;
      }
    },

    /** Which of the recipients are ONAY (RET and unknown are both absent), 1000 per request. */
    async approvedRecipients(recipientType: RecipientType, type: ConsentType, recipients: readonly string[]): Promise<Set<string>> {
      const approved = new Set<string>();
      for (const slice of slices([...new Set(recipients)], MAX_MULTI_STATUS)) {
        const { body } = await transport.call<{ list: string[] }>('POST', `${brand}/consents/${recipientType}/status/${type}`, { body: { recipients: slice }, tokens });
        for (const r of body.list) approved.add(r);
      }
      return approved;
    },

    /** One page of the changes feed after a cursor (source IYS: citizens' own changes). */
    async pullChanges(q: { after?: string; limit?: number; source?: 'IYS' | 'HS' } = {}): Promise<ChangesPage> {
      const { status, body } = await transport.call<ChangesPage>('GET', `${brand}/consents/changes`, {
        query: { source: q.source ?? 'IYS', limit: q.limit ?? MAX_PULL_LIMIT, after: q.after }, tokens,
      });
      if (status === 204 || !body) return { after: q.after, list: [] };
      return { after: body.after, list: body.list };
    },

    /** Pages until the feed is drained; the caller stores each page's `after` once it has applied the page. */
    async *changes(q: { after?: string; limit?: number; source?: 'IYS' | 'HS' } = {}): AsyncGenerator<ChangesPage> {
      const limit = q.limit ?? MAX_PULL_LIMIT;
      let after = q.after;
      for (;;) {
        const page = await client.pullChanges({ ...q, after, limit });
        if (page.list.length === 0) return;
        yield page;
        after = page.after;
        if (page.list.length < limit) return;
      }
    },
  };
  return client;
}

export type IysClient = ReturnType<typeof createIysClient>;
