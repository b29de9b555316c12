/**
 * The operator console in real Chromium against the real stack (API and worker on the run's
 * Temporal and database, FCM and İYS simulators over HTTP): sign-in, a campaign started from
 * the page and watched to completion, pause (no new sends at the push simulator) and resume
 * with the keyboard only, recall, a key without the operator role seeing no controls, a
 * message's timeline, a segment's count, a journey's graph and the İYS page showing İYS's
 * refusal code. Every page: nothing requested outside the API, no serious or critical axe-core
 * violation, and a screenshot in test/browser/screenshots/. Waits are for conditions, never for time.
 */
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { formatIysDate } from '../../iys/dates';
import { DEFAULT_DELIVERY_SETTINGS, saveDeliverySettings } from '../../gate/settings';
import { saveApiKey } from '../../tenants/apiKeys';
import { campaignWorkflowId } from '../../workflows/campaignRun';
import { eventually, startHarness, type Harness } from '../support/harness';
import { declareEvents, eventsOf } from '../support/eventTypes';
import { focusOutline, launchBrowser, openConsole, screenshot, seriousViolations, shownCount, signIn, tabTo, type ConsolePage } from './browser';

// Globals of the page, for the functions page.evaluate runs there (tests are type-checked without the DOM library).
declare const document: any;
declare const window: any;
declare const location: any;
declare const sessionStorage: any;
declare const localStorage: any;

let h: Harness;
let browser: Browser;
const open: ConsolePage[] = [];
/** Campaigns of a few thousand recipients take seconds alone and minutes on a loaded 2-core machine. */
const LONG = 6 * 60_000;

beforeAll(async () => {
  if (!existsSync(path.join(__dirname, '../../console/dist/index.html'))) execSync('npm run build:console', { stdio: 'inherit' });
  h = await startHarness('console', { iys: { batchDelayMs: 500, changesLagMs: 0 } });
  browser = await launchBrowser();
  expect((await h.call('POST', '/v1/attributes', { name: 'cohort', type: 'string' })).status).toBe(201);
  const template = { id: 'konsol', name: 'Konsol', channels: { push: { title: 'Hafta sonu', body: 'Sepetinde %20 indirim' }, sms: { text: 'Sepetinde %20 indirim var' } } };
  expect((await h.call('POST', '/v1/templates', template)).status).toBe(201);
  expect((await h.call('POST', '/v1/templates/konsol/publish')).status).toBe(201);
}, 10 * 60_000);
afterEach(async () => {
  for (const c of open.splice(0)) {
    expect(c.foreign).toEqual([]);
    await c.close();
  }
  await saveDeliverySettings(h.db, 'demo', DEFAULT_DELIVERY_SETTINGS);
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function consoleAs(key: string, hash = '', lang: 'tr' | 'en' = 'en'): Promise<Page> {
  const c = await openConsole(browser, h.api.url, lang);
  open.push(c);
  await signIn(c.page, key);
  if (hash) await c.page.evaluate((x) => (location.hash = x), hash);
  return c.page;
}

async function checkPage(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect(await seriousViolations(page, name)).toEqual([]);
}

/** `n` profiles of a cohort, written straight to the store, each with one Android device whose simulator confirms at once. */
async function cohort(name: string, n: number): Promise<string[]> {
  const at = new Date();
  const docs = Array.from({ length: n }, (_, i) => ({
    _id: `demo:prf_${name}${String(i).padStart(5, '0')}`, appId: 'demo', externalId: `${name}-${i}`, msisdn: `+90532${String(1_000_000 + i)}`,
    attributes: { cohort: name }, devices: [{ token: `sim-delivers-0ms-${name}-${i}`, platform: 'android', pushEnabled: true, updatedAt: at }],
    createdAt: at, updatedAt: at,
  }));
  for (let i = 0; i < docs.length; i += 1000) await h.db.profiles.insertMany(docs.slice(i, i + 1000));
  return docs.map((d) => d.devices[0]!.token);
}

async function draft(id: string) {
  const res = await h.call('POST', '/v1/campaigns', { id, name: `Kampanya ${id}`, audience: { rule: { attribute: 'cohort', op: 'eq', value: id } }, channelPlan: 'push', template: { id: 'konsol' } });
  expect(res.status).toBe(201);
}

const pushesTo = (tokens: string[]) => {
  const set = new Set(tokens);
  return h.push.pushes.filter((p) => set.has(p.token) && !p.data.rota_recall);
};
const shownState = (page: Page) => page.getByTestId('state').locator('[data-state]').getAttribute('data-state');
const untilShown = (page: Page, state: string, timeoutMs = LONG) => eventually(async () => (await shownState(page)) === state, timeoutMs);

/** Presses an action button with the mouse and confirms in the dialog; answers the acknowledgement shown. */
async function act(page: Page, action: string): Promise<string> {
  await page.locator(`button[data-action="${action}"]`).click();
  await page.getByTestId('confirm').click();
  await eventually(async () => ((await page.getByTestId('ack').textContent()) ?? '') !== '' || (await page.locator('.problem').count()) > 0);
  return (await page.getByTestId('ack').textContent()) ?? '';
}

/** Keyboard only: Tab to the action's button, Enter, Tab to the dialog's confirm button (focus starts on Cancel), Enter. */
async function actByKeyboard(page: Page, action: string): Promise<string> {
  await tabTo(page, `button[data-action="${action}"]`);
  expect(await focusOutline(page)).toMatchObject({ style: 'solid', width: 3 });
  await page.keyboard.press('Enter');
  await page.getByTestId('confirm').waitFor();
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.dataset.testid)).toBe('confirm');
  await page.keyboard.press('Enter');
  await eventually(async () => ((await page.getByTestId('ack').textContent()) ?? '') !== '');
  return (await page.getByTestId('ack').textContent()) ?? '';
}

