/**
 * Real Chromium for the console's tests: Debian's chromium driven by playwright-core (Playwright's
 * own browser downloads do not work on these machines). Every page records what it requested,
 * so a test can prove that nothing but Rota's own API was asked; axe-core is injected to check
 * accessibility; screenshots go to test/browser/screenshots/ (git-ignored).
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

// Globals of the page, for the functions page.evaluate runs there (this file is type-checked without the DOM library).
declare const document: any;
declare const window: any;
declare function getComputedStyle(element: unknown): any;

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(__dirname, 'screenshots');

/** Installs Debian's chromium when it is missing and we may (root, as on the build machines): the suite needs no manual step. */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`);
  execSync('apt-get update -qq && apt-get install -y -qq chromium', { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

export async function launchBrowser(): Promise<Browser> {
  ensureChromium();
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

export interface ConsolePage {
  page: Page;
  /** Every URL the page asked for that is not on the API's origin (must stay empty). */
  foreign: string[];
  close(): Promise<void>;
}

export async function openConsole(browser: Browser, apiUrl: string, lang: 'tr' | 'en' = 'en'): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: lang === 'tr' ? 'tr-TR' : 'en-GB' });
  const page = await context.newPage();
  const origin = new URL(apiUrl).origin;
  const foreign: string[] = [];
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('data:')) foreign.push(url);
  });
  await page.goto(`${apiUrl}/console/`);
  return { page, foreign, close: () => context.close() };
}

export async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel(/API (key|anahtarı)/).fill(key);
  await page.getByRole('button', { name: /Sign in|Giriş yap/ }).click();
  await page.getByTestId('roles').waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeFinding { id: string; impact: string; help: string; nodes: string[] }

/** axe-core's serious and critical violations on the page as it is now (run through DevTools, so the page's CSP does not block it). */
export async function seriousViolations(page: Page, name: string): Promise<AxeFinding[]> {
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const result: { violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] } = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  // Every finding, minor ones too, beside the screenshots: test/browser/screenshots/axe.json.
  mkdirSync(SCREENSHOTS, { recursive: true });
  const report = path.join(SCREENSHOTS, 'axe.json');
  const all: Record<string, AxeFinding[]> = existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : {};
  all[name] = found;
  writeFileSync(report, JSON.stringify(all, null, 2));
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Presses Tab until the focused element matches `selector` (keyboard-only operation); fails after `max` presses. */
export async function tabTo(page: Page, selector: string, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** The focused element's outline, as drawn: focus must be visible. */
export const focusOutline = (page: Page) => page.evaluate(() => {
  const s = getComputedStyle(document.activeElement);
  return { style: s.outlineStyle as string, width: parseFloat(s.outlineWidth) };
});

/** A figure shown on the page (data-testid="count-…"), as a number. */
export async function shownCount(page: Page, id: string): Promise<number | null> {
  const text = await page.getByTestId(`count-${id}`).textContent();
  const digits = (text ?? '').replace(/[^\d]/g, '');
  return digits === '' ? null : Number(digits);
}
