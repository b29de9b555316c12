/**
 * The HTTP edge, probed from outside: bad percent-encoding, wrong content types, bodies
 * sent without a key, per-key rate limits and the protected /metrics.
 */
import http from 'node:http';
import { startApi, type RunningApi } from '../../api/server';
import { loadConfig } from '../../config';
import { saveApiKey } from '../../tenants/apiKeys';
import { startHarness, type Harness } from '../support/harness';

const METRICS_TOKEN = 'metrics-token-for-the-scraper-0123';
const BAD = '%E0%A4%A';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

let h: Harness;
// A second API on the same database with a tiny token bucket (3 requests, then one more every 1000 s) and no metrics token.
let limited: RunningApi;

beforeAll(async () => {
  h = await startHarness('httpEdge', { worker: false, env: { ROTA_METRICS_TOKEN: METRICS_TOKEN } });
  limited = await startApi(loadConfig({ ...h.env, PORT: '0', ROTA_METRICS_TOKEN: '', ROTA_RATE_LIMIT_BURST: '3', ROTA_RATE_LIMIT_PER_SECOND: '0.001' }));
  expect((await h.call('POST', '/v1/profiles', { externalId: 'known' })).status).toBe(201);
});
afterAll(async () => {
  await limited?.close();
  await h?.close();
});

async function counts() {
  return { profiles: await h.db.profiles.countDocuments({ appId: 'demo' }), changes: await h.db.consentChanges.countDocuments({ appId: 'demo' }) };
}

