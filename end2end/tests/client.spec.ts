import { type Page } from '@playwright/test';
import { test, expect, jsOn, newPage, signup, unique, numberIn, hydrated } from './fixtures';

// The hydrated client (the `js` pass only): actions update the page in
// place and links navigate without loading a document. Each test first
// checks that the client took over the page (`<html data-hydrated>`), and
// leaves a mark on `window` that a page load would wipe: a test that
// passed by loading pages would fail here.

test.skip(() => !jsOn(), 'the hydrated client runs only with JavaScript');

/** Marks the current document; `stillSameDocument` checks the mark later. */
async function markDocument(page: Page): Promise<void> {
  await expect(page.locator('html[data-hydrated]')).toHaveCount(1);
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
}

async function stillSameDocument(page: Page): Promise<void> {
  const same = await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);
  expect(same, 'the action should not have loaded a new document').toBe(true);
}

test('an upvote changes the count in place, and removing it changes it back', async ({ page }) => {
  await signup(page, `cl_up_${unique()}`);
  await page.goto('/?tab=top&period=all');
  await markDocument(page);
  const card = page.locator('ul.cards:not(.compact) > li.card').first();
  const before = await numberIn(card.locator('.upvote-count'));
  await card.getByRole('button', { name: /^Upvote / }).click();
  await expect(card.locator('.upvote-count')).toHaveText(String(before + 1));
  await expect(card.getByRole('button', { name: /^Remove upvote/ })).toBeVisible();
  await card.getByRole('button', { name: /^Remove upvote/ }).click();
  await expect(card.locator('.upvote-count')).toHaveText(String(before));
  await expect(card.getByRole('button', { name: /^Upvote / })).toBeVisible();
  await stillSameDocument(page);
  expect(new URL(page.url()).search).toBe('?tab=top&period=all');
});

test('a comment appears without a reload, and the form is ready for the next', async ({ page }) => {
  await signup(page, `cl_cm_${unique()}`);
  await page.goto('/?tab=top&period=all');
  await page.locator('ul.cards:not(.compact) > li.card .card-title a').nth(5).click();
  await expect(page).toHaveURL(/\/p\//);
  await expect(page.locator('#comment-new')).toBeVisible();
  await markDocument(page);
  const text = `Inline comment ${unique()}`;
  await page.locator('#comment-new').fill(text);
  await page.getByRole('button', { name: 'Post comment' }).click();
  await expect(page.locator('.comment', { hasText: text })).toHaveCount(1);
  await expect(page.locator('#comment-new')).toHaveValue('');
  await stillSameDocument(page);
});

test('links navigate in the client: the page changes, the document stays', async ({ page }) => {
  await page.goto('/');
  await markDocument(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Leaderboard' }).click();
  await expect(page).toHaveURL(/\/leaderboard$/);
  await expect(page.locator('table.leaderboard')).toBeVisible();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chains' }).click();
  await expect(page).toHaveURL(/\/chains$/);
  await expect(page).toHaveTitle(/Chains/);
  await stillSameDocument(page);
  // Back works as in any site.
  await page.goBack();
  await expect(page).toHaveURL(/\/leaderboard$/);
  await stillSameDocument(page);
});

test('a message from someone else lights the inbox badge without a reload', async ({ page, browser }) => {
  const receiver = `cl_rx_${unique()}`;
  const sender = `cl_tx_${unique()}`;
  await signup(page, receiver);
  await page.goto('/dashboard');
  await hydrated(page);
  await markDocument(page);
  const badge = page.locator('a[href="/inbox"] .nav-badge');
  await expect(badge).toBeHidden();

  // Anyone signed in may message anyone.
  const other = await newPage(browser);
  await signup(other, sender);
  await other.goto(`/inbox/${receiver}`);
  await other.getByLabel(`Message to ${receiver}`).fill('Hello back');
  await other.getByRole('button', { name: 'Send' }).click();
  await expect(other.locator('li.message.mine .message-text')).toHaveText(['Hello back']);

  await expect(page.locator('a[href="/inbox"] .nav-badge-count')).toHaveText('1');
  await expect(badge).toBeVisible();
  await stillSameDocument(page);
});