test('sign-in keeps the key in the tab session only, shows the roles, and switches to Turkish', async () => {
  const c = await openConsole(browser, h.api.url);
  open.push(c);
  await checkPage(c.page, 'signin');
  await c.page.getByLabel('API key').fill('rota_wrongkey_abcdefghijklmnopqrstuvwxyz12');
  await c.page.getByRole('button', { name: 'Sign in' }).click();
  await c.page.getByText('This key is unknown or revoked.').waitFor();
  await signIn(c.page, h.apiKey);
  expect(await c.page.getByTestId('roles').textContent()).toBe('ingest, designer, operator, compliance, admin');
  expect(await c.page.evaluate(() => ({ session: sessionStorage.getItem('rota.apiKey'), local: JSON.stringify(localStorage) }))).toEqual({ session: h.apiKey, local: '{"rota.lang":"en"}' });
  // A reload in the same tab shows the page with the roles kept at sign-in, and asks the key again: kept roles gone stale are corrected.
  await c.page.evaluate(() => {
    const who = JSON.parse(sessionStorage.getItem('rota.whoami') ?? '{}') as object;
    sessionStorage.setItem('rota.whoami', JSON.stringify({ ...who, roles: ['designer'] }));
  });
  await c.page.reload();
  await eventually(async () => (await c.page.getByTestId('roles').textContent()) === 'ingest, designer, operator, compliance, admin');
  await c.page.getByLabel('Language').selectOption('tr');
  await c.page.getByRole('link', { name: 'Kampanyalar' }).waitFor();
  expect(await c.page.evaluate(() => document.documentElement.lang)).toBe('tr');
  await checkPage(c.page, 'campaigns-tr');
  await c.page.getByLabel('Dil').selectOption('en');
});

