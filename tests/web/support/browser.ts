// Browser tests' support: Debian's chromium driven by playwright-core (no browser download), one
// context per person, and the steps a person takes in the web client (sign in, open a room).
// A missing chromium fails the run: these tests are never skipped.

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from './expect.ts';

export function chromiumPath(): string {
  const fromEnv = process.env['HUSH_CHROMIUM'];
  if (fromEnv) return fromEnv;
  try {
    return execFileSync('bash', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim().split('\n')[0]!;
  } catch {
    throw new Error('chromium not found: install it (apt-get install -y chromium) or set HUSH_CHROMIUM');
  }
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Where screenshots go: $HUSH_SCREENSHOTS_DIR (docs/screenshots when refreshing them), else a temp dir. */
export const SHOTS = process.env['HUSH_SCREENSHOTS_DIR'] ?? join(tmpdir(), 'hush-web-shots');
mkdirSync(SHOTS, { recursive: true });

export async function shot(page: Page, name: string): Promise<string> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Uncaught errors of every page opened by signIn; each test asserts there were none. */
export const pageErrors: string[] = [];

/** A new browser context (its own storage) signed in as `user` on `baseUrl`. */
export async function signIn(browser: Browser, baseUrl: string, user: string, password = 'correct horse', viewport = { width: 1200, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${user}: ${e.message}`));
  await page.goto(baseUrl);
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(() => page.getByRole('button', { name: 'Sign out' }).isVisible(), `${user} signed in`);
  return { context, page };
}

export const roomLink = (page: Page, roomId: string) => page.locator(`a[data-room="${roomId}"]`);

/** Settings → `item` from the top bar's Settings menu (the path the README and the page's hints name). */
export async function openSettings(page: Page, item: 'Ignored users' | 'Invites'): Promise<void> {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: item }).click();
}

/** Opens a room from the sidebar once it is listed. */
export async function openRoom(page: Page, roomId: string): Promise<void> {
  await expect(() => roomLink(page, roomId).isVisible(), `room ${roomId} listed`);
  await roomLink(page, roomId).click();
  await expect(() => page.locator('#composer').isVisible(), 'composer shown');
}

/** The bodies of the messages the timeline shows now. */
export async function shownBodies(page: Page): Promise<string[]> {
  return page.locator('.timeline .message .body').allTextContents();
}
