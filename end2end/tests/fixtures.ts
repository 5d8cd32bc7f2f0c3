import {
  test as base,
  expect,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Locator,
  type Page,
  type Response,
} from '@playwright/test';

// What every spec shares: the `test` whose browser contexts each send a
// client address of their own, unique names, the demo accounts' password,
// and the steps most tests take (log in, sign up, click and wait for the
// page). Specs import this module, never each other.
//
// The server trusts X-Forwarded-For in these tests (PROOFWORK_TRUST_PROXY),
// and the log-in and sign-up limits count per client address: every test
// (and every extra context) gets an address of its own, so that failed
// log-ins in one test cannot throttle another, nor a second run within the
// limit's window.

export { expect };

/** The password of every demo account (`serve --demo-data`). */
export const DEMO_PASSWORD = 'proofwork-demo';

/** The password `signup` gives the users it makes. */
export const PASSWORD = 'proofwork-demo-pass';

/** An id no row has. */
export const NIL = '00000000-0000-0000-0000-000000000000';

export function rand(n: number): number {
  return Math.floor(Math.random() * n);
}

/** A client address from 198.18.0.0/15 (the benchmarking range), random per call. */
export function uniqueIp(): string {
  return `198.${18 + rand(2)}.${rand(256)}.${1 + rand(254)}`;
}

let counter = 0;
/** A short suffix unique to this run and call: [a-z0-9]. */
export function unique(): string {
  counter += 1;
  return `${Date.now().toString(36)}${process.pid.toString(36)}${counter}${rand(1296).toString(36)}`;
}

/** Playwright's `test` with a client address of this test's own (also used by the `request` fixture). */
export const test = base.extend({
  extraHTTPHeaders: async ({}, use) => {
    await use({ 'X-Forwarded-For': uniqueIp() });
  },
});

/** A new browser context (its own cookies and client address), without JavaScript unless `options` say otherwise. */
export async function newContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({
    javaScriptEnabled: false,
    extraHTTPHeaders: { 'X-Forwarded-For': uniqueIp() },
    ...options,
  });
}

/** A page in a `newContext`. */
export async function newPage(browser: Browser): Promise<Page> {
  return (await newContext(browser)).newPage();
}

/** The number an element shows. */
export async function numberIn(locator: Locator): Promise<number> {
  return Number((await locator.innerText()).trim());
}

/** Clicks `target` and returns the response of the page the browser ends up on. */
export async function clickAndLoad(page: Page, target: Locator): Promise<Response> {
  const navigation = page.waitForNavigation({ waitUntil: 'load' });
  await target.click();
  const response = await navigation;
  expect(response, 'the click should load a page').not.toBeNull();
  return response!;
}

/** Logs in as the demo account `username` from the log-in page. */
export async function login(page: Page, username: string): Promise<void> {
  await page.goto('/login');
  await page.locator('input[name="login"]').fill(username);
  await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
  await clickAndLoad(page, page.getByRole('button', { name: 'Log in', exact: true }));
  await expect(page.locator('.nav-user')).toHaveText(username);
}

/** Signs `username` up from the sign-up page (password `PASSWORD`); the page is then signed in. */
export async function signup(page: Page, username: string): Promise<void> {
  await page.goto('/signup');
  await page.locator('input[name="username"]').fill(username);
  await page.locator('input[name="email"]').fill(`${username}@example.test`);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await clickAndLoad(page, page.getByRole('button', { name: 'Create account', exact: true }));
  await expect(page.locator('.nav-user')).toHaveText(username);
}
