/**
 * A campaign (issue 11): N recipients (profiles written straight to the database, one Android
 * device each) through `POST /v1/campaigns` → start → the campaign workflow (audience
 * snapshot into pages of 500, pages sent WINDOW = 4 at a time through the batch activity, its
 * provider calls 32 in flight per page) → push to the FCM simulator, until the campaign is
 * `completed`. The API and the worker run as processes of their own (`api/server.ts`,
 * `worker.ts`, as `npm run api` / `npm run worker` do), so their peak RSS is the kernel's
 * (`VmHWM`).
 *
 * The raw floor, in the same run, is a plain script (a process of its own too): it reads the
 * same audience (the same compiled filter, streamed in `_id` order) and posts the same payloads
 * (rendered text, delivery id, receipt token, collapse id) through the same FCM adapter with the
 * same concurrency the worker has at most (32 calls per page × 4 pages = 128 in flight),
 * recording nothing.
 *
 * Then a second, smaller campaign is paused once its first page is done: the time from the
 * pause's 200 to the last push the simulator got for that campaign is how long a pause takes to
 * hold (the pages already in flight finish), beside how long the 200 took. Also printed: where Rota's time goes (snapshot,
 * pages, the receipt count at the end; per page: read + gate + claim before the first provider
 * answer, the sends, the tail), from the workflow's history and the delivery ledger, and the
 * CPU each process used.
 *
 * `BENCH_CAMPAIGN` (default 100 000) sizes it; `BENCH_CPU_PROF=<dir>` has the API and the worker write CPU
 * profiles there.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common';
import type { z } from 'zod';
import { campaignCollapseId } from '../activities/campaigns';
import { pushMessageFor } from '../activities/pushMessage';
import { campaignSendKey } from '../campaigns/progress';
import type { campaignViewSchema } from '../campaigns/schemas';
import { connectDb, type Db } from '../data/db';
import type { CampaignDoc } from '../data/models/campaigns';
import type { ProfileDoc } from '../data/models/profiles';
import { freePort, type Stack } from '../infra/stack';
import { startProcess, type ManagedProcess } from '../infra/processes';
import { untilWorkerPolls } from '../infra/workerProcess';
import { batchDeliveryId } from '../lib/ids';
import { receiptToken } from '../lib/receiptTokens';
import { createPushAdapters } from '../providers/pushAdapters';
import { segmentFilter } from '../segments/evaluateSegment';
import { startPushSimulators } from '../simulators/pushSimulators';
import { startSmsSimulator } from '../simulators/smsSimulator';
import { seedDemoApp } from '../tenants/apiKeys';
import { campaignWorkflowId } from '../workflows/campaignRun';
import { insertPushProfiles } from './benchRota';

/** sendBatch's provider calls in flight per page (activities/sendBatch.ts, batchConcurrency default) × pages in flight (workflows/campaignRun.ts WINDOW). */
const PER_PAGE = 32;
const WINDOW = 4;
const FLOOR_CONCURRENCY = PER_PAGE * WINDOW;
const TITLE = 'Kış indirimi';
const BODY = (externalId: string) => `Merhaba ${externalId}, sepetindeki ürünlerde %20 indirim`;
const TEMPLATE = { id: 'kis', name: 'Kış indirimi', channels: { push: { title: TITLE, body: BODY('{{ profile.externalId }}') } } };
const ruleFor = (cohort: string) => ({ attribute: 'cohort', op: 'eq', value: cohort });
const RECEIPT_SECRET = 'bench-campaign-secret-0123456789';
const ROOT = path.join(__dirname, '..');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (kb: number | undefined) => (kb === undefined ? '?' : (kb / 1024).toFixed(0));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
};

/** The 1-minute load average (runnable processes on the machine; 2 cores here), sampled while a part runs. */
const loadSamples: number[] = [];
function sampleLoad(): void {
  try {
    loadSamples.push(Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]));
  } catch {
    // no /proc
  }
}
/** The mean of the samples since the last call, and starts afresh. */
function meanLoad(): string {
  const xs = loadSamples.splice(0);
  return xs.length === 0 ? '?' : `${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1)} (1-min average, ${xs.length} samples)`;
}

