/** Custom attribute types and names, shared by validation, segments and the API. */
export const ATTRIBUTE_TYPES = ['string', 'number', 'boolean', 'date', 'stringList'] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

export const ATTRIBUTE_MODES = ['strict', 'permissive'] as const;
export type AttributeMode = (typeof ATTRIBUTE_MODES)[number];

/** Letters, digits and `_`, starting with a letter: safe as a MongoDB field name (no `.` or `$`). */
export const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Limits that hold when a definition sets none. */
export const DEFAULT_MAX_STRING = 1000;
export const DEFAULT_MAX_LIST = 100;
