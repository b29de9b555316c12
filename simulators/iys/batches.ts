/**
 * Asynchronous batch add: a list is accepted at once (202, a requestId and one subRequestId
 * per item) and written after `batchDelayMs`; until then its result query answers `[]`,
 * which the document says does not mean failure. Results are kept 60 days.
 */
import { randomUUID } from 'node:crypto';
import { formatIysDate } from '../../iys/dates';
import type { IysErrorItem } from './errors';
import type { ConsentStore, StoredConsent } from './store';
import type { SimClock } from './options';
import type { ValidConsent } from './validation';

const RETENTION_MS = 60 * 86_400_000;

type ItemResult =
  | { index: number; status: 'success'; requestId: string; subRequestId: string; transactionId: string; creationDate: string; originalRequestInformation?: StoredConsent['origin'] }
  | { index: number; status: 'failure'; subRequestId: string; error: Pick<IysErrorItem, 'code' | 'message'> }
  // The document spells it `subrequestId` on queued items; clients must read both.
  | { index: number; status: 'enqueue'; subrequestId: string };

interface Batch {
  requestId: string;
  brand: string;
  v2: boolean;
  submittedAt: number;
  dueAt: number;
  items: { consent: ValidConsent; subRequestId: string; result?: ItemResult }[];
}

export class Batches {
  private readonly batches = new Map<string, Batch>();

  constructor(
    private readonly store: ConsentStore,
    private readonly clock: SimClock,
    private readonly delayMs: () => number,
  ) {}

  submit(brand: string, consents: ValidConsent[], v2: boolean): { requestId: string; subRequests: Record<string, unknown>[] } {
    const now = this.clock.now();
    const creationDate = formatIysDate(now);
    const batch: Batch = {
      requestId: randomUUID(), brand, v2, submittedAt: now, dueAt: now + this.delayMs(),
      items: consents.map((consent) => ({ consent, subRequestId: randomUUID() })),
    };
    this.batches.set(batch.requestId, batch);
    return {
      requestId: batch.requestId,
      subRequests: batch.items.map((i) => ({ ...i.consent, subRequestId: i.subRequestId, creationDate })),
    };
  }

  /** Writes every batch whose time has come, items in list order. */
  settle(): void {
    const now = this.clock.now();
    for (const batch of this.batches.values()) {
      if (batch.dueAt > now || batch.items[0]?.result) continue;
      batch.items.forEach((item, index) => (item.result = this.process(batch, item, index)));
    }
  }

  private process(batch: Batch, item: Batch['items'][number], index: number): ItemResult {
    const c = item.consent;
    const existing = this.store.get(batch.brand, c.recipientType, c.type, c.recipient);
    // V2: a resubmission of what is already recorded succeeds and points at the original request.
    if (batch.v2 && existing && existing.status === c.status && existing.consentDate === (c.consentDate ?? '') && existing.source === c.source) {
      return {
        index, status: 'success', requestId: batch.requestId, subRequestId: item.subRequestId,
        transactionId: existing.transactionId, creationDate: existing.creationDate, originalRequestInformation: existing.origin,
      };
    }
    const written = this.store.write(batch.brand, c, { requestId: batch.requestId, subRequestId: item.subRequestId });
    if (!written.ok) {
      // In batch results İYS words H175 for the list case.
      const message = written.error.code === 'H175' ? 'İlk izin kayıt işlemlerinde RET durum (status) bilgisi içeren izinler kaydedilmez.' : written.error.message;
      return { index, status: 'failure', subRequestId: item.subRequestId, error: { code: written.error.code, message } };
    }
    return {
      index, status: 'success', requestId: batch.requestId, subRequestId: item.subRequestId,
      transactionId: written.record.transactionId, creationDate: written.record.creationDate,
    };
  }

  /** The result list: empty before processing, for unknown or expired ids. */
  results(brand: string, requestId: string): ItemResult[] {
    const batch = this.batches.get(requestId);
    if (!batch || batch.brand !== brand || this.clock.now() - batch.submittedAt > RETENTION_MS || !batch.items[0]?.result) return [];
    return batch.items.map((i, index) => i.result ?? { index, status: 'enqueue', subrequestId: i.subRequestId });
  }

  reset(): void {
    this.batches.clear();
  }
}