describe('a badly percent-encoded path parameter', () => {
  test('GET /v1/profiles/%E0%A4%A is a 400 naming params.externalId', async () => {
    const res = await h.call('GET', `/v1/profiles/${BAD}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details).toEqual([{ path: 'params.externalId', message: expect.stringContaining('percent-encoded') }]);
  });

  test('every route with a path parameter answers 400 naming it, with or without a key, writing nothing', async () => {
    const doc = (await h.call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const before = await counts();
    let checked = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      for (const bad of names) {
        const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === bad ? BAD : 'x'));
        for (const method of Object.keys(methods)) {
          for (const headers of [bearer(h.apiKey), {}]) {
            const res = await h.call(method.toUpperCase(), url, method === 'get' || method === 'delete' ? undefined : {}, headers);
            expect({ method, url, status: res.status, paths: res.body?.error?.details?.map((d: { path: string }) => d.path) }).toEqual({ method, url, status: 400, paths: [`params.${bad}`] });
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(await counts()).toEqual(before);
  });
});

describe('content types', () => {
  test('a valid JSON body sent as text/plain is a 415 naming the type sent and the one expected; nothing written', async () => {
    const before = await counts();
    const res = await h.call('POST', '/v1/profiles', { externalId: 'plain' }, { ...bearer(h.apiKey), 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
    expect(res.body.error.message).toContain('text/plain');
    expect(res.body.error.message).toContain('application/json');
    expect(res.body.error.details).toEqual([{ path: 'headers.content-type', message: expect.any(String) }]);
    // A form post (what curl -d sends without -H) and a body with no content type at all are refused the same way.
    const form = await h.call('POST', '/v1/profiles', 'externalId=plain', { ...bearer(h.apiKey), 'content-type': 'application/x-www-form-urlencoded' });
    expect([form.status, form.body.error.message]).toEqual([415, expect.stringContaining('application/x-www-form-urlencoded')]);
    const untyped = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${h.api.url}/v1/profiles`, { method: 'POST', headers: { ...bearer(h.apiKey), 'content-length': '22' } }, (r) => {
        r.resume();
        resolve(r.statusCode!);
      });
      req.on('error', reject);
      req.end('{"externalId":"plain"}');
    });
    expect(untyped).toBe(415);
    expect(await counts()).toEqual(before);
  });

  test('JSON with a charset is still JSON', async () => {
    const res = await h.call('POST', '/v1/profiles', { externalId: 'charset' }, { ...bearer(h.apiKey), 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(201);
  });

  test('the consent import still takes CSV as text/csv and as text/plain, and JSON', async () => {
    const csv = 'externalId,type,status,recipientType,source,consentDate\nnobody,MESAJ,ONAY,BIREYSEL,HS_WEB,2020-01-01T10:00:00+03:00\n';
    for (const type of ['text/csv', 'text/plain; charset=utf-8']) {
      const res = await h.call('POST', '/v1/consents/import', csv, { ...bearer(h.apiKey), 'content-type': type });
      expect({ type, status: res.status, rows: res.body.results?.length }).toEqual({ type, status: 200, rows: 1 });
    }
    const json = await h.call('POST', '/v1/consents/import', { rows: [{ externalId: 'nobody', type: 'MESAJ', status: 'ONAY', source: 'HS_WEB', consentDate: '2020-01-01T10:00:00+03:00' }] });
    expect([json.status, json.body.results?.length]).toEqual([200, 1]);
    const xml = await h.call('POST', '/v1/consents/import', '<rows/>', { ...bearer(h.apiKey), 'content-type': 'application/xml' });
    expect(xml.status).toBe(415);
    expect(xml.body.error.message).toContain('text/csv');
  });

  test('a request without a body is never a 415', async () => {
    expect((await h.call('GET', '/v1/profiles/known', undefined, { ...bearer(h.apiKey), 'content-type': 'text/plain' })).status).toBe(200);
    // POST with an empty body: the schema names what is missing.
    const empty = await h.call('POST', '/v1/profiles', '', { ...bearer(h.apiKey), 'content-type': 'text/plain' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details.map((d: { path: string }) => d.path)).toContain('body.externalId');
    const none = await h.call('POST', '/v1/profiles', undefined);
    expect(none.status).toBe(400);
  });
});

describe('authentication comes before the body', () => {
  /** Sends the headers of a `size`-byte POST and one chunk of it, and waits for the answer while the rest is still unsent. */
  function answerWhileStreaming(path: string, size: number, headers: Record<string, string>): Promise<{ status: number; body: any; sent: number }> {
    return new Promise((resolve, reject) => {
      let sent = 0;
      const req = http.request(`${h.api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(size), ...headers } });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode!, body: JSON.parse(text), sent });
        });
      });
      // The server may close the connection once it has answered: that is the point.
      req.on('error', (err) => (sent < size ? undefined : reject(err)));
      const chunk = Buffer.alloc(64 * 1024, ' ');
      req.write('{"events":[', () => (sent += 11));
      req.write(chunk, () => (sent += chunk.length));
      // Nothing more is sent until the server answers: a server that reads the whole body first never answers.
      const deadline = setTimeout(() => {
        req.destroy();
        reject(new Error('no answer before the body was complete: the body is read before the key is checked'));
      }, 20_000);
      req.on('close', () => clearTimeout(deadline));
    });
  }

  test('a 19 MB body with no key gets 401 while it is still being sent', async () => {
    const res = await answerWhileStreaming('/v1/events', 19 * 1024 * 1024, {});
    expect(res.status).toBe(401);
    expect(res.body.error.details[0].path).toBe('headers.authorization');
    expect(res.sent).toBeLessThan(19 * 1024 * 1024);
  });

  test('a wrong key and a key without the role are answered before the body too', async () => {
    expect((await answerWhileStreaming('/v1/consents/import', 19 * 1024 * 1024, bearer('rota_abcdefgh_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345'))).status).toBe(401);
    const compliance = await saveApiKey(h.db, { appId: 'demo', name: 'auditor', roles: ['compliance'] });
    expect((await answerWhileStreaming('/v1/events', 19 * 1024 * 1024, bearer(compliance))).status).toBe(403);
  });

  test('a public route (device receipts) still reads its small body', async () => {
    const res = await h.call('POST', '/v1/receipts', { appId: 'demo', messageId: '00000000-0000-4000-8000-000000000000', token: 'forged', status: 'delivered' }, {});
    expect(res.status).toBe(401);
    expect(res.body.error.details[0].path).toBe('body.token');
    const invalid = await h.call('POST', '/v1/receipts', { appId: 'demo' }, {});
    expect(invalid.status).toBe(400);
  });
});

describe('rate limit per API key', () => {
  async function onLimited(path: string, key: string) {
    const res = await fetch(`${limited.url}${path}`, { headers: bearer(key) });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
  }

  test('the request after the burst is a 429 with Retry-After and the JSON error body; another key has its own bucket', async () => {
    const key = await saveApiKey(h.db, { appId: 'demo', name: 'limited', roles: ['ingest'] });
    for (let i = 0; i < 3; i++) expect((await onLimited('/v1/profiles/known', key)).status).toBe(200);
    const refused = await onLimited('/v1/profiles/known', key);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refused.body.error).toEqual({ code: 'rate_limited', message: expect.stringContaining('rate limit'), details: [] });
    // A request with a body is refused before the body is read, and writes nothing.
    const before = await counts();
    const post = await fetch(`${limited.url}/v1/profiles`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: JSON.stringify({ externalId: 'over-limit' }) });
    expect(post.status).toBe(429);
    expect(await counts()).toEqual(before);

    const other = await saveApiKey(h.db, { appId: 'demo', name: 'other', roles: ['ingest'] });
    expect((await onLimited('/v1/profiles/known', other)).status).toBe(200);
    // Probes take no key and are not limited.
    for (let i = 0; i < 5; i++) expect((await fetch(`${limited.url}/healthz`)).status).toBe(200);
  });

  test('the default is generous, and ROTA_RATE_LIMIT_PER_SECOND=0 turns it off', () => {
    const defaults = loadConfig(h.env);
    expect(defaults.ROTA_RATE_LIMIT_PER_SECOND).toBeGreaterThanOrEqual(100);
    expect(defaults.ROTA_RATE_LIMIT_BURST).toBeGreaterThanOrEqual(defaults.ROTA_RATE_LIMIT_PER_SECOND);
    expect(loadConfig({ ...h.env, ROTA_RATE_LIMIT_PER_SECOND: '0' }).ROTA_RATE_LIMIT_PER_SECOND).toBe(0);
    expect(() => loadConfig({ ...h.env, ROTA_RATE_LIMIT_BURST: '0' })).toThrow(/ROTA_RATE_LIMIT_BURST/);
  });
});

describe('/metrics', () => {
  const scrape = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}/metrics`, { headers });
    return { status: res.status, text: await res.text() };
  };

  test('401 without the metrics token or the platform key; 200 with either', async () => {
    expect((await scrape(h.api.url)).status).toBe(401);
    expect((await scrape(h.api.url, bearer(h.apiKey))).status).toBe(401);
    expect((await scrape(h.api.url, bearer('wrong-token'))).status).toBe(401);
    const withToken = await scrape(h.api.url, bearer(METRICS_TOKEN));
    expect(withToken.status).toBe(200);
    // Counted by route pattern, never by URL.
    expect(withToken.text).toMatch(/rota_http_request_duration_seconds_count\{method="GET",route="\/v1\/profiles\/:externalId",status="200"\} \d+/);
    expect((await scrape(h.api.url, bearer(h.platformKey))).status).toBe(200);
  });

  test('with no metrics token configured only the platform key works', async () => {
    expect((await scrape(limited.url, bearer(METRICS_TOKEN))).status).toBe(401);
    expect((await scrape(limited.url, bearer(h.platformKey))).status).toBe(200);
  });
});
