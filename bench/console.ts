/**
 * The operator console's page loads (issue 13: under a second on the dev stack with a campaign
 * of 100 000 recipients). N profiles are written straight to the database, a push campaign to
 * all of them is started through the API, and while it sends (API and worker busy, as at 2 a.m.)
 * each console page is loaded in Debian's Chromium: the time from navigation to the page showing
 * its data (its figures, not "Loading…"), the first load with an empty cache and the median of
 * the next ones. The floor is the same API read the page makes (its JSON alone, over HTTP), so
 * the ratio is what the console adds. Not asserted anywhere; `BENCH_CONSOLE` (default 100 000)
 * and `BENCH_CONSOLE_RUNS` (default 5) size it.
 */
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

/** Navigation → the page shows its data: the ready element is there and nothing says Loading. */
async function loadOnce(browser: Browser, rota: BenchRota, spec: ConsolePageSpec, signedIn: boolean, warmFrom?: string): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  if (signedIn) await context.addInitScript((key: string) => sessionStorage.setItem('rota.apiKey', key), rota.key);
  const page = await context.newPage();
  // Warm runs: the hashed assets are in this context's cache already (as for an operator's second visit).
  if (warmFrom) await page.goto(warmFrom);
  const started = Date.now();
  await page.goto(`${rota.url}/console/${spec.hash}`);
  await page.waitForSelector(spec.ready);
  await page.waitForFunction(() => !document.querySelector('main')?.textContent?.includes('Loading'));
  const took = Date.now() - started;
  await context.close();
  return took;
}

async function apiRead(rota: BenchRota, p: string): Promise<number> {
  const started = Date.now();
  const res = await rota.call('GET', p);
  await res.arrayBuffer();
  return Date.now() - started;
}

export async function benchConsole(stack: Stack, n: number, runs: number): Promise<string[]> {
  if (!existsSync(path.join(__dirname, '..', 'console', 'dist', 'index.html'))) execSync('npm run build:console', { stdio: 'inherit' });
  const rota = await startBenchRota(stack, 'console', { worker: true });
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
    const lines = [`console (n=${n}, ${runs} loads per page; profiles seeded in ${(seeded / 1000).toFixed(1)} s; measured while the campaign sends)`];
    lines.push('| page | first load (empty cache) | median of warm loads | worst warm | API read alone (median) |', '| --- | --- | --- | --- | --- |');
    for (const spec of PAGES) {
      const first = await loadOnce(browser, rota, spec, spec.name !== 'sign-in');
      const warm: number[] = [];
      for (let i = 0; i < runs; i++) warm.push(await loadOnce(browser, rota, spec, spec.name !== 'sign-in', `${rota.url}/console/`));
      const reads: number[] = [];
      if (spec.api) for (let i = 0; i < runs; i++) reads.push(await apiRead(rota, spec.api));
      lines.push(`| ${spec.name} | ${ms(first)} | ${ms(median(warm))} | ${ms(Math.max(...warm))} | ${spec.api ? `${ms(median(reads))} (${spec.api})` : '—'} |`);
    }
    const view = (await (await rota.call('GET', '/v1/campaigns/big')).json()) as { state: string; progress: { processed: number } };
    lines.push(`campaign at the end of the measurement: ${view.state}, ${view.progress.processed} of ${n} processed`);
    if (view.state === 'running' || view.state === 'paused') await rota.call('POST', '/v1/campaigns/big/stop');
    return lines;
  } finally {
    await browser.close();
    await rota.stop();
  }
}
