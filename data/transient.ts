/**
 * Transient write conflicts. FerretDB's SQLite backend answers concurrent writers with
 * "database is locked (SQLITE_BUSY)" instead of waiting, e.g. two event batches upserting
 * counters at once; MongoDB labels its own transient failures. Either way the write may
 * simply be tried again, by code that is safe to repeat.
 */
export function isTransientWriteError(err: unknown): boolean {
  const e = err as { message?: unknown; errorLabels?: unknown; errorLabelSet?: unknown };
  if (typeof e?.message === 'string' && e.message.includes('SQLITE_BUSY')) return true;
  const labels = e?.errorLabelSet instanceof Set ? [...e.errorLabelSet] : Array.isArray(e?.errorLabels) ? e.errorLabels : [];
  return labels.includes('RetryableWriteError') || labels.includes('TransientTransactionError');
}

/** Runs `write` (which must be idempotent) until it succeeds, retrying transient failures with jittered backoff. */
export async function retryTransient<T>(write: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (attempt >= attempts || !isTransientWriteError(err)) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 25 * 2 ** attempt));
    }
  }
}
