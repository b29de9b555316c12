/**
 * The HTTP edge's pure parts: how database failures map to answers (SQLITE_BUSY cannot be
 * produced on demand against a real server), the read retry, and the token bucket.
 */
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MongoNetworkError, MongoNetworkTimeoutError, MongoNotConnectedError, MongoServerError } from 'mongodb';
import { errorMiddleware } from '../../api/errors';
import { createTokenBuckets } from '../../api/rateLimit';
import { mountRoutes, route } from '../../api/routing';
import { isTransientWriteError } from '../../data/transient';

/** What the error middleware answers for `err`. */
function answer(err: unknown): { status: number; headers: Record<string, string>; body: any } {
  const out = { status: 0, headers: {} as Record<string, string>, body: undefined as any };
  const res = {
    headersSent: false,
    status(s: number) { out.status = s; return res; },
    set(h: Record<string, string>) { Object.assign(out.headers, h); return res; },
    json(b: unknown) { out.body = b; return res; },
  };
  const req = { complete: true, readableEnded: true, listenerCount: () => 0, log: { error() {} } };
  errorMiddleware(err, req as never, res as never, () => undefined);
  return out;
}

const busy = (errmsg: string) => new MongoServerError({ errmsg, code: 1, codeName: 'InternalError' });

const unavailable: [string, unknown][] = [
  ["FerretDB's SQLITE_BUSY (code 1 InternalError)", busy('sqlite: step: database is locked (5) (SQLITE_BUSY)')],
  ["'database is locked' without the code name", busy('database is locked')],
  ['a busy error wrapped in another', new Error('upsert failed', { cause: busy('database is locked') })],
  ['a bulk write whose first error is a duplicate and a later one a lock', { name: 'MongoBulkWriteError', code: 11000, message: 'E11000 duplicate key error', writeErrors: [{ code: 11000, errmsg: 'E11000 duplicate key error' }, { code: 1, errmsg: 'database is locked' }] }],
  ['a single bulk write error given as an object', { name: 'MongoBulkWriteError', code: 1, message: 'write failed', writeErrors: { code: 1, errmsg: 'SQLITE_BUSY' } }],
  ['a MongoDB write conflict', new MongoServerError({ errmsg: 'WriteConflict error: this operation conflicted with another operation', code: 112, codeName: 'WriteConflict' })],
  ['a labelled retryable write error', new MongoServerError({ errmsg: 'interrupted', code: 11602, errorLabels: ['RetryableWriteError'] })],
  ['no primary (NotWritablePrimary)', new MongoServerError({ errmsg: 'not primary', code: 10107, codeName: 'NotWritablePrimary' })],
  ['shutting down', new MongoServerError({ errmsg: 'shutdown in progress', code: 91, codeName: 'ShutdownInProgress' })],
  ['a network error', new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed')],
  ['a network timeout', new MongoNetworkTimeoutError('connection timed out')],
  ['a client not connected', new MongoNotConnectedError('client must be connected')],
];

test.each(unavailable)('%s is a 503 with Retry-After and the JSON error body, never a 500', (_name, err) => {
  const res = answer(err);
  expect(res.status).toBe(503);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(res.body).toEqual({ error: { code: 'unavailable', message: expect.any(String), details: [] } });
});

test('lock failures and write conflicts are retryable writes; an unreachable server is not retried by the caller', () => {
  for (const [, err] of unavailable.slice(0, 7)) expect(isTransientWriteError(err)).toBe(true);
  expect(isTransientWriteError(new MongoNetworkError('closed'))).toBe(false);
});

test.each([
  ['a plain bug', 500, new Error('boom')],
  ['a server error that is not transient', 500, new MongoServerError({ errmsg: 'unknown operator: $foo', code: 2, codeName: 'BadValue' })],
  ['a duplicate key alone', 409, new MongoServerError({ errmsg: 'E11000 duplicate key error', code: 11000 })],
  ['a URI decoding failure', 400, Object.assign(new URIError("Failed to decode param '%E0%A4%A'"), { status: 400 })],
])('%s answers %d', (_name, status, err) => {
  expect(answer(err).status).toBe(status);
});

describe('reads are retried after a lost race, writes are not', () => {
  let server: http.Server;
  let url: string;
  const calls = { read: 0, write: 0, streamed: 0 };
  beforeAll(async () => {
    const app = express();
    app.use(
      mountRoutes(
        [
          route({ method: 'get', path: '/read', tag: 't', access: 'public', summary: 'read', responses: {}, handler: ({ res }) => {
            if (++calls.read < 3) throw busy('database is locked');
            res.json({ ok: true });
          } }),
          route({ method: 'post', path: '/write', tag: 't', access: 'public', summary: 'write', responses: {}, handler: () => {
            calls.write++;
            throw busy('database is locked');
          } }),
          route({ method: 'get', path: '/streamed', tag: 't', access: 'public', summary: 'streamed', responses: {}, handler: ({ res }) => {
            calls.streamed++;
            res.write('partial');
            throw busy('database is locked');
          } }),
        ],
        { authenticate: () => { throw new Error('no key routes here'); } },
      ),
    );
    app.use(errorMiddleware);
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((r) => server.close(() => r())));

  test('a GET that lost to a writer is answered after a retry', async () => {
    const res = await fetch(`${url}/read`);
    expect(res.status).toBe(200);
    expect(calls.read).toBe(3);
  });

  test('a POST that lost to a writer is a 503 with Retry-After, run once', async () => {
    const res = await fetch(`${url}/write`, { method: 'POST' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(calls.write).toBe(1);
  });

  test('an answer already started is neither retried nor passed off as complete', async () => {
    await expect(fetch(`${url}/streamed`).then((r) => r.text())).rejects.toThrow();
    expect(calls.streamed).toBe(1);
  });
});

describe('token bucket', () => {
  test('a burst, then one request per refilled token, with the seconds to wait', () => {
    let now = 1_000_000;
    const buckets = createTokenBuckets({ perSecond: 2, burst: 3 }, () => now);
    expect([1, 2, 3].map(() => buckets.take('k').ok)).toEqual([true, true, true]);
    expect(buckets.take('k')).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(buckets.take('other').ok).toBe(true);
    now += 500;
    expect(buckets.take('k').ok).toBe(true);
    expect(buckets.take('k').ok).toBe(false);
    now += 60_000;
    expect([1, 2, 3, 4].map(() => buckets.take('k').ok)).toEqual([true, true, true, false]);
  });

  test('a slow refill says how long to wait; a rate of 0 is no limit', () => {
    const slow = createTokenBuckets({ perSecond: 0.01, burst: 1 }, () => 0);
    expect(slow.take('k').ok).toBe(true);
    expect(slow.take('k')).toEqual({ ok: false, retryAfterSeconds: 100 });
    const off = createTokenBuckets({ perSecond: 0, burst: 1 }, () => 0);
    expect([1, 2, 3].every(() => off.take('k').ok)).toBe(true);
  });
});
