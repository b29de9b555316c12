/** Calls to Rota's API (the same origin that served the page), with the session's key. */
import { sessionKey } from './session';

export class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details: { path?: string; message: string }[] = []) {
    super(message);
  }
}

/** Told when the key stops working (revoked while the page is open): the console signs out. */
let onUnauthorized: () => void = () => {};
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

export async function api<T>(method: string, path: string, body?: unknown, key = sessionKey()): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const e = (parsed as { error?: { code?: string; message?: string; details?: { path?: string; message: string }[] } } | undefined)?.error;
    if (res.status === 401 && key === sessionKey()) onUnauthorized();
    throw new ApiFailure(res.status, e?.code ?? `http_${res.status}`, e?.message ?? res.statusText, e?.details ?? []);
  }
  return parsed as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body);
