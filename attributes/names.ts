/**
 * Which attribute names are accepted, for profile attributes (registry and definitions),
 * event attributes and segment rules alike. A name must be a safe MongoDB field name (no
 * `.`, no leading `$`: ATTRIBUTE_NAME) and must not be a member every JavaScript object has
 * (`constructor`, `toString`, `__proto__`, …): code that holds attributes in an object would
 * read the built-in for every profile without the attribute, or drop the value silently.
 */
import { z } from 'zod';
import { ATTRIBUTE_NAME } from '../domain/attributes';

export const ATTRIBUTE_NAME_HINT = 'letters, digits and _, starting with a letter (at most 64)';

const RESERVED: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__']);

/** Why `name` cannot be an attribute name, or undefined when it can. */
export function attributeNameProblem(name: string): string | undefined {
  if (RESERVED.has(name)) return `${name} is reserved (every JavaScript object has a member of that name); choose another attribute name`;
  if (!ATTRIBUTE_NAME.test(name)) return `attribute names are ${ATTRIBUTE_NAME_HINT}`;
  return undefined;
}

/** An attribute name in a request: refused with the reason, naming it. */
export const attributeNameSchema = z.string().superRefine((name, ctx) => {
  const problem = attributeNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * A request's name → value map of attributes, at most `max` of them. zod builds records
 * without an own `__proto__` key and says nothing; this names every unacceptable key of the
 * raw input instead. Values are checked later (against the registry, or by their type).
 */
export function attributeMapSchema(max: number, tooMany = `at most ${max} attributes`) {
  // A preprocess step sees the raw input; the record after it is what is documented.
  return z.preprocess((raw, ctx) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw; // the record names the type
    const names = Object.keys(raw);
    for (const name of names) {
      const problem = attributeNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem, input: raw });
    }
    if (names.length > max) ctx.addIssue({ code: 'custom', message: tooMany, input: raw });
    return raw;
  }, z.record(z.string(), z.unknown()));
}
