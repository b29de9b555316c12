/**
 * Phone numbers to E.164. Turkish national forms are accepted because Turkish users type
 * them: `05xx xxx xx xx`, `5xx xxx xx xx`, `905xxxxxxxxx`, `0090…`; anything else must
 * already be E.164 (`+` and 8 to 15 digits).
 */
export function normalizeMsisdn(input: string): string | undefined {
  const compact = input.replace(/[\s\-().]/g, '');
  if (/^\+[1-9]\d{7,14}$/.test(compact)) return compact;
  const digits = compact.replace(/^00/, '');
  if (/^905\d{9}$/.test(digits)) return `+${digits}`;
  if (/^05\d{9}$/.test(digits)) return `+9${digits}`;
  if (/^5\d{9}$/.test(digits)) return `+90${digits}`;
  return undefined;
}
