/**
 * Batch sends: N recipients through the batch activity (activities/sendBatch.ts: profile
 * reads, the gate, rendering, the bulk claim, the shared rate limiter, provider calls,
 * recorded outcomes) in batches of 500 to the FCM simulator, against the raw floor: a plain
 * loop that reads the same profiles by `_id` and posts the same payloads through the same
 * adapter with the same concurrency, recording nothing. Both in this process, on the same
 * servers, in one run. Also prints the configured rate limit and the simulator's busiest second.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBatchActivities, MAX_BATCH_RECIPIENTS } from '../activities/sendBatch';
import { connectDb } from '../data/db';
import { DEFAULT_DELIVERY_SETTINGS, saveDeliverySettings } from '../gate/settings';
import type { Stack } from '../infra/stack';
import { forEachLimit } from '../lib/forEachLimit';
import { createPushAdapters } from '../providers/pushAdapters';
import { startFcmSimulator } from '../simulators/fcmSimulator';
import { generateSimPushCredentials, simFcmAccount, simServiceAccount } from '../simulators/pushCredentials';
import { insertPushProfiles } from './benchRota';

const CONCURRENCY = 32;

export async function benchBatchSend(stack: Pick<Stack, 'mongoUri'>, n: number, ratePerSecond: number): Promise<string[]> {
  const creds = generateSimPushCredentials();
  const fcm = await startFcmSimulator({ accounts: [simFcmAccount(creds)] });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'rota-bench-batch-')), 'push-credentials.json');
  writeFileSync(file, JSON.stringify({ fcm: simServiceAccount(creds, fcm.tokenUrl) }), { mode: 0o600 });
  const db = await connectDb(stack.mongoUri.replace(/\/([^/?]*)(\?|$)/, `/bench_batch_${Date.now()}$2`));
  const adapters = createPushAdapters({ FCM_URL: fcm.url, PUSH_CREDENTIALS_FILE: file });
  try {
    const ids = await insertPushProfiles(db, 'b', n);
    await saveDeliverySettings(db, 'demo', { ...DEFAULT_DELIVERY_SETTINGS, rateLimits: { push: ratePerSecond } });
    const content = { title: 'Merhaba', body: 'Sipariş {{ profile.externalId }} hazır' };

    // Rota: the batch activity, batch after batch.
    const { sendBatch } = createBatchActivities({ db, pushAdapters: adapters, batchConcurrency: CONCURRENCY });
    const started = performance.now();
    let sent = 0;
    for (let start = 0, b = 0; start < n; start += MAX_BATCH_RECIPIENTS, b++) {
      const r = await sendBatch({ appId: 'demo', batchId: `b${b}`, sendKey: 'bench', channel: 'push', category: 'transactional', content, recipients: ids.slice(start, start + MAX_BATCH_RECIPIENTS) });
      sent += r.sent;
    }
    const rotaMs = performance.now() - started;
    const peak = fcm.stats.peakPerSecond;
    if (sent !== n) throw new Error(`the batches sent ${sent} of ${n}`);

    // The floor: read each profile by _id, post the same payload, record nothing.
    const adapter = (await adapters.forApp('demo', 'android'))!;
    const floorStarted = performance.now();
    await forEachLimit(ids, CONCURRENCY, async (id, i) => {
      const p = await db.profiles.findOne({ _id: id }).lean();
      const out = await adapter.send({ token: p!.devices![0]!.token, title: 'Merhaba', body: `Sipariş ${p!.externalId} hazır`, data: { rota_app_id: 'demo', rota_send_key: 'floor', rota_delivery_id: `floor-${i}` }, idempotencyKey: `floor-${i}` });
      if (!out.ok) throw new Error(`floor push failed: ${out.code}`);
    });
    const floorMs = performance.now() - floorStarted;
    const rate = (ms: number) => ((n / ms) * 1000).toFixed(0);
    return [
      `batchSend (push, batches of ${MAX_BATCH_RECIPIENTS}), n=${n}, concurrency=${CONCURRENCY}`,
      `  Rota (gate + template + claim + rate limit + record): ${rotaMs.toFixed(0)} ms, ${rate(rotaMs)} msg/s`,
      `  raw floor (read by _id + push, nothing recorded):    ${floorMs.toFixed(0)} ms, ${rate(floorMs)} msg/s`,
      `  ratio Rota/floor (throughput): ${(floorMs / rotaMs).toFixed(2)} (target ≥ 0.5)`,
      `  rate limit configured: ${ratePerSecond}/s; simulator's busiest second during Rota's run: ${peak} (${peak <= ratePerSecond ? 'held' : 'EXCEEDED'})`,
    ];
  } finally {
    await adapters.close();
    await db.conn.dropDatabase();
    await db.close();
    await fcm.close();
  }
}
