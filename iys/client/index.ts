/** The İYS client: what workers import. */
export { createIysClient, type IysClient, type IysClientOptions, type BatchRowResult, type BatchSubmission, type ChangesPage } from './client';
export { IysError, type IysErrorDetail } from './errors';
export { RateLimiter } from './rateLimiter';
export { createMemoryTokenStore, type IysToken, type TokenStore } from './tokenStore';
export { createMongoTokenStore } from './mongoTokenStore';
export { formatIysDate, parseIysDate, isTooOldToRegister } from '../dates';