/** A field of /proc/<pid>/status in kB (VmHWM: the peak resident set; VmRSS: now). */
function procStatusKb(pid: number | undefined, field: 'VmHWM' | 'VmRSS'): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) of each process whose parent is this one, and this one's own ("bench": the simulators and the poller). */
function cpuByProcess(): Map<string, number> {
  const out = new Map<string, number>();
  const self = process.cpuUsage();
  out.set(`bench (simulators, poller) ${process.pid}`, (self.user + self.system) / 1e6);
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    // no /proc: only this process
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      if (Number(fields[1]) !== process.pid) continue;
      out.set(`${name} ${entry}`, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // gone
    }
  }
  return out;
}

/** CPU seconds per process between two readings (those using at least 0.5 s), their total and its share of the 2 cores; with `messages`, also ms of CPU per message. */
function cpuBetween(before: Map<string, number>, after: Map<string, number>, names: Map<number, string>, wallMs: number, messages?: number): string {
  const rows = [...after.entries()]
    .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const)
    .filter(([, v]) => v >= 0.5)
    .sort((a, b) => b[1] - a[1]);
  const label = (k: string) => {
    const pid = Number(k.split(' ').pop());
    return names.get(pid) ?? k.replace(/ \d+$/, '');
  };
  const total = rows.reduce((s, [, v]) => s + v, 0);
  const per = (v: number) => (messages ? ` (${((v / messages) * 1000).toFixed(1)} ms/msg)` : '');
  return `${rows.map(([k, v]) => `${label(k)} ${v.toFixed(0)} s${per(v)}`).join(', ')}; ${total.toFixed(0)} CPU-s${per(total)} in ${secs(wallMs)}: ${(total / (wallMs / 1000)).toFixed(2)} of 2 cores`;
}

/** Readings of every process's CPU, once a second while Rota runs, so that each part of the run gets its own CPU figures afterwards. */
const cpuSamples: { t: number; cpu: Map<string, number> }[] = [];
function cpuDuring(from: number, to: number): { before: Map<string, number>; after: Map<string, number>; wallMs: number } {
  const a = [...cpuSamples].reverse().find((x) => x.t <= from) ?? cpuSamples[0]!;
  const b = cpuSamples.find((x) => x.t >= to) ?? cpuSamples[cpuSamples.length - 1]!;
  return { before: a.cpu, after: b.cpu, wallMs: b.t - a.t };
}

type CampaignView = z.infer<typeof campaignViewSchema>;

