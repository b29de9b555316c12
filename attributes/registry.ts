/**
 * The attribute registry of an app: validates profile attribute writes against the typed
 * definitions, and in permissive mode registers unknown attributes with their inferred
 * type. Nothing is registered when any value of the request is invalid.
 */
import type { Db } from '../data/db';
import { isDuplicateKey } from '../data/db';
import type { AttributeDefinitionDoc } from '../data/models/attributeDefinitions';
import { ATTRIBUTE_NAME, type AttributeMode } from '../domain/attributes';
import { scopedId } from '../lib/ids';
import type { FieldIssue } from '../lib/invalidInput';
import { coerce, inferType, type AttributeValue } from './coerce';
import { attributeNameProblem } from './names';

export async function appAttributeMode(db: Db, appId: string): Promise<AttributeMode> {
  const app = await db.apps.findById(appId, { settings: 1 }).lean();
  return app?.settings?.attributeMode ?? 'permissive';
}

/** The definitions of `names` that exist; a name no definition can have (empty, with `.` or `$`) is simply not found. */
export async function definitionsOf(db: Db, appId: string, names: string[]): Promise<Map<string, AttributeDefinitionDoc>> {
  const definable = names.filter((n) => ATTRIBUTE_NAME.test(n));
  if (definable.length === 0) return new Map();
  const defs = await db.attributeDefinitions.find({ _id: { $in: definable.map((n) => scopedId(appId, n)) } }).lean();
  return new Map(defs.map((d) => [d.name, d]));
}

/**
 * Checks `input` (name → value; `null` removes the attribute) and answers the values to
 * store, or every issue found, each with its field path.
 */
export async function validateAttributes(
  db: Db,
  appId: string,
  input: Record<string, unknown>,
  pathPrefix: string,
): Promise<{ values: Record<string, AttributeValue | null>; issues: FieldIssue[] }> {
  const names = Object.keys(input);
  const issues: FieldIssue[] = [];
  // No prototype: a name is only ever a key of its own (the built-in names are refused below anyway).
  const values: Record<string, AttributeValue | null> = Object.create(null);
  const defs = await definitionsOf(db, appId, names);
  const mode = defs.size < names.length ? await appAttributeMode(db, appId) : 'permissive';
  const toRegister: AttributeDefinitionDoc[] = [];

  for (const name of names) {
    const path = `${pathPrefix}.${name}`;
    const raw = input[name];
    // Also in permissive mode, and also for a name defined before such names were refused.
    const problem = attributeNameProblem(name);
    if (problem) {
      issues.push({ path, message: problem });
      continue;
    }
    if (raw === null) {
      values[name] = null;
      continue;
    }
    let def = defs.get(name);
    if (!def) {
      if (mode === 'strict') {
        issues.push({ path, message: 'unknown attribute (this app is in strict mode: define it first with POST /v1/attributes)' });
        continue;
      }
      const type = inferType(raw);
      if (!type) {
        issues.push({ path, message: 'must be a string, number, boolean, ISO date or list of strings' });
        continue;
      }
      def = { _id: scopedId(appId, name), appId, name, type, origin: 'inferred', createdAt: new Date() };
      toRegister.push(def);
    }
    const result = coerce(def, raw);
    if ('error' in result) issues.push({ path, message: `${result.error} (${def.type} attribute)` });
    else values[name] = result.value;
  }
  if (issues.length > 0) return { values: {}, issues };

  for (const def of toRegister) {
    try {
      await db.attributeDefinitions.create(def);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      // Registered by a concurrent first use: its type decides.
      const winner = (await definitionsOf(db, appId, [def.name])).get(def.name)!;
      const result = coerce(winner, input[def.name]);
      if ('error' in result) issues.push({ path: `${pathPrefix}.${def.name}`, message: `${result.error} (${winner.type} attribute)` });
    }
  }
  return issues.length > 0 ? { values: {}, issues } : { values, issues };
}
