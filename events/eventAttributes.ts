/** Event attributes are typed by their value (no registry): each must be one of the attribute types, within its default limits. */
import { coerce, inferType, type AttributeValue } from '../attributes/coerce';
import { attributeNameProblem } from '../attributes/names';
import type { FieldIssue } from '../lib/invalidInput';

export function validateEventAttributes(input: Record<string, unknown>, pathPrefix: string): { values: Record<string, AttributeValue>; issues: FieldIssue[] } {
  // No prototype: a name is only ever a key of its own (attributes/names.ts refuses the built-in ones anyway).
  const values: Record<string, AttributeValue> = Object.create(null);
  const issues: FieldIssue[] = [];
  for (const [name, raw] of Object.entries(input)) {
    const path = `${pathPrefix}.${name}`;
    const problem = attributeNameProblem(name);
    if (problem) {
      issues.push({ path, message: problem });
      continue;
    }
    const type = inferType(raw);
    const result = type ? coerce({ type }, raw) : { error: 'must be a string, number, boolean, ISO date or list of strings' };
    if ('error' in result) issues.push({ path, message: result.error });
    else values[name] = result.value;
  }
  return { values, issues };
}
