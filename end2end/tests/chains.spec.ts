import { type Locator, type Page } from '@playwright/test';
import { test, expect, unique, clickAndLoad, login, numberIn, postedCommentId } from './fixtures';

// Chains and their forums, with JavaScript disabled (see
// playwright.config.ts): discovery, creating a chain, following, posting,
// commenting, voting and pinning, each a plain form post shown at once;
// a signed-out visitor is sent to log in; a member who is not the owner
// gets no pin control and a forged pin is refused with 403.

/** The cards of the main discovery list (not the featured strip). */
function chainCards(page: Page): Locator {
  return page.locator('ul.chain-cards:not(.compact) > li.chain-card');
}

test.describe('chains', () => {
  test('discovery renders tabs, categories and chains', async ({ page }) => {
    const response = await page.goto('/chains');
    expect(response!.status()).toBe(200);
    await expect(page.locator('h1')).toHaveCount(1);
    await expect(page.locator('h1')).toHaveText('Trending chains');
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chains' })).toBeVisible();
    expect(await chainCards(page).count()).toBeGreaterThan(0);
    const first = chainCards(page).first();
    await expect(first.locator('.card-title a')).toHaveAttribute('href', /^\/c\/[0-9a-f-]{36}$/);
    await expect(first.locator('.follower-count')).toHaveText(/^\d+$/);

    const order = page.getByRole('navigation', { name: 'Order' });
    await expect(order.getByRole('link', { name: 'Trending', exact: true })).toHaveAttribute('aria-current', 'page');
    await clickAndLoad(page, order.getByRole('link', { name: 'Most followed' }));
    await expect(page.locator('h1')).toHaveText('Most followed chains');
    const followers = await chainCards(page).locator('.follower-count').allInnerTexts();
    const numbers = followers.map(Number);
    expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
    await clickAndLoad(page, page.getByRole('navigation', { name: 'Order' }).getByRole('link', { name: 'Newest' }));
    await expect(page.locator('h1')).toHaveText('Newest chains');

    // Signed out: a way to log in instead of the create form.
    await expect(page.locator('#create-chain-heading')).toHaveText('Create a chain');
    await expect(page.locator('.create-chain').getByRole('link', { name: 'Log in' })).toBeVisible();

    // Open a chain: header, forum, projects.
    await page.goto('/chains');
    const link = chainCards(page).first().locator('.card-title a');
    const name = (await link.innerText()).trim();
    await clickAndLoad(page, link);
    await expect(page.locator('h1')).toHaveText(name);
    await expect(page.getByRole('heading', { name: 'Forum', exact: true })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Projects', exact: true })).toBeVisible();

    for (const path of ['/chains?tab=nope', '/chains?category=cooking']) {
      const res = await page.goto(path);
      expect(res!.status(), path).toBe(400);
    }
    const res = await page.goto('/c/00000000-0000-0000-0000-000000000000');
    expect(res!.status()).toBe(404);
    await expect(page.locator('h1')).toHaveText('Page not found');
  });

  test('a signed-out visitor who clicks follow is sent to log in', async ({ page }) => {
    await page.goto('/chains');
    await clickAndLoad(page, chainCards(page).first().locator('.card-title a'));
    const chainPath = new URL(page.url()).pathname;
    const before = await numberIn(page.locator('.chain-header .follower-count'));
    await clickAndLoad(page, page.getByRole('button', { name: /^Follow / }));
    const url = new URL(page.url());
    expect(url.pathname).toBe('/login');
    expect(url.searchParams.get('next')).toBe(chainPath);
    await page.goto(chainPath);
    expect(await numberIn(page.locator('.chain-header .follower-count'))).toBe(before);
  });

  test('follow and unfollow a chain, shown at once', async ({ page }) => {
    await login(page, 'demo_validator');
    await page.goto('/chains?tab=newest');
    await clickAndLoad(page, chainCards(page).nth(1).locator('.card-title a'));
    const header = page.locator('.chain-header');
    const unfollow = header.getByRole('button', { name: /^Unfollow / });
    if ((await unfollow.count()) > 0) await clickAndLoad(page, unfollow);
    const followers = await numberIn(header.locator('.follower-count'));
    await clickAndLoad(page, header.getByRole('button', { name: /^Follow / }));
    await expect(header.locator('.follower-count')).toHaveText(String(followers + 1));
    await expect(header.getByRole('button', { name: /^Unfollow / })).toBeVisible();
    await clickAndLoad(page, header.getByRole('button', { name: /^Unfollow / }));
    await expect(header.locator('.follower-count')).toHaveText(String(followers));
    await expect(header.getByRole('button', { name: /^Follow / })).toBeVisible();
  });
});

test.describe('a chain of your own (demo_builder)', () => {
  // One chain is created and used step by step.
  test.describe.configure({ mode: 'serial' });
  let chainPath = '';
  let postPath = '';
  const chainName = `E2E chain ${unique()}`;

  test('create a chain; a taken name is refused at the field', async ({ page }) => {
    await login(page, 'demo_builder');
    await page.goto('/chains');
    const form = page.locator('.create-chain');
    // A name already taken (another letter case) is refused.
    const taken = (await chainCards(page).first().locator('.card-title a').innerText()).trim();
    await form.getByLabel('Name').fill(taken.toUpperCase());
    let response = await clickAndLoad(page, form.getByRole('button', { name: 'Create chain' }));
    expect(response.status()).toBe(422);
    await expect(page.locator('#name-error')).toContainText('already exists');

    await page.locator('.create-chain').getByLabel('Name').fill(chainName);
    await page.locator('.create-chain').getByLabel('Description (optional)').fill('Built by the browser test.');
    await page.locator('.create-chain').getByLabel('Category').selectOption('devtools');
    response = await clickAndLoad(page, page.locator('.create-chain').getByRole('button', { name: 'Create chain' }));
    expect(response.status()).toBe(200);
    chainPath = new URL(page.url()).pathname;
    expect(chainPath).toMatch(/^\/c\/[0-9a-f-]{36}$/);
    await expect(page.locator('h1')).toHaveText(chainName);
    await expect(page.locator('.chain-header .follower-count')).toHaveText('1');
    await expect(page.getByRole('button', { name: `Unfollow ${chainName}` })).toBeVisible();
  });

  test('post in the forum, comment and vote', async ({ page }) => {
    await login(page, 'demo_builder');
    await page.goto(chainPath);
    await page.locator('.new-post summary').click();
    // An empty title is refused at the field.
    await page.getByLabel('Post', { exact: true }).fill('Body without a title');
    let response = await clickAndLoad(page, page.getByRole('button', { name: 'Publish post' }));
    expect(response.status()).toBe(422);
    await expect(page.locator('#title-error')).toHaveText('Give your post a title.');

    const title = `Welcome ${unique()}`;
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Post', { exact: true }).fill('Say hello and share what you build.');
    await page.getByLabel('Type', { exact: true }).selectOption('announcement');
    await clickAndLoad(page, page.getByRole('button', { name: 'Publish post' }));
    postPath = new URL(page.url()).pathname;
    expect(postPath).toMatch(/^\/c\/[0-9a-f-]{36}\/posts\/[0-9a-f-]{36}$/);
    await expect(page.locator('h1')).toHaveText(title);

    // Comment.
    const text = `First comment ${unique()}`;
    await page.getByLabel('Add a comment').fill(text);
    await clickAndLoad(page, page.getByRole('button', { name: 'Post comment' }));
    const commentId = await postedCommentId(page, text);
    expect(commentId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(page.locator(`#comment-${commentId} .comment-text`)).toHaveText(text);
    await expect(page.locator('.post-header .comment-count')).toHaveText('1');

    // Upvote, then take it back.
    await clickAndLoad(page, page.getByRole('button', { name: /^Upvote / }));
    await expect(page.locator('.post-header .post-upvotes')).toHaveText('1');
    await expect(page.getByRole('button', { name: /^Remove upvote/ })).toBeVisible();
    await clickAndLoad(page, page.getByRole('button', { name: /^Downvote / }));
    await expect(page.locator('.post-header .post-upvotes')).toHaveText('0');
    await expect(page.locator('.post-header .post-downvotes')).toHaveText('1');
    await clickAndLoad(page, page.getByRole('button', { name: /^Upvote / }));
    await expect(page.locator('.post-header .post-upvotes')).toHaveText('1');

    // The chain page lists it at once, with its counts.
    await page.goto(chainPath);
    const card = page.locator(`#post-${postPath.split('/').pop()}`);
    await expect(card.locator('.post-title a')).toHaveText(title);
    await expect(card.locator('.post-comments')).toHaveText('1');
    await expect(card.locator('.post-upvotes')).toHaveText('1');
    await expect(page.locator('.chain-header .post-count')).toHaveText('1');
  });

  test('the owner pins a post', async ({ page }) => {
    await login(page, 'demo_builder');
    await page.goto(chainPath);
    const postId = postPath.split('/').pop()!;
    await clickAndLoad(page, page.locator(`#post-${postId}`).getByRole('button', { name: /^Pin / }));
    const strip = page.locator('section.pinned');
    await expect(strip.getByRole('heading', { name: 'Pinned', exact: true })).toBeVisible();
    await expect(strip.locator(`#post-${postId}`)).toBeVisible();
    await expect(strip.locator(`#post-${postId}`).getByRole('button', { name: /^Unpin / })).toBeVisible();
  });

  test('a member who is not the owner has no pin control; a forged pin is 403', async ({ page, baseURL }) => {
    await login(page, 'demo_validator');
    await page.goto(chainPath);
    await clickAndLoad(page, page.getByRole('button', { name: /^Follow / }));
    const postId = postPath.split('/').pop()!;
    await expect(page.locator(`#post-${postId}`)).toBeVisible();
    await expect(page.locator('form[action="/api/pin_post"], form[action="/api/unpin_post"]')).toHaveCount(0);
    // Members post, but announcements are the owner's.
    await page.locator('.new-post summary').click();
    await expect(page.getByLabel('Type', { exact: true }).locator('option[value="announcement"]')).toHaveCount(0);

    for (const action of ['/api/unpin_post', '/api/pin_post']) {
      const res = await page.request.post(action, {
        headers: { Origin: baseURL!, 'Sec-Fetch-Site': 'same-origin' },
        form: { post_id: postId },
        maxRedirects: 0,
      });
      expect(res.status(), action).toBe(403);
    }
    await page.reload();
    await expect(page.locator(`section.pinned #post-${postId}`)).toBeVisible();
  });
});
