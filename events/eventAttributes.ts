/** Event attributes are typed by their value (no registry): each must be one of the attribute types, within its default limits. */
import { coerce, inferType, type AttributeValue } from '../attributes/coerce';
import { ATTRIBUTE_NAME } from '../domain/attributes';
import type { FieldIssue } from '../lib/invalidInput';

export function validateEventAttributes(input: Record<string, unknown>, pathPrefix: string): { values: Record<string, AttributeValue>; issues: FieldIssue[] } {
  const values: Record<string, AttributeValue> = {};
  const issues: FieldIssue[] = [];
  for (const [name, raw] of Object.entries(input)) {
    const path = `${pathPrefix}.${name}`;
    if (!ATTRIBUTE_NAME.test(name)) {
      issues.push({ path, message: 'attribute names are letters, digits and _, starting with a letter (at most 64)' });
      continue;
    }
    const type = inferType(raw);
    const result = type ? coerce({ type }, raw) : { error: 'must be a string, number, boolean, ISO date or list of strings' };
    if ('error' in result) issues.push({ path, message: result.error });
    else values[name] = result.value;
  }
  return { values, issues };
}
