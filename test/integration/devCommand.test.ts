/**
 * The README's run command, as a person runs it: `npm run dev` (dev.ts) in its own
 * process with its own Temporal, FerretDB and SMTP sink, driven over HTTP with the fixed
 * PORT and ROTA_DEMO_API_KEY, then stopped with Ctrl-C (SIGINT), leaving nothing running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../infra/stack';
import { eventually } from '../support/harness';

const KEY = 'rota_devtest1_abcdefghijklmnopqrstuvwxyz12';
let dev: ChildProcess;
let output = '';
let api: string;

async function call(method: string, p: string, body?: unknown) {
  const res = await fetch(`${api}${p}`, { method, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

beforeAll(async () => {
  const port = await freePort();
  api = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), ROTA_DEMO_API_KEY: KEY, ROTA_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'rota-dev-')), LOG_LEVEL: 'warn' };
  for (const k of ['TEMPORAL_ADDRESS', 'MONGODB_URI', 'SMTP_URL']) delete env[k];
  dev = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../dev.ts')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  dev.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  dev.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await eventually(async () => output.includes('Rota is running.'), 90_000);
});

afterAll(() => {
  if (dev.exitCode === null) dev.kill('SIGKILL');
});

test('it prints the API, docs and Temporal UI URLs and the demo key', () => {
  expect(output).toContain(`API            ${api}`);
  expect(output).toContain(`API docs       ${api}/docs`);
  expect(output).toMatch(/Temporal UI {4}http:\/\/127\.0\.0\.1:\d+/);
  expect(output).toContain(`Demo API key   ${KEY}`);
});

test('/readyz is 200 and the walkthrough ends as the README says', async () => {
  expect((await call('GET', '/readyz')).status).toBe(200);
  await call('POST', '/v1/profiles', { externalId: 'ayse', msisdn: '0532 123 45 67', devices: [{ token: 'sim-delivers-ayse', platform: 'android' }] });
  await call('POST', '/v1/profiles', { externalId: 'mehmet', msisdn: '+905329876543', devices: [{ token: 'sim-silent-mehmet', platform: 'ios' }] });
  const ids: Record<string, string> = {};
  // ayse's receipt must win however slow this machine is, so her fallback is long; it ends as soon as the receipt comes.
  for (const [who, fallbackAfterSeconds] of [['ayse', 120], ['mehmet', 3]] as const) {
    const res = await call('POST', '/v1/messages', { to: { externalId: who }, push: { title: 'Siparişiniz yolda', body: 'Kargo bugün geliyor' }, fallbackAfterSeconds });
    expect(res.status).toBe(202);
    ids[who] = res.body.id;
  }
  const outcome = async (id: string) =>
    eventually(async () => {
      const m = (await call('GET', `/v1/messages/${id}`)).body;
      return m.status !== 'accepted' && m.status !== 'push_sent' ? m.outcome : undefined;
    });
  expect(await outcome(ids.ayse!)).toBe('delivered by push');
  expect(await outcome(ids.mehmet!)).toBe('SMS sent after push timeout');
});

test('Ctrl-C stops everything it started', async () => {
  const temporalPort = Number(/Temporal: dev server .* at 127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
  const mongoPort = Number(/FerretDB .* at mongodb:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
  expect(temporalPort).toBeGreaterThan(0);
  expect(await portOpen(temporalPort)).toBe(true);
  dev.kill('SIGINT');
  const code = await new Promise((r) => dev.once('exit', (c) => r(c)));
  expect(code).toBe(0);
  for (const port of [temporalPort, mongoPort, Number(new URL(api).port)]) expect(await portOpen(port)).toBe(false);
});
