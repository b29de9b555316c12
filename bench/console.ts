/**
 * The operator console's page loads (issue 13: under a second on the dev stack with a campaign
 * of 100 000 recipients). N profiles are written straight to the database, a push campaign to
 * all of them is started through the API, and each console page is loaded in Debian's Chromium
 * twice over: while the campaign sends (the worker in a process of its own at a lower priority,
 * as `npm run dev` runs it, at 2 a.m.) and once it is stopped with its records in place. A load is
 * the time from navigation to the page showing its data (its figures, not "Loading…"), by
 * Playwright's clock and by the page's own: the first with an empty cache, and the median of the
 * next ones. The floor is the same API read the page makes (its JSON alone, over HTTP), so the
 * ratio is what the console adds. Not asserted anywhere; `BENCH_CONSOLE` (default 100 000)
 * and `BENCH_CONSOLE_RUNS` (default 5) size it.
 */
import { execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import type { Stack } from '../infra/stack';
import { launchBrowser } from '../test/browser/browser';
import { insertPushProfiles, startBenchRota, type BenchRota } from './benchRota';

// The page's globals, for the functions the browser runs (this file is type-checked without the DOM library).
declare const document: { querySelector(s: string): { textContent: string | null } | null };
declare const sessionStorage: { setItem(k: string, v: string): void };

interface ConsolePageSpec { name: string; hash: string; ready: string; api?: string }

const PAGES: ConsolePageSpec[] = [
  { name: 'sign-in', hash: '', ready: '#api-key' },
  { name: 'campaigns', hash: '#/campaigns', ready: '[data-campaign="big"]', api: '/v1/campaigns?limit=100' },
  { name: 'campaign', hash: '#/campaigns/big', ready: '[data-testid="count-processed"]', api: '/v1/campaigns/big' },
  { name: 'messages', hash: '#/messages', ready: '#message-id' },
  { name: 'iys', hash: '#/iys', ready: '[data-testid="count-iys-mode"]', api: '/v1/iys/outbox' },
  { name: 'segments', hash: '#/segments', ready: '#rule', api: '/v1/segments' },
  { name: 'journeys', hash: '#/journeys', ready: 'main h1', api: '/v1/journeys?limit=200' },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const ms = (v: number) => `${Math.round(v)} ms`;

/**
 * The page's own clock: from its navigation's start (`performance.timeOrigin`) to the first DOM change after which the
 * ready element is there and nothing says Loading, recorded inside the page. Playwright's view of the same moment also
 * holds its protocol round trips to the browser, which a busy machine stretches; an operator's browser has none.
 */
const readyClock = (ready: string) => `(() => {
  const check = () => {
    if (window.__rotaReadyAt !== undefined) return;
    const main = document.querySelector('main');
    if (document.querySelector(${JSON.stringify(ready)}) && !(main && main.textContent.includes('Loading'))) {
      window.__rotaReadyAt = performance.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true, characterData: true });
})();`;

interface Load { took: number; own: number }

/** Navigation → the page shows its data: the ready element is there and nothing says Loading. */
async function loadOnce(browser: Browser, rota: BenchRota, who: string, spec: ConsolePageSpec, warm: boolean, run: number): Promise<Load> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  // Signed in already, as the tab keeps it after sign-in (console/src/session.ts): the key and what whoami said it may do.
  if (spec.name !== 'sign-in') {
    await context.addInitScript(([key, who]: string[]) => {
      sessionStorage.setItem('rota.apiKey', key!);
      sessionStorage.setItem('rota.whoami', who!);
    }, [rota.key, who]);
  }
  await context.addInitScript({ content: readyClock(spec.ready) });
  const page = await context.newPage();
  // Warm: the hashed assets are in this context's cache already, as on an operator's second visit; the page is still loaded anew.
  if (warm) await page.goto(`${rota.url}/console/`);
  const started = Date.now();
  await page.goto(`${rota.url}/console/?load=${run}${spec.hash}`);
  await page.waitForSelector(spec.ready);
  await page.waitForFunction(() => !document.querySelector('main')?.textContent?.includes('Loading'));
  const took = Date.now() - started;
  const own = Number(await page.evaluate('window.__rotaReadyAt'));
  await context.close();
  return { took, own };
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

/** The browser's own floor: a navigation to the API's smallest answer (/healthz) in a fresh context, as each page load has. */
async function browserFloor(browser: Browser, rota: BenchRota, runs: number): Promise<number> {
  const took: number[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const started = Date.now();
    await page.goto(`${rota.url}/healthz?load=${i}`);
    took.push(Date.now() - started);
    await context.close();
  }
  return median(took);
}

/** Each page: a first load with an empty cache, then `runs` warm loads, beside the API read it makes. */
async function measure(browser: Browser, rota: BenchRota, runs: number): Promise<string[]> {
  const lines = [
    '| page | first load (empty cache) | median of warm loads | worst warm | warm, page\'s own clock (median, worst) | API read alone (median) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  lines.push(`| (floor: the browser opening /healthz) | — | ${ms(await browserFloor(browser, rota, runs))} | — | — | — |`);
  // What GET /v1/whoami says of the key, as the tab keeps it beside the key after sign-in.
  const who = await (await rota.call('GET', '/v1/whoami')).text();
  for (const spec of PAGES) {
    const first = await loadOnce(browser, rota, who, spec, false, 0);
    const warm: Load[] = [];
    for (let i = 1; i <= runs; i++) warm.push(await loadOnce(browser, rota, who, spec, true, i));
    const reads: number[] = [];
    if (spec.api) for (let i = 0; i < runs; i++) reads.push(await apiRead(rota, spec.api));
    const took = warm.map((l) => l.took);
    const own = warm.map((l) => l.own);
    lines.push(
      `| ${spec.name} | ${ms(first.took)} (own ${ms(first.own)}) | ${ms(median(took))} | ${ms(Math.max(...took))} | ${ms(median(own))}, ${ms(Math.max(...own))} | ${spec.api ? `${ms(median(reads))} (${spec.api})` : '—'} |`,
    );
  }
  return lines;
}

async function apiRead(rota: BenchRota, p: string): Promise<number> {
  const started = Date.now();
  const res = await rota.call('GET', p);
  await res.arrayBuffer();
  return Date.now() - started;
}

export async function benchConsole(stack: Stack, n: number, runs: number): Promise<string[]> {
  if (!existsSync(path.join(__dirname, '..', 'console', 'dist', 'index.html'))) execSync('npm run build:console', { stdio: 'inherit' });
  const rota = await startBenchRota(stack, 'console', { worker: 'process' });
  const browser = await launchBrowser();
  try {
    const seedStart = Date.now();
    await insertPushProfiles(rota.db, 'con', n, { cohort: 'big' });
    const seeded = Date.now() - seedStart;
    const ok = async (res: Promise<Response>) => {
      const r = await res;
      if (r.status >= 300) throw new Error(`${r.status} ${await r.text()}`);
    };
    await ok(rota.call('POST', '/v1/attributes', { name: 'cohort', type: 'string' }));
    await ok(rota.call('POST', '/v1/templates', { id: 'buyuk', name: 'Büyük', channels: { push: { title: 'Kış indirimi', body: 'Sepetinde %20 indirim' } } }));
    await ok(rota.call('POST', '/v1/templates/buyuk/publish'));
    await ok(rota.call('POST', '/v1/campaigns', { id: 'big', name: 'Büyük kampanya', audience: { rule: { attribute: 'cohort', op: 'eq', value: 'big' } }, channelPlan: 'push', template: { id: 'buyuk' }, category: 'transactional' }));
    await ok(rota.call('POST', '/v1/campaigns/big/start'));
    // Measured once the snapshot is whole and pages are going out: the campaign page then reads every page's record.
    for (;;) {
      const view = (await (await rota.call('GET', '/v1/campaigns/big')).json()) as { state: string; progress: { audience: number | null; processed: number } };
      if (view.progress.audience !== null && (view.progress.processed > 0 || view.state !== 'running')) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    type View = { state: string; progress: { processed: number } };
    const view = async () => (await (await rota.call('GET', '/v1/campaigns/big')).json()) as View;
    const lines = [`console (n=${n}, ${runs} warm loads per page; profiles seeded in ${(seeded / 1000).toFixed(1)} s)`];
    lines.push('', `While the campaign sends (the worker in a process of its own at a lower priority, as npm run dev runs it; load average ${loadAverage()} at the start):`);
    lines.push(...(await measure(browser, rota, runs)));
    const during = await view();
    lines.push(`campaign then: ${during.state}, ${during.progress.processed} of ${n} processed; load average ${loadAverage()}`);
    if (during.state === 'running' || during.state === 'paused') await rota.call('POST', '/v1/campaigns/big/stop');
    for (let v = await view(); v.state !== 'stopped' && v.state !== 'completed'; v = await view()) await new Promise((r) => setTimeout(r, 1000));
    lines.push('', `After it stopped (its ${n} recipients' records in place; load average ${loadAverage()}):`);
    lines.push(...(await measure(browser, rota, runs)));
    const after = await view();
    lines.push(`campaign: ${after.state}, ${after.progress.processed} of ${n} processed; load average ${loadAverage()}`);
    return lines;
  } finally {
    await browser.close();
    await rota.stop();
  }
}
