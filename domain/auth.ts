/** Roles an API key can hold; every route names the one it needs. */
export const ROLES = ['ingest', 'designer', 'operator', 'compliance', 'admin'] as const;
export type Role = (typeof ROLES)[number];