test('a campaign started from the page: its counts move to completion without a reload; then recalled, with the recall counted', async () => {
  const tokens = await cohort('izle', 300);
  await draft('izle');
  await saveDeliverySettings(h.db, 'demo', { ...DEFAULT_DELIVERY_SETTINGS, rateLimits: { push: 50 } });
  const page = await consoleAs(h.apiKey, '#/campaigns/izle');
  await untilShown(page, 'draft', 30_000);
  await page.evaluate(() => ((window as any).sameDocument = true));
  // The confirmation dialog is checked too: the start waits for its answer.
  await page.locator('button[data-action="start"]').click();
  await page.getByRole('dialog').getByText('Start campaign “Kampanya izle”?').waitFor();
  await checkPage(page, 'campaign-confirm');
  await page.getByTestId('confirm').click();
  await eventually(async () => ((await page.getByTestId('ack').textContent()) ?? '') !== '');
  expect(await page.getByTestId('ack').textContent()).toBe('Acknowledged: the campaign is running.');
  expect(await page.locator('button[data-action="start"]').isDisabled()).toBe(true);

  // Delivered as the page shows it, read while it moves: it only grows, and reaches the audience.
  const seen: number[] = [];
  await eventually(async () => {
    seen.push((await shownCount(page, 'delivered')) ?? 0);
    return (await shownState(page)) === 'completed' && (await shownCount(page, 'delivered')) === 300;
  }, LONG, 100);
  expect(seen).toEqual([...seen].sort((a, b) => a - b));
  for (const id of ['audience', 'processed', 'sent-push']) expect(await shownCount(page, id)).toBe(300);
  expect(await shownCount(page, 'remaining')).toBe(0);
  expect(pushesTo(tokens)).toHaveLength(300);
  expect(await page.evaluate(() => (window as any).sameDocument)).toBe(true);
  await checkPage(page, 'campaign-completed');

  expect(await act(page, 'recall')).toBe('Acknowledged: the campaign is recalling.');
  await untilShown(page, 'recalled');
  await eventually(async () => (await shownCount(page, 'recall-sent')) === 300, LONG);
  expect(h.push.pushes.filter((p) => p.data.rota_recall && tokens.includes(p.token))).toHaveLength(300);
  await eventually(async () => (await shownCount(page, 'recall-confirmed')) === 300, LONG);
  await checkPage(page, 'campaign-recalled');
  await page.evaluate(() => (location.hash = '#/campaigns'));
  await page.getByTestId('campaigns').locator('tr[data-campaign="izle"]').waitFor();
  await checkPage(page, 'campaigns');
}, LONG * 2);

test('pause and resume with the keyboard only: after the pause no new push reaches the simulator; resume sends the rest, each once', async () => {
  const n = 2500;
  const tokens = await cohort('klavye', n);
  await draft('klavye');
  // Five pages of 500, four in flight: slow enough that the pause lands before the fifth starts.
  await saveDeliverySettings(h.db, 'demo', { ...DEFAULT_DELIVERY_SETTINGS, rateLimits: { push: 60 } });
  const page = await consoleAs(h.apiKey, '#/campaigns/klavye');
  await untilShown(page, 'draft', 30_000);
  await page.locator('main').focus();
  expect(await actByKeyboard(page, 'start')).toBe('Acknowledged: the campaign is running.');
  // Paused once the page shows the snapshot taken: its first pages are then sending.
  await eventually(async () => (await shownCount(page, 'audience')) === n, LONG);
  expect(await actByKeyboard(page, 'pause')).toBe('Acknowledged: the campaign is paused.');
  await untilShown(page, 'paused', 30_000);

  // The pages in flight finish; then the workflow has nothing running, and what reached FCM is what the finished pages sent.
  const handle = h.temporal.workflow.getHandle(campaignWorkflowId('demo', 'klavye'));
  const pages = async () => {
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendCampaignPage').map((e) => String(e.eventId)));
    const ended = events.filter((e) => {
      const a = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
      return a && scheduled.has(String(a.scheduledEventId));
    }).length;
    return { scheduled: scheduled.size, ended };
  };
  const settled = await eventually(async () => {
    const p = await pages();
    return p.scheduled === p.ended && p;
  }, LONG);
  const { processed } = await eventually(async () => {
    const shown = await shownCount(page, 'processed');
    return shown === settled.ended * 500 && { processed: shown };
  }, 60_000);
  expect(processed).toBeLessThan(n);
  expect(pushesTo(tokens)).toHaveLength(processed);
  expect(await shownCount(page, 'sent-push')).toBe(processed);
  expect(await shownState(page)).toBe('paused');
  // Still nothing new after the page has read the campaign again (its next poll): the paused workflow schedules no page.
  const polled = (await page.locator('.updated').textContent()) ?? '';
  await eventually(async () => ((await page.locator('.updated').textContent()) ?? '') !== polled, 30_000);
  expect(pushesTo(tokens)).toHaveLength(processed);
  expect((await pages()).scheduled).toBe(settled.scheduled);
  await checkPage(page, 'campaign-paused');

  expect(await actByKeyboard(page, 'resume')).toBe('Acknowledged: the campaign is running.');
  await untilShown(page, 'completed');
  await eventually(async () => (await shownCount(page, 'processed')) === n, 60_000);
  const sent = pushesTo(tokens);
  expect(sent).toHaveLength(n);
  expect(new Set(sent.map((p) => p.token)).size).toBe(n);
}, LONG * 2);

