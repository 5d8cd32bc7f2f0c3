import { type Browser, type Page } from '@playwright/test';
import { test, expect, newContext, unique, clickAndLoad, signup } from './fixtures';

// Script injection through textareas and failed-form state, in a browser
// WITH JavaScript (the project's default context has it off, and then no
// injected script could run anyway): a forged `__err` link, a real failed
// post of a `</textarea><script>` value, and a stored description holding
// one. The injected code would change the title, add an element, or run
// an inline handler; none of that may happen, and the text must show
// literally in the textarea. The pages' own scripts must not trip the
// Content-Security-Policy either.

/** What an attacker types: it ends the textarea, runs a script, adds
 * markup with an inline handler, and holds an entity that must stay text. */
const PAYLOAD =
  `</textarea><script>document.title='pwned';document.body.insertAdjacentHTML('beforeend','<p id="pwned-script">pwned</p>')</script>` +
  `<img id="pwned-img" src="/nothing-here.png" onerror="document.title='pwned-img'"> &amp; "quoted" 'single'`;

/** A page in a new context with JavaScript ON, collecting CSP violations. */
async function jsPage(browser: Browser): Promise<{ page: Page; violations: string[] }> {
  const context = await newContext(browser, { javaScriptEnabled: true });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) {
      violations.push(`${page.url()}: ${msg.text()}`);
    }
  });
  return { page, violations };
}

/** Nothing injected ran or rendered as markup. */
async function assertNothingRan(page: Page): Promise<void> {
  // Give an image error handler time to fire, were it there.
  await page.waitForLoadState('load');
  await page.waitForTimeout(300);
  expect(await page.title()).not.toContain('pwned');
  await expect(page.locator('#pwned-script')).toHaveCount(0);
  await expect(page.locator('#pwned-img')).toHaveCount(0);
}

/** `__err` as server_fn encodes it: URL-safe base64 with padding. */
function forgedErr(field: string, values: [string, string][]): string {
  const json = JSON.stringify({ Invalid: { errors: [[field, 'FORGED message']], values } });
  return encodeURIComponent(Buffer.from(json).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'));
}

test.describe('script injection', () => {
  test('forged error links, failed posts and stored text never run a script', async ({ browser }) => {
    const { page, violations } = await jsPage(browser);
    await signup(page, `pw_${unique()}`);

    // A project whose stored description is the payload.
    await page.goto('/me/projects/new');
    await page.getByLabel('Title').fill(`Injection ${unique()}`);
    await page.getByLabel('Description (optional)').fill(PAYLOAD);
    await page.getByLabel('Proof-of-work link').fill('https://example.com/proof');
    await page.getByLabel('Category').selectOption('devtools');
    let response = await clickAndLoad(page, page.getByRole('button', { name: 'Create project' }));
    expect(response.status()).toBe(200);
    const projectPath = new URL(page.url()).pathname;
    const id = projectPath.split('/').pop()!;
    await assertNothingRan(page);

    // Stored: the edit page shows it as text, exactly.
    response = (await page.goto(`/me/projects/${id}/edit`))!;
    expect(response.status()).toBe(200);
    await assertNothingRan(page);
    await expect(page.getByLabel('Description (optional)')).toHaveValue(PAYLOAD);

    // A forged link to the project page: neither the message nor the
    // values show, and nothing runs.
    const forged = `${projectPath}?__path=%2Fapi%2Fcomment&__err=${forgedErr('content', [
      ['content', PAYLOAD],
      ['target', id],
    ])}`;
    response = (await page.goto(forged))!;
    await assertNothingRan(page);
    await expect(page.getByText('FORGED message')).toHaveCount(0);
    await expect(page.locator('#comment-new')).toHaveValue('');
    expect(response.status()).toBe(200);

    // A real failed post (too long): back on the page with the message,
    // the typed text literally in the textarea, the address clean.
    const typed = PAYLOAD + 'x'.repeat(2001);
    await page.goto(projectPath);
    await page.locator('#comment-new').fill(typed);
    response = await clickAndLoad(page, page.getByRole('button', { name: 'Post comment' }));
    expect(response.status()).toBe(422);
    expect(page.url()).not.toContain('__err');
    expect(new URL(page.url()).pathname).toBe(projectPath);
    await assertNothingRan(page);
    await expect(page.locator('#comment-new-error')).toContainText('at most 2000 characters');
    await expect(page.locator('#comment-new')).toHaveValue(typed);
    // Once: a reload is the plain page.
    response = (await page.reload())!;
    expect(response.status()).toBe(200);
    await expect(page.locator('#comment-new-error')).toHaveCount(0);
    await expect(page.locator('#comment-new')).toHaveValue('');

    // The pages' own scripts (the external /unread.js, the inline
    // resource scripts with the response's nonce) and styles are allowed.
    expect(violations).toEqual([]);
  });
});
