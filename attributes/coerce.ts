/** Checking one attribute value against its definition, and guessing the type of a new one. Pure. */
import type { AttributeDefinitionDoc } from '../data/models/attributeDefinitions';
import { DEFAULT_MAX_LIST, DEFAULT_MAX_STRING, type AttributeType } from '../domain/attributes';

export type AttributeValue = string | number | boolean | Date | string[];
export type Definition = Pick<AttributeDefinitionDoc, 'type' | 'allowed' | 'min' | 'max' | 'maxLength'>;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** The type a first value implies (permissive mode): ISO-8601 strings are dates. */
export function inferType(value: unknown): AttributeType | undefined {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number' && Number.isFinite(value)) return 'number';
  if (typeof value === 'string') return ISO_DATE.test(value) && !Number.isNaN(Date.parse(value)) ? 'date' : 'string';
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return 'stringList';
  return undefined;
}

/** The stored form of `value`, or why it does not fit `def`. */
export function coerce(def: Definition, value: unknown): { value: AttributeValue } | { error: string } {
  switch (def.type) {
    case 'string': {
      if (typeof value !== 'string') return { error: 'must be a string' };
      const max = def.maxLength ?? DEFAULT_MAX_STRING;
      if (value.length > max) return { error: `must be at most ${max} characters` };
      if (def.allowed && !def.allowed.includes(value)) return { error: `must be one of ${def.allowed.join(', ')}` };
      return { value };
    }
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return { error: 'must be a number' };
      if (def.min !== undefined && value < def.min) return { error: `must be at least ${def.min}` };
      if (def.max !== undefined && value > def.max) return { error: `must be at most ${def.max}` };
      return { value };
    case 'boolean':
      return typeof value === 'boolean' ? { value } : { error: 'must be true or false' };
    case 'date': {
      if (typeof value !== 'string' || !ISO_DATE.test(value) || Number.isNaN(Date.parse(value))) return { error: 'must be an ISO-8601 date or date-time' };
      return { value: new Date(value) };
    }
    case 'stringList': {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return { error: 'must be a list of strings' };
      const max = def.maxLength ?? DEFAULT_MAX_LIST;
      if (value.length > max) return { error: `must have at most ${max} items` };
      const bad = def.allowed ? value.find((v) => !def.allowed!.includes(v)) : value.find((v) => v.length > DEFAULT_MAX_STRING);
      if (bad !== undefined) return { error: def.allowed ? `"${bad}" is not one of ${def.allowed.join(', ')}` : `items must be at most ${DEFAULT_MAX_STRING} characters` };
      return { value };
    }
  }
}