test('a key without the operator role sees no campaign controls and no sections its roles do not allow', async () => {
  await draft('bakis');
  const designer = await saveApiKey(h.db, { appId: 'demo', name: 'designer', roles: ['designer'] });
  const page = await consoleAs(designer, '#/campaigns/bakis');
  await untilShown(page, 'draft', 30_000);
  expect(await page.locator('button[data-action]').count()).toBe(0);
  const nav = await page.getByRole('navigation').getByRole('link').allTextContents();
  expect(nav).toEqual(['Campaigns', 'Journeys', 'Segments']);
  await checkPage(page, 'campaign-designer');
});

test('an action in flight disables every control: one request, however often it is pressed, then the acknowledged state', async () => {
  const res = await h.call('POST', '/v1/campaigns', { id: 'yarin', name: 'Kampanya yarin', audience: { rule: { attribute: 'cohort', op: 'eq', value: 'yarin' } }, channelPlan: 'push', template: { id: 'konsol' }, schedule: { kind: 'at', at: new Date(Date.now() + 24 * 3600_000).toISOString() } });
  expect(res.status).toBe(201);
  expect((await h.call('POST', '/v1/campaigns/yarin/start')).body.state).toBe('scheduled');
  const page = await consoleAs(h.apiKey, '#/campaigns/yarin');
  await untilShown(page, 'scheduled', 30_000);
  // The stop's request is held at the browser until the test lets it go: the page is seen while it is in flight.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let requests = 0;
  await page.route('**/v1/campaigns/yarin/stop', async (route) => {
    requests++;
    await held;
    await route.continue();
  });
  await page.locator('button[data-action="stop"]').click();
  await page.getByTestId('confirm').click();
  await page.locator('button[data-action="stop"]', { hasText: 'Sending…' }).waitFor();
  for (const action of ['start', 'pause', 'resume', 'stop', 'recall']) expect(await page.locator(`button[data-action="${action}"]`).isDisabled()).toBe(true);
  await page.locator('button[data-action="stop"]').click({ force: true });
  await page.locator('button[data-action="stop"]').press('Enter');
  expect(await page.getByRole('dialog').isVisible()).toBe(false);
  release();
  await eventually(async () => (await page.getByTestId('ack').textContent()) === 'Acknowledged: the campaign is stopped.');
  expect(requests).toBe(1);
  await untilShown(page, 'stopped', 30_000);
  // A wrong action answered by the API (here: the stop again, through the API, as another operator would) is shown as its 409.
  expect((await h.call('POST', '/v1/campaigns/yarin/stop')).status).toBe(409);
});

