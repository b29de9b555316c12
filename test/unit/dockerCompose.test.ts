/** docker-compose.yml cannot run here (no Docker engine), so its wiring is checked against config.ts. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../config';

const compose = parse(readFileSync(path.join(__dirname, '../../docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: string; environment?: Record<string, string>; command?: string[] }>;
};
const configKeys = Object.keys(configSchema.shape);

test('it runs Temporal, MongoDB 7, Mailpit, the simulators, the API and the worker', () => {
  expect(Object.keys(compose.services).sort()).toEqual(['api', 'mailpit', 'mongo', 'simulators', 'temporal', 'worker']);
  expect(compose.services.mongo!.image).toMatch(/^mongo:7/);
  expect(compose.services.temporal!.image).toMatch(/^temporalio\//);
  expect(compose.services.mailpit!.image).toMatch(/^axllent\/mailpit/);
  expect(compose.services.api!.command).toEqual(['npm', 'run', 'api']);
  expect(compose.services.worker!.command).toEqual(['npm', 'run', 'worker']);
});

test.each(['api', 'worker'])('%s gets only variables config.ts knows, and enough of them to boot', (name) => {
  const env = compose.services[name]!.environment!;
  for (const key of Object.keys(env)) expect(configKeys).toContain(key);
  // What a user passes for the variables compose requires (`${X:?…}`); defaults (`${X:-d}`) as written.
  const given: Record<string, string> = { RECEIPT_SECRET: 'a-secret-of-16-chars+', ROTA_DEMO_API_KEY: 'rota_demo0001_abcdefghijklmnopqrstuvwxyz12' };
  const resolved = Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{(\w+):-([^}]*)\}/g, '$2').replace(/\$\{(\w+):\?[^}]*\}/g, (_m, name: string) => given[name]!)]),
  );
  expect(() => loadConfig(resolved)).not.toThrow();
});

test('the addresses point at the compose services', () => {
  const env = compose.services.worker!.environment!;
  const hosts = [env.MONGODB_URI, env.TEMPORAL_ADDRESS, env.SMTP_URL, env.FCM_URL, env.APNS_URL, env.SMS_PROVIDER_URL].map((v) => /^(?:\w+:\/\/)?([^:/]+)/.exec(v!)![1]);
  for (const host of hosts) expect(Object.keys(compose.services)).toContain(host);
});