interface Api {
  call(method: string, p: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function exited(p: ManagedProcess): boolean {
  return p.child.exitCode !== null || p.child.signalCode !== null;
}

interface ActivityTiming {
  type: string;
  page?: number;
  scheduled: number;
  started?: number;
  completed?: number;
}

/** Every activity of the campaign's workflow, over all its runs (continue-as-new), from the histories. */
async function activityTimings(client: Client, workflowId: string): Promise<ActivityTiming[]> {
  const out: ActivityTiming[] = [];
  let runId: string | undefined;
  for (;;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const byId = new Map<string, ActivityTiming>();
    let previous: string | undefined;
    for (const e of history.events ?? []) {
      const id = String(e.eventId);
      const at = tsToMs(e.eventTime);
      if (e.workflowExecutionStartedEventAttributes) previous = e.workflowExecutionStartedEventAttributes.continuedExecutionRunId || undefined;
      const s = e.activityTaskScheduledEventAttributes;
      if (s) {
        let page: number | undefined;
        try {
          page = JSON.parse(Buffer.from(s.input!.payloads![0]!.data!).toString()).page;
        } catch {
          // no page
        }
        const t: ActivityTiming = { type: s.activityType!.name!, scheduled: at, ...(page !== undefined ? { page } : {}) };
        byId.set(id, t);
        out.push(t);
      }
      const st = e.activityTaskStartedEventAttributes;
      if (st) byId.get(String(st.scheduledEventId))!.started = at;
      const c = e.activityTaskCompletedEventAttributes;
      if (c) byId.get(String(c.scheduledEventId))!.completed = at;
    }
    if (!previous) return out;
    runId = previous;
  }
}

/**
 * Where the time of each sendCampaignPage went: before its first provider answer (the page read, profiles by `_id`, gate, render,
 * cap claim, bulk claim), the sends (first to last `sentAt`), and after the last (the final flush and the page's batch record).
 */
async function pageBreakdown(db: Db, campaignId: string, pages: ActivityTiming[]): Promise<{ before: number[]; sending: number[]; after: number[] }> {
  const firstLast = new Map<number, [number, number]>();
  const pageOfProfile = new Map<string, number>();
  for await (const p of db.campaignRecipients.find({ appId: 'demo', campaignId }, { page: 1, profileIds: 1 }).lean<{ page: number; profileIds: string[] }[]>().cursor()) {
    for (const id of p.profileIds) pageOfProfile.set(id, p.page);
  }
  for await (const d of db.deliveries.find({ appId: 'demo', messageId: campaignSendKey(campaignId), state: 'sent' }, { profileId: 1, sentAt: 1 }).lean<{ profileId: string; sentAt: Date }[]>().cursor({ batchSize: 5000 })) {
    const page = pageOfProfile.get(d.profileId);
    if (page === undefined || !d.sentAt) continue;
    const t = d.sentAt.getTime();
    const fl = firstLast.get(page);
    firstLast.set(page, fl ? [Math.min(fl[0], t), Math.max(fl[1], t)] : [t, t]);
  }
  const out = { before: [] as number[], sending: [] as number[], after: [] as number[] };
  for (const a of pages) {
    const fl = a.page !== undefined ? firstLast.get(a.page) : undefined;
    if (!fl || a.completed === undefined) continue;
    const start = a.started ?? a.scheduled;
    out.before.push(fl[0] - start);
    out.sending.push(fl[1] - fl[0]);
    out.after.push(a.completed - fl[1]);
  }
  return out;
}

/**
 * The workflow's pending activities, read every 2 s: those on a second or later attempt, with their last failure
 * (the history keeps only an activity's last attempt).
 */
function watchRetries(client: Client, workflowId: string) {
  const seen = new Map<string, { type: string; attempt: number; failure?: string }>();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void client.workflow.getHandle(workflowId).describe().then(
      (d) => {
        for (const a of d.raw.pendingActivities ?? []) {
          const attempt = a.attempt ?? 1;
          if (attempt < 2) continue;
          const id = `${d.runId}:${a.activityId}`;
          const before = seen.get(id);
          seen.set(id, { type: a.activityType?.name ?? '?', attempt: Math.max(attempt, before?.attempt ?? 0), failure: a.lastFailure?.message?.slice(0, 160) ?? before?.failure });
        }
      },
      () => undefined,
    ).finally(() => (busy = false));
  }, 2000);
  return {
    stop: () => clearInterval(timer),
    summary(): string {
      if (seen.size === 0) return 'none seen';
      const types = new Map<string, number>();
      const failures = new Map<string, number>();
      for (const r of seen.values()) {
        types.set(r.type, (types.get(r.type) ?? 0) + 1);
        if (r.failure) failures.set(r.failure, (failures.get(r.failure) ?? 0) + 1);
      }
      const most = Math.max(...[...seen.values()].map((r) => r.attempt));
      const top = [...failures.entries()].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([f, k]) => `${k}× "${f}"`);
      return `${[...types.entries()].map(([t, k]) => `${k} ${t}`).join(', ')} (up to attempt ${most}); last failures: ${top.join('; ') || '?'}`;
    },
  };
}

interface FloorInput {
  mongoUri: string;
  fcmUrl: string;
  credentialsFile: string;
  rule: unknown;
  sendKey: string;
  collapseId: string;
  concurrency: number;
  /** Where the floor's process writes its FloorResult. */
  resultFile: string;
}

/** The floor, in its own process: reads the audience, posts each push through the FCM adapter, records nothing. */
interface FloorResult {
  ms: number;
  sent: number;
  firstSendMs: number;
  /** Time the loop waited for the next profile from the database, and for one of its sends to free a slot. */
  readWaitMs: number;
  slotWaitMs: number;
  /** The floor process's own CPU from the loop's start (it has exited when the bench reads /proc). */
  cpuSeconds: number;
  /** Sends tried again after a provider's "later", and the first one's reason. */
  retries: number;
  firstRetry?: string;
}

