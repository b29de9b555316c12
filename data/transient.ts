/**
 * Transient database failures: the request did nothing wrong and the same call may
 * succeed a moment later.
 *
 * - Write conflicts: FerretDB's SQLite backend answers concurrent writers with
 *   "database is locked (SQLITE_BUSY)" (code 1, InternalError) instead of waiting, e.g. two
 *   event batches upserting counters at once; MongoDB answers WriteConflict (112) or labels
 *   its own transient failures. Code that is safe to repeat may simply try again.
 * - Unavailability: no server to talk to (network errors, no primary, shutting down). The
 *   driver has already retried once; the API answers 503 with Retry-After.
 *
 * The driver and mongoose wrap errors (bulk writes carry one write error per document, a
 * `cause`, the raw `errorResponse`), so every layer is looked at.
 */

const BUSY = /SQLITE_BUSY|database is locked/i;
const WRITE_CONFLICT = 112;
const TRANSIENT_LABELS = ['RetryableWriteError', 'TransientTransactionError', 'RetryableError', 'SystemOverloadedError'];
/** Server codes the driver itself treats as retryable: a node down, stepping down or shutting down, a network failure between nodes. */
const UNAVAILABLE_CODES = new Set([6, 7, 89, 91, 134, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);
const UNAVAILABLE_NAMES = /^Mongo(ServerSelection|Network|NotConnected|PoolCleared|WaitQueueTimeout|TopologyClosed|ServerClosed|StalePrimary)/;

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  errmsg?: unknown;
  code?: unknown;
  codeName?: unknown;
  errorLabels?: unknown;
  errorLabelSet?: unknown;
  errorResponse?: unknown;
  cause?: unknown;
  err?: unknown;
  writeErrors?: unknown;
  writeConcernError?: unknown;
  errors?: unknown;
}

/** The error and everything it wraps, outermost first (bounded: wrapped errors can be cyclic). */
function layers(err: unknown): ErrorLike[] {
  const seen = new Set<unknown>();
  const out: ErrorLike[] = [];
  const visit = (e: unknown, depth: number) => {
    if (typeof e !== 'object' || e === null || seen.has(e) || depth > 4 || out.length > 50) return;
    seen.add(e);
    const x = e as ErrorLike;
    out.push(x);
    for (const inner of [x.cause, x.err, x.errorResponse, x.writeConcernError]) visit(inner, depth + 1);
    for (const list of [x.writeErrors, x.errors]) {
      if (Array.isArray(list)) for (const inner of list.slice(0, 20)) visit(inner, depth + 1);
      else visit(list, depth + 1);
    }
  };
  visit(err, 0);
  return out;
}

function labelsOf(e: ErrorLike): unknown[] {
  return e.errorLabelSet instanceof Set ? [...e.errorLabelSet] : Array.isArray(e.errorLabels) ? e.errorLabels : [];
}

function isBusyOrConflict(e: ErrorLike): boolean {
  if ((typeof e.message === 'string' && BUSY.test(e.message)) || (typeof e.errmsg === 'string' && BUSY.test(e.errmsg))) return true;
  if (e.code === WRITE_CONFLICT || e.codeName === 'WriteConflict') return true;
  return labelsOf(e).some((l) => TRANSIENT_LABELS.includes(String(l)));
}

/** A write (or read) that lost a race with another writer or hit a labelled transient failure: safe to try again if the call is idempotent. */
export function isTransientWriteError(err: unknown): boolean {
  return layers(err).some(isBusyOrConflict);
}

/** The database cannot be reached or cannot serve right now, including transient conflicts: the client should retry later. */
export function isDatabaseUnavailable(err: unknown): boolean {
  return layers(err).some(
    (e) => isBusyOrConflict(e) || (typeof e.name === 'string' && UNAVAILABLE_NAMES.test(e.name)) || (typeof e.code === 'number' && UNAVAILABLE_CODES.has(e.code)),
  );
}

/**
 * Runs `write` (which must be idempotent) until it succeeds, retrying transient failures with
 * jittered backoff. `mayRetry` can stop the retries early (e.g. once a response has started).
 */
export async function retryTransient<T>(write: () => Promise<T>, attempts = 8, mayRetry: () => boolean = () => true): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (attempt >= attempts || !isTransientWriteError(err) || !mayRetry()) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 25 * 2 ** attempt));
    }
  }
}