test("the console's own read endpoints: GET /v1/whoami, İYS refusals and a profile's messages; bad input is a 400 naming the field", async () => {
  expect(await h.call('GET', '/v1/whoami')).toMatchObject({ status: 200, body: { app: { id: 'demo' }, roles: expect.arrayContaining(['operator']) } });
  expect((await h.call('GET', '/v1/whoami', undefined, { authorization: 'Bearer rota_unknown1_abcdefghijklmnopqrstuvwxyz12' })).status).toBe(401);
  expect((await h.call('GET', '/v1/whoami', undefined, { authorization: `Bearer ${h.platformKey}` })).status).toBe(403);
  for (const [path, field] of [['/v1/iys/outbox/rejections?limit=0', 'query.limit'], ['/v1/iys/outbox/rejections?size=3', 'query'], ['/v1/profiles/nobody/messages?limit=500', 'query.limit']] as const) {
    const res = await h.call('GET', path);
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toMatch(new RegExp(`^${field.replace('.', '\\.')}`));
  }
  expect((await h.call('GET', '/v1/profiles/nobody/messages')).status).toBe(404);
  const ingestOnly = await saveApiKey(h.db, { appId: 'demo', name: 'ingest', roles: ['ingest'] });
  expect((await h.call('GET', '/v1/iys/outbox/rejections', undefined, { authorization: `Bearer ${ingestOnly}` })).status).toBe(403);
  expect(await h.call('GET', '/v1/whoami', undefined, { authorization: `Bearer ${ingestOnly}` })).toMatchObject({ status: 200, body: { roles: ['ingest'], key: { name: 'ingest' } } });
  // The page itself: a policy that lets it reach only this server, and /console without its slash sent to the page.
  const page = await fetch(`${h.api.url}/console/`);
  expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
  expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(await page.text()).toContain('<div id="root">');
  const bare = await fetch(`${h.api.url}/console`, { redirect: 'manual' });
  expect(bare.status).toBe(301);
  expect(bare.headers.get('location')).toBe('/console/');
});