async function runFloor(input: FloorInput): Promise<FloorResult> {
  const db = await connectDb(input.mongoUri);
  const adapters = createPushAdapters({ FCM_URL: input.fcmUrl, PUSH_CREDENTIALS_FILE: input.credentialsFile });
  try {
    // Its CPU from here: the process's start (loading TypeScript) is no part of the floor, as the worker's is not of Rota's run.
    const cpuAtStart = process.cpuUsage();
    const started = performance.now();
    const { filter } = await segmentFilter(db, 'demo', input.rule, 'audience');
    const adapter = (await adapters.forApp('demo', 'android'))!;
    const inFlight = new Set<Promise<void>>();
    let sent = 0;
    let firstSendMs = 0;
    let failure: unknown;
    // Where the loop waited: for the database's next profile, or for a free send slot.
    let readWaitMs = 0;
    let slotWaitMs = 0;
    let retries = 0;
    let firstRetry: string | undefined;
    const cursor = db.profiles.find(filter).sort({ _id: 1 }).lean<ProfileDoc[]>().cursor({ batchSize: 1000 });
    for (;;) {
      const t = performance.now();
      const p = (await cursor.next()) as ProfileDoc | null;
      readWaitMs += performance.now() - t;
      if (!p) break;
      for (const device of p.devices ?? []) {
        if (!device.pushEnabled || device.uninstalledAt) continue;
        const id = batchDeliveryId('demo', input.sendKey, p._id, 'push', device.token);
        const data = { rota_app_id: 'demo', rota_send_key: input.sendKey, rota_delivery_id: id, rota_receipt_token: receiptToken(RECEIPT_SECRET, 'demo', id) };
        const message = { ...pushMessageFor(device, { push: { title: TITLE, body: BODY(p.externalId ?? '') } }, data, id), collapseId: input.collapseId };
        // A provider's "later" (no answer, 429, 5xx) is tried again as the batch activity does (up to 4 tries, backing off).
        const attempt = async (tries: number): Promise<void> => {
          const out = await adapter.send(message);
          if (out.ok) {
            if (sent++ === 0) firstSendMs = performance.now() - started;
            return;
          }
          if ((out.kind === 'unavailable' || out.kind === 'rate_limited') && tries < 4) {
            retries++;
            firstRetry ??= `${out.code}${out.message ? `: ${out.message}` : ''}`;
            await sleep(Math.min(5000, out.retryAfterMs ?? 200 * 2 ** (tries + 1)));
            return attempt(tries + 1);
          }
          throw new Error(`floor push failed: ${out.kind} ${out.code} ${out.message ?? ''}`);
        };
        const job: Promise<void> = attempt(1).catch((err: unknown) => void (failure ??= err)).finally(() => inFlight.delete(job));
        inFlight.add(job);
        if (inFlight.size >= input.concurrency) {
          const t2 = performance.now();
          await Promise.race(inFlight);
          slotWaitMs += performance.now() - t2;
        }
      }
      if (failure) throw failure;
    }
    const t3 = performance.now();
    await Promise.all(inFlight);
    slotWaitMs += performance.now() - t3;
    if (failure) throw failure;
    const cpu = process.cpuUsage(cpuAtStart);
    return { ms: performance.now() - started, sent, firstSendMs, readWaitMs, slotWaitMs, cpuSeconds: (cpu.user + cpu.system) / 1e6, retries, ...(firstRetry ? { firstRetry } : {}) };
  } finally {
    await adapters.close();
    await db.close();
  }
}

