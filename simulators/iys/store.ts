/**
 * The consent records of every brand and the movement log behind the changes feed, with
 * İYS's state rules for a provider's write: the first record cannot be RET (H175), RET on
 * RET changes nothing (H174; ONAY on ONAY is a valid re-registration since 1.1.0), an
 * older consentDate never overwrites a newer one (H178), a TACIR update needs date and
 * source (H462/H463). Citizen actions on İYS channels bypass these rules.
 */
import { createHash } from 'node:crypto';
import {
  consentKey, type ConsentMovement, type ConsentRecord, type ConsentStatus, type ConsentType, type IysSource, type RecipientType,
} from '../../iys/consent';
import { formatIysDate, parseIysDate } from '../../iys/dates';
import { stateRuleCode } from '../../iys/rules';
import { errorItem, type IysErrorItem } from './errors';
import type { ResolvedOptions, SimClock } from './options';
import type { ValidConsent } from './validation';

export interface StoredConsent extends ConsentRecord {
  brand: string;
  retailerAccess: number[];
  /** The batch item that wrote it, for the v2 batch's `originalRequestInformation`. */
  origin?: { requestId: string; subRequestId: string };
}

export interface Movement extends ConsentMovement {
  brand: string;
  /** Who made it: the provider (HS) or the citizen on İYS (IYS); the pull feed's `source` filter. */
  origin: 'HS' | 'IYS';
  /** Simulator-clock instant of the creationDate. */
  at: number;
}

export type WriteResult = { ok: true; record: StoredConsent } | { ok: false; error: IysErrorItem };

export interface CitizenAction {
  recipient: string;
  recipientType?: RecipientType;
  type: ConsentType;
  status: ConsentStatus;
  source?: IysSource;
  consentDate?: string;
  citizenName?: string;
}

export const brandOf = (iysCode: number | string, brandCode: number | string) => `${iysCode}:${brandCode}`;

export class ConsentStore {
  private readonly records = new Map<string, StoredConsent>();
  readonly movements: Movement[] = [];

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly clock: SimClock,
  ) {}

  get(brand: string, recipientType: RecipientType, type: ConsentType, recipient: string): StoredConsent | undefined {
    return this.records.get(`${brand}|${consentKey(recipientType, type, recipient)}`);
  }

  list(brand?: string): StoredConsent[] {
    return [...this.records.values()].filter((r) => brand === undefined || r.brand === brand);
  }

  /** The state rules for a provider's write, without writing. */
  check(brand: string, c: ValidConsent): IysErrorItem | undefined {
    const existing = this.get(brand, c.recipientType, c.type, c.recipient);
    const code = stateRuleCode(
      existing && { status: existing.status, consentAt: existing.consentDate ? parseIysDate(existing.consentDate) : undefined },
      { status: c.status, recipientType: c.recipientType, consentAt: c.consentDate ? parseIysDate(c.consentDate) : undefined, source: c.source },
      { rejectEqualDate: this.opts.rejectEqualConsentDate },
    );
    if (code) return errorItem(code);
    if (!existing && this.opts.consentLimit !== undefined && this.list(brand).length >= this.opts.consentLimit) return errorItem('H525');
    return undefined;
  }

  /** A provider's write (single add, batch item): checked, stored and logged. */
  write(brand: string, c: ValidConsent, origin?: StoredConsent['origin']): WriteResult {
    const error = this.check(brand, c);
    if (error) return { ok: false, error };
    const existing = this.get(brand, c.recipientType, c.type, c.recipient);
    const record = this.put(brand, {
      recipient: c.recipient, recipientType: c.recipientType, type: c.type, status: c.status,
      consentDate: c.consentDate ?? '',
      // A TACIR first add may come without a source; the record still needs one to show.
      source: c.source ?? existing?.source ?? 'HS_EORTAM',
      retailerCode: c.retailerCode,
      retailerAccess: c.retailerAccess ?? existing?.retailerAccess ?? [],
      origin,
    }, 'HS');
    return { ok: true, record };
  }

  /** A citizen's action on an İYS channel (app, web, short number, line closure): always recorded. */
  citizen(brand: string, a: CitizenAction): StoredConsent {
    const recipientType = a.recipientType ?? 'BIREYSEL';
    const existing = this.get(brand, recipientType, a.type, a.recipient);
    const source = a.source ?? 'IYS_MOBIL';
    // A line closure keeps the last consentDate (empty for a TACIR record without one).
    const consentDate = a.consentDate ?? (source === 'IYS_AHS_HAT_KAPATMA' ? (existing?.consentDate ?? '') : formatIysDate(this.clock.now()));
    return this.put(brand, {
      recipient: a.recipient, recipientType, type: a.type, status: a.status, consentDate, source,
      retailerAccess: existing?.retailerAccess ?? [], citizenName: a.citizenName,
    }, 'IYS');
  }

  private put(
    brand: string,
    r: Omit<StoredConsent, 'brand' | 'creationDate' | 'transactionId' | 'retailerAccessCount'> & { citizenName?: string },
    origin: 'HS' | 'IYS',
  ): StoredConsent {
    const at = this.clock.now();
    const creationDate = formatIysDate(at);
    const key = consentKey(r.recipientType, r.type, r.recipient);
    // İYS derives the id from address, type and second: two movements of one address in one second share it (documented).
    const transactionId = createHash('sha256').update(`${brand}|${key}|${creationDate}`).digest('hex');
    const { citizenName, ...fields } = r;
    const record: StoredConsent = {
      ...fields, brand, creationDate, transactionId,
      ...(r.retailerAccess.length > 0 ? { retailerAccessCount: r.retailerAccess.length } : {}),
    };
    if (record.retailerCode === undefined) delete record.retailerCode;
    if (record.origin === undefined) delete record.origin;
    this.records.set(`${brand}|${key}`, record);
    this.movements.push({
      brand, origin, at,
      consentDate: r.consentDate ?? '', creationDate, source: r.source, recipient: r.recipient, recipientType: r.recipientType,
      status: r.status, type: r.type, transactionId, ...(citizenName ? { citizenName } : {}),
    });
    return record;
  }

  reset(): void {
    this.records.clear();
    this.movements.length = 0;
  }
}

/** What the single status query shows of a record. */
export function publicRecord(r: StoredConsent): ConsentRecord {
  const { brand: _brand, retailerAccess: _access, origin: _origin, ...shown } = r;
  return shown;
}