test('a message: its timeline and each delivery with the gate decision and the consent it used; the profile\'s recent messages', async () => {
  const profile = { externalId: 'konsol-ayse', msisdn: '+905551112233', devices: [{ token: 'sim-silent-konsol-ayse', platform: 'android' }] };
  expect((await h.call('POST', '/v1/profiles', profile)).status).toBe(201);
  expect((await h.call('PUT', '/v1/profiles/konsol-ayse/consents/MESAJ', { status: 'ONAY', source: 'HS_WEB', consentDate: formatIysDate(Date.now() - 3600_000) })).status).toBe(200);
  const sent = await h.call('POST', '/v1/messages', { to: { externalId: 'konsol-ayse' }, category: 'commercial', push: { title: 'Kargo', body: 'Yolda' }, sms: { text: 'Kargonuz yolda' }, fallbackAfterSeconds: 1 });
  expect(sent.status).toBe(202);
  const page = await consoleAs(h.apiKey, '#/messages');
  await page.getByLabel('Message id').fill(sent.body.id);
  await page.getByLabel('Message id').press('Enter');
  await eventually(async () => ((await page.getByTestId('message-status').textContent().catch(() => '')) ?? '') === 'sms_sent_after_push_timeout', 120_000);
  const timeline = await page.getByTestId('timeline').locator('li code').allTextContents();
  expect(timeline).toEqual(['accepted', 'push_sent', 'push_timed_out', 'sms_sent']);
  const rows = await page.getByTestId('deliveries').locator('tbody tr').allTextContents();
  expect(rows.find((r) => r.startsWith('sms'))).toMatch(/allowed.*MESAJ ONAY \(BIREYSEL/);
  await checkPage(page, 'message');
  // The profile's recent messages link to the same page.
  await page.getByLabel('Profile external id').fill('konsol-ayse');
  await page.getByRole('button', { name: 'Show messages' }).click();
  const link = page.getByTestId('recent').locator(`a[href="#/messages/${sent.body.id}"]`);
  await link.waitFor();
  expect(await page.getByTestId('recent').locator('li').count()).toBe(1);
}, 180_000);

test('segments: a rule counted with a sample', async () => {
  await cohort('seg', 12);
  const page = await consoleAs(h.apiKey, '#/segments');
  await page.getByLabel('Rule (JSON)').fill('{"attribute":"cohort","op":"eq","value":"seg"}');
  await page.getByLabel('Sample size').fill('5');
  await page.getByRole('button', { name: 'Count and sample' }).click();
  await page.getByTestId('segment-count').getByText('12 members').waitFor();
  expect(await page.getByTestId('preview').locator('li').count()).toBe(5);
  await checkPage(page, 'segments');
  await page.getByLabel('Rule (JSON)').fill('{"attribute":"cohort","op":"gt","value":3}');
  await page.getByRole('button', { name: 'Count and sample' }).click();
  await page.locator('.problem').getByText('invalid_request').waitFor();
  await checkPage(page, 'segments-invalid');
});

test('a journey drawn as its graph of steps, paused and resumed from the page', async () => {
  const journey = {
    id: 'karsilama', name: 'Karşılama', entry: { kind: 'event', event: 'signup' }, reEntry: { policy: 'never' },
    steps: [
      { id: 'alisveris', kind: 'waitForEvent', event: 'purchase', timeout: { hours: 2 }, next: { received: 'aldi', timedOut: 'hatirlat' } },
      { id: 'hatirlat', kind: 'send', template: { id: 'konsol' }, channels: ['push', 'sms'], next: 'bekle' },
      { id: 'bekle', kind: 'wait', duration: { days: 1 }, next: 'son-hatirlatma' },
      { id: 'son-hatirlatma', kind: 'send', template: { id: 'konsol' }, channels: ['push'], next: 'son' },
      { id: 'aldi', kind: 'exit' },
      { id: 'son', kind: 'exit' },
    ],
  };
  await declareEvents(h, eventsOf(journey));
  expect((await h.call('POST', '/v1/journeys', journey)).status).toBe(201);
  expect((await h.call('POST', '/v1/journeys/karsilama/publish')).status).toBeLessThan(300);
  const page = await consoleAs(h.apiKey, '#/journeys');
  await page.getByRole('link', { name: 'Karşılama' }).click();
  await page.getByTestId('journey-graph').waitFor();
  expect(await page.getByTestId('journey-graph').locator('g[data-step]').count()).toBe(6);
  expect(await page.getByTestId('journey-graph').locator('g.edge').count()).toBe(5);
  await untilShown(page, 'active', 30_000);
  expect(await act(page, 'pause')).toBe('Acknowledged: the journey is paused.');
  await untilShown(page, 'paused', 30_000);
  await checkPage(page, 'journey');
  expect(await act(page, 'resume')).toBe('Acknowledged: the journey is active.');
  await page.evaluate(() => (location.hash = '#/journeys'));
  await page.getByTestId('journeys').waitFor();
  await checkPage(page, 'journeys');
});

test("the İYS page shows İYS's refusal code after the simulator refuses a change", async () => {
  expect((await h.call('PUT', '/v1/iys/settings', { mode: 'integrator', iysCode: 700001, brandCode: 700001 })).status).toBe(200);
  const msisdn = '+905339998877';
  expect((await h.call('POST', '/v1/profiles', { externalId: 'konsol-vatandas', msisdn })).status).toBe(201);
  const put = (status: string, ms: number) => h.call('PUT', '/v1/profiles/konsol-vatandas/consents/MESAJ', { status, source: 'HS_WEB', consentDate: formatIysDate(Date.now() + ms) });
  expect((await put('ONAY', -3 * 3600_000)).status).toBe(200);
  const page = await consoleAs(h.apiKey, '#/iys');
  await eventually(async () => (await page.getByTestId('count-outbox-delivered').textContent()) !== '0', 120_000);
  // The citizen refuses through the İYS app: a change older than İYS's record is refused with H178.
  h.iys!.citizen({ recipient: msisdn, type: 'MESAJ', status: 'RET', source: 'IYS_MOBIL', consentDate: formatIysDate(Date.now() - 60_000) });
  expect((await put('ONAY', -2 * 3600_000)).status).toBe(200);
  const row = page.getByTestId('rejections').locator('tr', { hasText: msisdn });
  await row.waitFor({ timeout: 120_000 });
  expect(await row.locator('code').first().textContent()).toBe('H178');
  expect(await shownCount(page, 'outbox-rejected')).toBeGreaterThanOrEqual(1);
  expect(await page.getByTestId('count-iys-mode').textContent()).toBe('integrator');
  await checkPage(page, 'iys');
}, 180_000);
