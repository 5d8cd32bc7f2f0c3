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

// Problems the browser reported during the current test (console errors
// and warnings, uncaught exceptions): each test fails if any. One test runs
// at a time in a worker, so one list per worker suffices.
let problems: string[] = [];

// A status the test itself asked for (a 404 page, a refused post) is logged
// by Chromium as a failed resource; that is not a problem of the page.
const EXPECTED = /^Failed to load resource: the server responded with a status of 4\d\d/;

// Without JavaScript the client the page preloads is never used, and
// Chromium says so a few seconds after the load.
const UNUSED_PRELOAD = /was preloaded using link preload but not used/;

function watch(context: BrowserContext): void {
  const scripts = jsOn();
  context.on('console', (msg) => {
    const text = msg.text();
    if ((msg.type() === 'error' || msg.type() === 'warning') && !EXPECTED.test(text) && (scripts || !UNUSED_PRELOAD.test(text))) {
      problems.push(`console ${msg.type()}: ${text} (${msg.location().url})`);
    }
  });
  context.on('weberror', (err) => problems.push(`uncaught: ${err.error().message}`));
  if (jsOn()) {
    context.on('page', (page) => waitForHydrationOnGoto(page));
  }
}

/** True in the pass with JavaScript (the `js` project: the hydrated client runs). */
export function jsOn(): boolean {
  return test.info().project.name === 'js';
}

/** With JavaScript, `page.goto` returns once the client has hydrated the page
 * (`<html data-hydrated>`), so a test acts on the live page, not on HTML the
 * client has not taken over yet. Pages without the client (a non-HTML answer,
 * the server's own error page) return at once. */
function waitForHydrationOnGoto(page: Page): void {
  const goto = page.goto.bind(page);
  page.goto = async (url, options) => {
    const response = await goto(url, options);
    await hydrated(page);
    return response;
  };
}

/** Waits until the client has hydrated the page, if the page loads it and
 * JavaScript runs. */
export async function hydrated(page: Page): Promise<void> {
  await clientRuns(page);
}

/** Playwright's `test` with a client address of this test's own (also used by
 * the `request` fixture), failing when the browser reported a problem. */
export const test = base.extend<{ browserProblems: string[] }>({
  extraHTTPHeaders: async ({}, use) => {
    await use({ 'X-Forwarded-For': uniqueIp() });
  },
  browserProblems: [
    async ({}, use) => {
      problems = [];
      await use(problems);
      expect(problems, 'the browser console should show no errors or warnings').toEqual([]);
    },
    { auto: true },
  ],
  context: async ({ context, browserProblems: _ }, use) => {
    watch(context);
    await use(context);
  },
});

/** A new browser context (its own cookies and client address), with
 * JavaScript in the `js` pass only, watched for problems like the test's own. */
export async function newContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    javaScriptEnabled: jsOn(),
    extraHTTPHeaders: { 'X-Forwarded-For': uniqueIp() },
    ...options,
  });
  watch(context);
  return context;
}

/** A page in a `newContext`. */
export async function newPage(browser: Browser): Promise<Page> {
  return (await newContext(browser)).newPage();
}

/** The number an element shows. */
export async function numberIn(locator: Locator): Promise<number> {
  return Number((await locator.innerText()).trim());
}

/** Clicks `target` and returns the response of what it loaded: without
 * JavaScript the page the browser ends up on; with it, the first request the
 * client makes for it (a form's post, or a new page's data), after which the
 * page has settled (no data reloading: `<main aria-busy>` gone). */
export async function clickAndLoad(page: Page, target: Locator): Promise<Response> {
  if (!(await clientRuns(page))) {
    const navigation = page.waitForNavigation({ waitUntil: 'load' });
    await target.click();
    const response = await navigation;
    expect(response, 'the click should load a page').not.toBeNull();
    return response!;
  }
  const responded = page.waitForResponse((r) => {
    const type = r.request().resourceType();
    return (type === 'fetch' || type === 'document') && !r.url().includes('/events/');
  });
  await target.click();
  const response = await responded;
  await settled(page);
  return response;
}

/** True when the client runs on this page (the context has JavaScript and
 * the page loads the client), once it has hydrated the page. */
async function clientRuns(page: Page): Promise<boolean> {
  // Leptos's inline scripts define this; they do not run without JavaScript.
  const scripts = await page.evaluate(() => typeof (window as unknown as { __RESOLVED_RESOURCES?: unknown }).__RESOLVED_RESOURCES !== 'undefined');
  if (!scripts || (await page.locator('script[type="module"][nonce]').count()) === 0) return false;
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 });
  return true;
}

/** With JavaScript: waits until the page shows what its last action loaded:
 * the client reloads the page's data after a post, or goes to another page
 * (a redirect, or log-in when signed out), a few ticks after the answer.
 * Settled = the address unchanged for 100 ms and no data reloading. */
export async function settled(page: Page): Promise<void> {
  await page.waitForLoadState('load');
  if (!(await clientRuns(page))) return;
  const busy = page.locator('main[aria-busy="true"]');
  let url = page.url();
  for (let i = 0; i < 50; i++) {
    await page.waitForTimeout(100);
    await expect(busy).toHaveCount(0);
    if (page.url() === url) break;
    url = page.url();
  }
}

/** The id of the comment just posted with `text`: without JavaScript the
 * browser lands at it (`#comment-<id>`); with it the comment appears in
 * place, found by its text. */
export async function postedCommentId(page: Page, text: string): Promise<string> {
  if (!jsOn()) return new URL(page.url()).hash.replace('#comment-', '');
  const item = page.locator('[id^="comment-"]', { has: page.locator('.comment-text', { hasText: text }) }).last();
  return ((await item.getAttribute('id')) ?? '').replace('comment-', '');
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