export async function benchCampaign(stack: Pick<Stack, 'mongoUri' | 'temporalAddress' | 'smtpUrl'>, n: number): Promise<string[]> {
  const pauseN = Math.max(5000, Math.round(n / 10));
  const stamp = Date.now();
  const logDir = mkdtempSync(path.join(tmpdir(), 'rota-bench-campaign-'));
  const push = await startPushSimulators();
  const sms = await startSmsSimulator();
  const port = await freePort();
  const env: Record<string, string> = {
    PORT: String(port), MONGODB_URI: stack.mongoUri.replace(/\/([^/?]*)(\?|$)/, `/bench_campaign_${stamp}$2`), TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: `bench-campaign-${stamp}`, SMTP_URL: stack.smtpUrl, ...push.env, SMS_PROVIDER_URL: sms.url, RECEIPT_SECRET, LOG_LEVEL: 'warn',
    // The bench polls the API; its per-key rate limit is not what is measured.
    ROTA_RATE_LIMIT_PER_SECOND: '0',
  };
  const db = await connectDb(env.MONGODB_URI!);
  const key = await seedDemoApp(db);
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection });
  // BENCH_CPU_PROF=<dir>: the API and the worker write V8 CPU profiles there when they stop (open them in Chrome's DevTools).
  const profDir = process.env.BENCH_CPU_PROF;
  const children: ManagedProcess[] = [];
  const spawnNode = (name: string, script: string, extra: Record<string, string> = {}) => {
    const prof = profDir && name.startsWith('rota-') ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
    const p = startProcess(name, process.execPath, [...prof, '--import', 'tsx', path.join(ROOT, script)], { logDir, env: { ...env, ...extra } });
    children.push(p);
    return p;
  };
  const rss = new Map<string, number>();
  let sampler: NodeJS.Timeout | undefined;
  const loadTimer = setInterval(sampleLoad, 5000);
  let cpuTimer: NodeJS.Timeout | undefined;

  try {
    const api = spawnNode('rota-api', 'api/server.ts');
    const worker = spawnNode('rota-worker', 'worker.ts');
    const names = new Map<number, string>([[api.child.pid!, 'API'], [worker.child.pid!, 'worker']]);
    const base = `http://127.0.0.1:${port}`;
    const http: Api = {
      async call(method, p, body) {
        const res = await fetch(`${base}${p}`, { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : undefined };
      },
    };
    await waitFor('the API', 120_000, async () => {
      if (exited(api)) throw new Error(`the API exited; see ${api.logFile}`);
      return (await fetch(`${base}/healthz`)).ok ? true : undefined;
    });
    await untilWorkerPolls(client, 'default', env.TEMPORAL_TASK_QUEUE!, worker);
    // Peak RSS is the kernel's high-water mark; VmRSS sampled too, in case a kernel does not keep VmHWM.
    sampler = setInterval(() => {
      for (const [who, p] of [['API', api], ['worker', worker]] as const) rss.set(who, Math.max(rss.get(who) ?? 0, procStatusKb(p.child.pid, 'VmRSS') ?? 0));
    }, 500);

    const expect = async (what: string, res: Promise<{ status: number; body: unknown }>, status: number) => {
      const r = await res;
      if (r.status !== status) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    await expect('POST /v1/attributes', http.call('POST', '/v1/attributes', { name: 'cohort', type: 'string' }), 201);
    await expect('POST /v1/templates', http.call('POST', '/v1/templates', TEMPLATE), 201);
    await expect('publish', http.call('POST', `/v1/templates/${TEMPLATE.id}/publish`), 201);
    const seedStarted = performance.now();
    await insertPushProfiles(db, 'm', n, { cohort: 'main' });
    await insertPushProfiles(db, 'p', pauseN, { cohort: 'pause' });
    const seedMs = performance.now() - seedStarted;
    const create = (id: string, cohort: string) =>
      expect(`POST /v1/campaigns (${id})`, http.call('POST', '/v1/campaigns', { id, name: `Bench ${id}`, audience: { rule: ruleFor(cohort) }, channelPlan: 'push', template: { id: TEMPLATE.id }, category: 'transactional' }), 201);
    const view = async (id: string) => (await expect(`GET /v1/campaigns/${id}`, http.call('GET', `/v1/campaigns/${id}`), 200)) as CampaignView;

    const rate = (count: number, ms: number) => ((count / ms) * 1000).toFixed(0);
    const out: string[] = [];
    /** Printed as soon as a part is measured (a run cut short keeps what it measured), and answered at the end too. */
    const print = (...lines: string[]) => {
      console.log(lines.join('\n'));
      out.push(...lines);
    };

    // 1. Rota: start → completed.
    await create('main', 'main');
    const cpuBefore = cpuByProcess();
    cpuSamples.splice(0, cpuSamples.length, { t: Date.now(), cpu: cpuBefore });
    cpuTimer = setInterval(() => cpuSamples.push({ t: Date.now(), cpu: cpuByProcess() }), 1000);
    meanLoad();
    const mainRetries = watchRetries(client, campaignWorkflowId('demo', 'main'));
    const startAt = Date.now();
    await expect('start', http.call('POST', '/v1/campaigns/main/start'), 200);
    let audienceSeenAt: number | undefined;
    let lastProcessed = -1;
    let lastChange = Date.now();
    for (;;) {
      const v = await view('main');
      if (v.progress.audience !== null && audienceSeenAt === undefined) audienceSeenAt = Date.now();
      if (v.state === 'completed') break;
      if (v.state !== 'running') throw new Error(`the campaign is ${v.state}`);
      if (v.progress.processed !== lastProcessed) [lastProcessed, lastChange] = [v.progress.processed, Date.now()];
      if (Date.now() - lastChange > 10 * 60_000) throw new Error(`no progress for 10 minutes at ${lastProcessed} of ${n}`);
      await sleep(audienceSeenAt === undefined ? 250 : 1000);
    }
    const cpuAfter = cpuByProcess();
    clearInterval(cpuTimer);
    mainRetries.stop();
    cpuSamples.push({ t: Date.now(), cpu: cpuAfter });
    const rotaLoad = meanLoad();
    const doc = (await db.campaigns.findOne({ _id: 'demo:main' }).lean<CampaignDoc>())!;
    const done = await view('main');
    const rotaMs = doc.finishedAt!.getTime() - startAt;
    if (done.progress.sent.push !== n) throw new Error(`the campaign sent ${done.progress.sent.push} of ${n}: ${JSON.stringify(done.progress)}`);
    let firstPush = Infinity;
    let lastPush = 0;
    let pushes = 0;
    for (const p of push.fcm.pushes) {
      if (p.data.rota_send_key !== campaignSendKey('main')) continue;
      const t = Date.parse(p.receivedAt);
      firstPush = Math.min(firstPush, t);
      lastPush = Math.max(lastPush, t);
      pushes++;
    }
    if (pushes !== n) throw new Error(`the simulator got ${pushes} pushes of ${n}`);
    const peakSecond = Math.max(...[...push.fcm.callsPerSecond.values()]);

    const acts = await activityTimings(client, campaignWorkflowId('demo', 'main'));
    const of = (type: string) => acts.filter((a) => a.type === type);
    const snapshot = of('snapshotCampaignAudience')[0];
    const pages = of('sendCampaignPage');
    const receipts = of('countCampaignReceipts');
    // Only runs of the workflow from before the receipt-count patch (workflows/campaignRun.ts) count receipts page by page at the end.
    const counted = receipts.length > 0;
    const pageMs = pages.map((a) => a.completed! - (a.started ?? a.scheduled));
    const receiptMs = receipts.map((a) => a.completed! - (a.started ?? a.scheduled));
    const breakdown = await pageBreakdown(db, 'main', pages);
    const snapshotMs = snapshot?.completed !== undefined ? snapshot.completed - startAt : undefined;
    const firstPageAt = Math.min(...pages.map((a) => a.scheduled));
    const lastPageDone = Math.max(...pages.map((a) => a.completed!));
    const sendPhaseMs = lastPageDone - firstPageAt;
    const receiptsFrom = counted ? Math.min(...receipts.map((a) => a.scheduled)) : lastPageDone;
    const receiptsTo = counted ? Math.max(...receipts.map((a) => a.completed!)) : lastPageDone;
    const receiptPhaseMs = receiptsTo - receiptsFrom;
    const phaseCpu = (from: number, to: number) => {
      const c = cpuDuring(from, to);
      return cpuBetween(c.before, c.after, names, c.wallMs, n);
    };
    const perPage = { before: median(breakdown.before), sending: median(breakdown.sending), after: median(breakdown.after) };
    print(
      `campaign (push, pages of 500, ${WINDOW} in flight, ${PER_PAGE} provider calls each), n=${n} (profiles written in ${secs(seedMs)})`,
      `  Rota (API + workflow + snapshot + batches + ledger): start → completed ${secs(rotaMs)}, ${rate(n, rotaMs)} msg/s`,
      `    snapshot (start → audience stored): ${snapshotMs !== undefined ? secs(snapshotMs) : '?'} (the API showed the audience after ${audienceSeenAt ? secs(audienceSeenAt - startAt) : '?'})`,
      `    pages: ${pages.length} in ${secs(sendPhaseMs)} (${rate(n, sendPhaseMs)} msg/s while sending; simulator: first push ${secs(firstPush - startAt)} after start, last ${secs(lastPush - startAt)}, busiest second ${peakSecond})`,
      `    one page (500): median ${secs(median(pageMs))}, p90 ${secs(pct(pageMs, 0.9))}, max ${secs(Math.max(...pageMs))}; of which before its first provider answer ${secs(perPage.before)} (read page, 500 profiles by _id, gate, render, claims), sending ${secs(perPage.sending)}, after the last ${secs(perPage.after)}`,
      ...(counted ? [`    receipt count at the end (${receipts.length} pages): ${secs(receiptPhaseMs)} (median ${secs(median(receiptMs))} a page)`] : []),
      `    activities tried again: ${mainRetries.summary()}`,
      `    CPU during Rota's run: ${cpuBetween(cpuBefore, cpuAfter, names, rotaMs, n)}; machine load ${rotaLoad}`,
      `      while the pages were sent: ${phaseCpu(firstPageAt, lastPageDone)}`,
      ...(counted ? [`      during the receipt count: ${phaseCpu(receiptsFrom, receiptsTo)}`] : []),
    );

    // 2. Pause: a smaller campaign, paused once its first page is done; then the pushes still going out.
    await create('pause', 'pause');
    const pauseId = campaignWorkflowId('demo', 'pause');
    const pauseRetries = watchRetries(client, pauseId);
    await expect('start', http.call('POST', '/v1/campaigns/pause/start'), 200);
    await waitFor('the first page of the paused campaign', 600_000, async () => ((await view('pause')).progress.processed > 0 ? true : undefined), 100);
    const pauseAskedAt = Date.now();
    const paused = (await expect('pause', http.call('POST', '/v1/campaigns/pause/pause'), 200)) as { state: string };
    const pausedAt = Date.now();
    if (paused.state !== 'paused') throw new Error(`pause answered ${JSON.stringify(paused)}`);
    const pauseKey = campaignSendKey('pause');
    const pausePushes = () => push.fcm.pushes.filter((p) => p.data.rota_send_key === pauseKey);
    const sentAtPause = pausePushes().filter((p) => Date.parse(p.receivedAt) <= pauseAskedAt).length;
    // At rest: no page activity of the workflow is pending any more (the ones in flight at the pause, retries included, have finished).
    const atRest = await waitFor('the paused campaign to stop sending', 30 * 60_000, async () => {
      const d = await client.workflow.getHandle(pauseId).describe();
      if ((d.raw.pendingActivities ?? []).some((a) => a.activityType?.name === 'sendCampaignPage')) return undefined;
      const v = await view('pause');
      return pausePushes().length === v.progress.sent.push ? v : undefined;
    }, 500);
    pauseRetries.stop();
    const lastPauseSend = Math.max(...pausePushes().map((p) => Date.parse(p.receivedAt)));
    const afterPauseSent = pausePushes().filter((p) => Date.parse(p.receivedAt) > pausedAt).length;
    await expect('stop', http.call('POST', '/v1/campaigns/pause/stop'), 200);
    await client.workflow.getHandle(pauseId).result();
    const pauseHistory = await activityTimings(client, pauseId);
    const pagesAfterPause = pauseHistory.filter((a) => a.type === 'sendCampaignPage' && a.scheduled > pausedAt).length;

    clearInterval(sampler);
    const peak = (who: 'API' | 'worker', p: ManagedProcess) => procStatusKb(p.child.pid, 'VmHWM') ?? rss.get(who);
    const apiPeak = peak('API', api);
    const workerPeak = peak('worker', worker);
    print(
      `  peak RSS: worker ${mb(workerPeak)} MB, API ${mb(apiPeak)} MB (VmHWM)`,
      `  pause → last send: ${Math.max(0, lastPauseSend - pausedAt)} ms after the pause's 200 (${afterPauseSent} pushes after it${lastPauseSend < pausedAt ? `; the last was ${lastPauseSend - pauseAskedAt} ms after the pause was asked for` : ''}); ` +
        `the 200 came ${pausedAt - pauseAskedAt} ms after the request (campaign of ${pauseN}, asked after its first page, ${sentAtPause} pushes sent by then; ${pagesAfterPause} pages started after the 200; ${atRest.progress.processed} processed at rest; activities tried again: ${pauseRetries.summary()})`,
    );
    await worker.stop();
    await api.stop();

    // 3. The floor, in a process of its own, on the same servers.
    const floorInput: FloorInput = {
      mongoUri: env.MONGODB_URI!, fcmUrl: push.env.FCM_URL!, credentialsFile: push.env.PUSH_CREDENTIALS_FILE!, rule: ruleFor('main'),
      sendKey: campaignSendKey('floor'), collapseId: campaignCollapseId('floor'), concurrency: FLOOR_CONCURRENCY, resultFile: path.join(logDir, 'floor-result.json'),
    };
    const floorCpuBefore = cpuByProcess();
    meanLoad();
    const floorProc = spawnNode('floor', 'bench/campaign.ts', { BENCH_CAMPAIGN_FLOOR: JSON.stringify(floorInput) });
    const floorStarted = Date.now();
    await new Promise((r) => (exited(floorProc) ? r(undefined) : floorProc.child.once('exit', r)));
    const floorWallMs = Date.now() - floorStarted;
    const floorCpuAfter = cpuByProcess();
    if (floorProc.child.exitCode !== 0 || !existsSync(floorInput.resultFile)) throw new Error(`the floor failed (exit ${floorProc.child.exitCode}); see ${floorProc.logFile}`);
    const floor = JSON.parse(readFileSync(floorInput.resultFile, 'utf8')) as FloorResult;
    if (floor.sent !== n) throw new Error(`the floor sent ${floor.sent} of ${n}`);
    floorCpuAfter.set(`floor ${floorProc.child.pid}`, floor.cpuSeconds);
    names.set(floorProc.child.pid!, 'floor');
    const floorLoad = meanLoad();

    const ratio = floor.ms / rotaMs;
    const shares = [
      ['snapshot', snapshotMs ?? 0],
      ['pages', sendPhaseMs],
      ['receipt count', receiptPhaseMs],
    ] as const;
    const biggest = [...shares].sort((a, b) => b[1] - a[1])[0]!;
    const floorPerPageMs = (floor.ms / n) * 500 * WINDOW;
    const rotaCpu = [...cpuAfter.entries()].reduce((s, [k, v]) => s + v - (cpuBefore.get(k) ?? 0), 0);
    const floorCpu = [...floorCpuAfter.entries()].reduce((s, [k, v]) => s + v - (floorCpuBefore.get(k) ?? 0), 0);
    print(
      `  raw floor (same filter streamed by _id + same payloads through the FCM adapter, ${FLOOR_CONCURRENCY} in flight, nothing recorded): ${secs(floor.ms)}, ${rate(n, floor.ms)} msg/s (first send after ${secs(floor.firstSendMs)}; process ${secs(floorWallMs)} with its start)`,
      `    the floor's loop waited ${secs(floor.readWaitMs)} for the database's next profile (first after ${secs(floor.firstSendMs)}) and ${secs(floor.slotWaitMs)} for a free send slot; ${floor.retries} sends tried again${floor.firstRetry ? ` (first: ${floor.firstRetry})` : ''}`,
      `    CPU during the floor: ${cpuBetween(floorCpuBefore, floorCpuAfter, names, floorWallMs, n)}; machine load ${floorLoad}`,
      `  ratio Rota/floor (throughput): ${ratio.toFixed(2)} (target ≥ 0.5${ratio >= 0.5 ? ', met' : ', NOT met'}); CPU per message: Rota ${((rotaCpu / n) * 1000).toFixed(1)} ms, floor ${((floorCpu / n) * 1000).toFixed(1)} ms (${(floorCpu / rotaCpu).toFixed(2)})`,
      `  limit: ${biggest[0]} is ${((biggest[1] / rotaMs) * 100).toFixed(0)}% of Rota's time (snapshot ${secs(snapshotMs ?? 0)}, pages ${secs(sendPhaseMs)}, receipt count ${secs(receiptPhaseMs)}); ` +
        `a page's median ${secs(median(pageMs))} × ${pages.length} / ${WINDOW} in flight, against ${secs(floorPerPageMs)} for the floor's ${500 * WINDOW} sends; ` +
        `per page ${((perPage.before / median(pageMs)) * 100).toFixed(0)}% before the first send, ${((perPage.sending / median(pageMs)) * 100).toFixed(0)}% sending, ${((perPage.after / median(pageMs)) * 100).toFixed(0)}% after`,
      ...(counted ? [`  without the receipt count at the end: ${rate(n, rotaMs - receiptPhaseMs)} msg/s, ratio ${(floor.ms / (rotaMs - receiptPhaseMs)).toFixed(2)}`] : []),
    );
    // Printed already, part by part.
    return [];
  } finally {
    clearInterval(loadTimer);
    clearInterval(cpuTimer);
    if (sampler) clearInterval(sampler);
    for (const p of children) await p.stop();
    await connection.close();
    await db.conn.dropDatabase().catch(() => undefined);
    await db.close();
    await push.close();
    await sms.close();
  }
}

// The floor's process: `BENCH_CAMPAIGN_FLOOR` holds its input; it writes its result to the input's file.
if (require.main === module && process.env.BENCH_CAMPAIGN_FLOOR) {
  const input = JSON.parse(process.env.BENCH_CAMPAIGN_FLOOR) as FloorInput;
  runFloor(input).then(
    (floor) => {
      writeFileSync(input.resultFile, JSON.stringify(floor));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
