/** Roles an API key can hold; every route names the one it needs. */
export const ROLES = ['ingest', 'designer', 'operator', 'compliance', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** `rota_<8 lowercase letters or digits>_<24+ letters or digits>`: id, then secret. */
export const API_KEY_FORMAT = /^rota_([a-z0-9]{8})_([A-Za-z0-9]{24,})$/;
