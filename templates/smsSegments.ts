/**
 * Which encoding an SMS text needs and how many segments it takes (3GPP TS 23.038, 23.040).
 *
 * - GSM-7: the default alphabet, one septet per character; the characters of its extension
 *   table (`^ { } \ [ ~ ] | €` and form feed) are an escape plus a septet: two. One segment
 *   holds 160 septets; a longer message is split in parts of 153 (the concatenation header
 *   takes 7).
 * - GSM-7 with the Turkish single shift table (A.2.1): for text whose only characters outside
 *   the default alphabet are ş ğ ı İ Ş Ğ ç (or the usual extension characters, which the
 *   Turkish table also holds). Each of those is an escape plus a septet; the header that names
 *   the table takes 3 octets, leaving 155 septets for one segment and 149 per part.
 * - UCS-2 for anything else: UTF-16 code units, 70 in one segment, 67 per part.
 *
 * A part never ends inside an escape pair or inside a surrogate pair (an emoji is two code
 * units): the whole character moves to the next part, as phones and gateways split them.
 */

// The GSM 7-bit default alphabet (6.2.1), without the escape code itself.
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
// Its extension table (6.2.1.1): each an escape plus a septet.
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');
// The Turkish national language single shift table (A.2.1): the extension characters and these.
const TURKISH_ONLY = new Set('ĞİŞçğış');

export type SmsEncodingName = 'GSM-7' | 'UCS-2';

export interface SmsSegmentCount {
  encoding: SmsEncodingName;
  /** For GSM-7, the single shift table escapes come from: the default extension table or the Turkish one. */
  shiftTable: 'default' | 'turkish' | null;
  /** What `length` counts. */
  unit: 'septet' | 'utf16_code_unit';
  /** The text's length in that unit (an escaped character counts 2 septets, an emoji 2 code units). */
  length: number;
  /** Characters (code points). */
  characters: number;
  segments: number;
  /** What one segment holds in this encoding: the single-segment capacity if it fits in one, else the per-part capacity. */
  perSegment: number;
  /** Units still free in the last segment. */
  remaining: number;
  /** Distinct characters sent as an escape plus a septet. */
  escaped: string[];
  /** Distinct characters that are in no GSM-7 table (what made it UCS-2). */
  notGsm: string[];
  /** For GSM-7 with the Turkish table: the segments the same text would take as UCS-2, for a gateway that lacks the table. */
  ucs2Segments?: number;
  /** Which encoding was chosen and why, in a sentence. */
  reason: string;
}

export interface SmsCountOptions {
  /** Use the Turkish single shift table when it saves UCS-2 (default true); false for a gateway that lacks it. */
  turkishShift?: boolean;
}

const CAPACITY = {
  gsm: { single: 160, multi: 153 },
  turkish: { single: 155, multi: 149 },
  ucs2: { single: 70, multi: 67 },
} as const;

interface Packed {
  segments: number;
  perSegment: number;
  remaining: number;
  length: number;
}

/** Fills parts greedily, never splitting one character's units across two parts. */
function pack(costs: number[], capacity: { single: number; multi: number }): Packed {
  const length = costs.reduce((a, b) => a + b, 0);
  if (length === 0) return { segments: 0, perSegment: capacity.single, remaining: capacity.single, length };
  if (length <= capacity.single) return { segments: 1, perSegment: capacity.single, remaining: capacity.single - length, length };
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > capacity.multi) {
      segments += 1;
      used = 0;
    }
    used += cost;
  }
  return { segments, perSegment: capacity.multi, remaining: capacity.multi - used, length };
}

const list = (chars: string[]) => chars.map((c) => JSON.stringify(c)).join(', ');
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function countSmsSegments(text: string, options: SmsCountOptions = {}): SmsSegmentCount {
  const turkishAllowed = options.turkishShift ?? true;
  const chars = Array.from(text);
  const escaped = new Set<string>();
  const turkish = new Set<string>();
  const notGsm = new Set<string>();
  for (const c of chars) {
    if (GSM_BASIC.has(c)) continue;
    if (GSM_EXTENSION.has(c)) escaped.add(c);
    else if (TURKISH_ONLY.has(c)) turkish.add(c);
    else notGsm.add(c);
  }
  const ucs2 = () => pack(chars.map((c) => c.length), CAPACITY.ucs2);
  const result = (
    head: Pick<SmsSegmentCount, 'encoding' | 'shiftTable' | 'unit'>, packed: Packed, escapedChars: string[], notGsmChars: string[], reason: string, ucs2Segments?: number,
  ): SmsSegmentCount => ({
    ...head, length: packed.length, characters: chars.length, segments: packed.segments, perSegment: packed.perSegment, remaining: packed.remaining,
    escaped: escapedChars, notGsm: notGsmChars, ...(ucs2Segments !== undefined ? { ucs2Segments } : {}), reason,
  });

  if (notGsm.size === 0 && turkish.size === 0) {
    const packed = pack(chars.map((c) => (GSM_EXTENSION.has(c) ? 2 : 1)), CAPACITY.gsm);
    const escapes = escaped.size > 0 ? `; ${list([...escaped])} ${escaped.size === 1 ? 'is' : 'are'} in its extension table and take 2 septets each` : '';
    return result(
      { encoding: 'GSM-7', shiftTable: 'default', unit: 'septet' }, packed, [...escaped], [],
      `GSM-7: every character is in the GSM 7-bit default alphabet${escapes}; ${plural(packed.length, 'septet')} in ${plural(packed.segments, 'segment')} (160 septets in one, 153 per part when split)`,
    );
  }

  if (notGsm.size === 0 && turkishAllowed) {
    const packed = pack(chars.map((c) => (GSM_BASIC.has(c) ? 1 : 2)), CAPACITY.turkish);
    const asUcs2 = ucs2();
    const shifted = [...turkish, ...escaped];
    return result(
      { encoding: 'GSM-7', shiftTable: 'turkish', unit: 'septet' }, packed, shifted, [],
      `GSM-7 with the Turkish single shift table: ${list([...turkish])} ${turkish.size === 1 ? 'is' : 'are'} not in the GSM 7-bit default alphabet but in the Turkish national language single shift table (3GPP TS 23.038 A.2.1), ` +
        `so each is sent as an escape plus a septet (2 septets) and the header names the table (155 septets in one segment, 149 per part); ` +
        `${plural(packed.length, 'septet')} in ${plural(packed.segments, 'segment')} (UCS-2 would take ${asUcs2.segments})`,
      asUcs2.segments,
    );
  }

  const packed = ucs2();
  const why = notGsm.size > 0
    ? `${list([...notGsm])} ${notGsm.size === 1 ? 'is' : 'are'} in no GSM 7-bit table`
    : `${list([...turkish])} need${turkish.size === 1 ? 's' : ''} the Turkish single shift table, which is turned off`;
  return result(
    { encoding: 'UCS-2', shiftTable: null, unit: 'utf16_code_unit' }, packed, [], notGsm.size > 0 ? [...notGsm] : [...turkish],
    `UCS-2: ${why}; ${plural(packed.length, 'UTF-16 code unit')} in ${plural(packed.segments, 'segment')} (70 in one, 67 per part when split)`,
  );
}
