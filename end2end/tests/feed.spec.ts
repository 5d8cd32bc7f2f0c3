import { type Locator, type Page } from '@playwright/test';
import { test, expect, unique, clickAndLoad, login, numberIn, postedCommentId } from './fixtures';

// The feed and the project page, with JavaScript disabled (see
// playwright.config.ts): tabs, pages, opening a project, and every action
// as a plain form post: upvote, comment, reply, edit, delete; a signed-out
// visitor is sent to log in; nobody edits someone else's comment.

/** The cards of the main list (not the featured strip). */
function cards(page: Page): Locator {
  return page.locator('ul.cards:not(.compact) > li.card');
}

test.describe('feed', () => {
  test('renders cards, tabs, categories and pages', async ({ page }) => {
    const response = await page.goto('/');
    expect(response!.status()).toBe(200);
    await expect(page.locator('h1')).toHaveCount(1);
    await expect(page.locator('h1')).toHaveText('Trending projects');
    await expect(cards(page)).toHaveCount(20);
    const first = cards(page).first();
    await expect(first.locator('.card-title a')).toHaveAttribute('href', /^\/p\/[0-9a-f-]{36}$/);
    await expect(first.locator('.card-meta a')).toHaveAttribute('href', /^\/u\/\w+$/);
    await expect(first.locator('.upvote-count')).toHaveText(/^\d+$/);
    await expect(page.getByRole('heading', { name: 'Featured', exact: true })).toBeVisible();

    const order = page.getByRole('navigation', { name: 'Order' });
    for (const tab of ['Trending', 'Top', 'Newest', 'Featured']) {
      await expect(order.getByRole('link', { name: tab, exact: true })).toBeVisible();
    }
    await expect(order.getByRole('link', { name: 'Trending', exact: true })).toHaveAttribute('aria-current', 'page');

    await clickAndLoad(page, order.getByRole('link', { name: 'Newest', exact: true }));
    expect(new URL(page.url()).searchParams.get('tab')).toBe('newest');
    await expect(page.locator('h1')).toHaveText('Newest projects');
    const firstPage = await cards(page).locator('.card-title a').allInnerTexts();

    const next = await clickAndLoad(page, page.getByRole('link', { name: 'Next page' }));
    expect(next.status()).toBe(200);
    expect(new URL(page.url()).searchParams.get('after')).toBeTruthy();
    const secondPage = await cards(page).locator('.card-title a').allInnerTexts();
    expect(secondPage.length).toBeGreaterThan(0);
    expect(secondPage.filter((t) => firstPage.includes(t))).toEqual([]);

    await clickAndLoad(page, page.getByRole('navigation', { name: 'Order' }).getByRole('link', { name: 'Top', exact: true }));
    await expect(page.locator('h1')).toHaveText('Top projects');
    const periods = page.getByRole('navigation', { name: 'Period' });
    await clickAndLoad(page, periods.getByRole('link', { name: 'All time' }));
    expect(new URL(page.url()).searchParams.get('period')).toBe('all');
    await expect(cards(page)).toHaveCount(20);

    await clickAndLoad(page, page.getByRole('navigation', { name: 'Category' }).getByRole('link', { name: 'AI', exact: true }));
    expect(new URL(page.url()).searchParams.get('category')).toBe('ai');
    await expect(page.locator('h1')).toHaveText('AI projects');
    await expect(cards(page).first()).toContainText('AI');
  });

  test('bad parameters are a 400 page, not an error', async ({ page }) => {
    for (const path of ['/?tab=nope', '/?tab=top&period=decade', '/?category=cooking', '/?after=xyz']) {
      const response = await page.goto(path);
      expect(response!.status(), path).toBe(400);
      await expect(page.locator('h1')).toHaveText('Something is not right');
    }
  });

  test('opens a project from its card', async ({ page }) => {
    await page.goto('/?tab=newest');
    const link = cards(page).first().locator('.card-title a');
    const title = (await link.innerText()).trim();
    const response = await clickAndLoad(page, link);
    expect(response.status()).toBe(200);
    expect(new URL(page.url()).pathname).toMatch(/^\/p\/[0-9a-f-]{36}$/);
    await expect(page.locator('h1')).toHaveCount(1);
    await expect(page.locator('h1')).toHaveText(title);
    for (const heading of ['About', 'Builder', 'Validation badges', 'Chains']) {
      await expect(page.getByRole('heading', { name: heading, exact: true })).toBeVisible();
    }
    await expect(page.getByRole('heading', { name: /^Comments \(\d+\)$/ })).toBeVisible();
    // Signed out: a way to log in instead of a comment form.
    await expect(page.locator('form[action="/api/comment"]')).toHaveCount(0);
    await expect(page.locator('#comments').getByRole('link', { name: 'Log in' })).toBeVisible();
  });

  test('an unknown project is a 404 page', async ({ page }) => {
    for (const path of ['/p/00000000-0000-0000-0000-000000000000', '/p/not-a-uuid']) {
      const response = await page.goto(path);
      expect(response!.status(), path).toBe(404);
      await expect(page.locator('h1')).toHaveText('Page not found');
    }
  });

  test('a signed-out visitor who clicks upvote is sent to log in', async ({ page }) => {
    await page.goto('/?tab=newest');
    const card = cards(page).first();
    const projectId = ((await card.getAttribute('id')) ?? '').replace(/^p-/, '');
    const before = await numberIn(card.locator('.upvote-count'));
    await clickAndLoad(page, card.getByRole('button', { name: /^Upvote / }));
    const url = new URL(page.url());
    expect(url.pathname).toBe('/login');
    expect(url.searchParams.get('next')).toBe('/?tab=newest');
    await expect(page.locator('input[name="login"]')).toBeVisible();
    // Nothing was counted.
    await page.goto(`/p/${projectId}`);
    expect(await numberIn(page.locator('.project-header .upvote-count'))).toBe(before);
  });
});

test.describe('acting on a project (demo_builder)', () => {
  // One project is changed step by step.
  test.describe.configure({ mode: 'serial' });

  test('upvote, comment, reply, edit and delete, each shown at once', async ({ page }) => {
    await login(page, 'demo_builder');
    await page.goto('/?tab=top&period=all');
    // A project other tests in this file leave alone (they use the newest).
    await clickAndLoad(page, cards(page).nth(3).locator('.card-title a'));
    const projectUrl = new URL(page.url()).pathname;
    const header = page.locator('.project-header');

    // Upvote (start from "not upvoted").
    const remove = header.getByRole('button', { name: /^Remove upvote/ });
    if ((await remove.count()) > 0) await clickAndLoad(page, remove);
    const votes = await numberIn(header.locator('.upvote-count'));
    await clickAndLoad(page, header.getByRole('button', { name: /^Upvote / }));
    expect(new URL(page.url()).pathname).toBe(projectUrl);
    await expect(header.locator('.upvote-count')).toHaveText(String(votes + 1));
    await expect(header.getByRole('button', { name: /^Remove upvote/ })).toBeVisible();
    // And it shows on the feed card too.
    await page.goto('/?tab=top&period=all');
    const card = page.locator(`li.card#p-${projectUrl.slice(3)}`);
    await expect(card.getByRole('button', { name: /^Remove upvote/ })).toBeVisible();
    await expect(card.locator('.upvote-count')).toHaveText(String(votes + 1));
    await page.goto(projectUrl);

    // An empty comment is refused with a message at the field.
    const comments = await numberIn(header.locator('.comment-count'));
    await page.getByLabel('Add a comment').fill('   ');
    let response = await clickAndLoad(page, page.getByRole('button', { name: 'Post comment' }));
    expect(response.status()).toBe(422);
    await expect(page.locator('#comment-new-error')).toHaveText('Write something first.');
    await expect(header.locator('.comment-count')).toHaveText(String(comments));

    // Comment.
    const text = `A comment from the browser ${unique()}`;
    await page.getByLabel('Add a comment').fill(text);
    await clickAndLoad(page, page.getByRole('button', { name: 'Post comment' }));
    const commentId = await postedCommentId(page, text);
    expect(commentId).toMatch(/^[0-9a-f-]{36}$/);
    const comment = page.locator(`#comment-${commentId}`);
    await expect(comment.locator('> article .comment-text')).toHaveText(text);
    await expect(header.locator('.comment-count')).toHaveText(String(comments + 1));

    // Reply to it: nested under it.
    const own = comment.locator('> article');
    await own.locator('summary', { hasText: 'Reply' }).click();
    const replyText = `A reply ${unique()}`;
    await own.getByLabel('Reply to demo_builder').fill(replyText);
    await clickAndLoad(page, own.getByRole('button', { name: 'Post reply' }));
    const replyId = await postedCommentId(page, replyText);
    const reply = page.locator(`#comment-${commentId} ol.replies #comment-${replyId}`);
    await expect(reply.locator('> article .comment-text')).toHaveText(replyText);
    await expect(header.locator('.comment-count')).toHaveText(String(comments + 2));

    // Edit the reply.
    const replyArticle = reply.locator('> article');
    await replyArticle.locator('summary', { hasText: 'Edit' }).click();
    await replyArticle.getByLabel('Edit your comment').fill(`${replyText} (edited)`);
    await clickAndLoad(page, replyArticle.getByRole('button', { name: 'Save' }));
    await expect(page.locator(`#comment-${replyId} > article .comment-text`)).toHaveText(`${replyText} (edited)`);
    await expect(page.locator(`#comment-${replyId} > article .comment-meta`)).toContainText('edited');

    // Delete the comment (its reply goes with it).
    await clickAndLoad(page, page.locator(`#comment-${commentId} > article`).getByRole('button', { name: 'Delete' }));
    await expect(page.locator(`#comment-${commentId}`)).toHaveCount(0);
    await expect(page.locator(`#comment-${replyId}`)).toHaveCount(0);
    await expect(header.locator('.comment-count')).toHaveText(String(comments));

    // Remove the upvote again.
    await clickAndLoad(page, header.getByRole('button', { name: /^Remove upvote/ }));
    await expect(header.locator('.upvote-count')).toHaveText(String(votes));
  });

  test("nobody can edit or delete someone else's comment", async ({ page, baseURL }) => {
    await login(page, 'demo_builder');
    await page.goto('/?tab=top&period=all');
    // A project with a few comments.
    const commentCounts = await cards(page).locator('.stats a .stat-value').allInnerTexts();
    const index = commentCounts.findIndex((n) => Number(n) >= 3);
    expect(index, 'a project with comments on the first page').toBeGreaterThanOrEqual(0);
    await clickAndLoad(page, cards(page).nth(index).locator('.card-title a'));
    const others = page.locator('li.comment > article').filter({
      hasNot: page.locator('.comment-meta a[href="/u/demo_builder"]'),
    });
    await expect(others.first()).toBeVisible();
    // No edit or delete offered on their comments.
    await expect(others.first().locator('summary', { hasText: 'Edit' })).toHaveCount(0);
    await expect(others.first().getByRole('button', { name: 'Delete' })).toHaveCount(0);
    const id = ((await others.first().locator('xpath=..').getAttribute('id')) ?? '').replace('comment-', '');
    const before = await others.first().locator('.comment-text').innerText();

    // A forged post from the signed-in browser is refused.
    for (const [action, form] of [
      ['/api/edit_comment', { comment_id: id, content: 'hijacked' }],
      ['/api/delete_comment', { comment_id: id }],
    ] as const) {
      const res = await page.request.post(action, {
        headers: { Origin: baseURL!, 'Sec-Fetch-Site': 'same-origin' },
        form,
        maxRedirects: 0,
      });
      expect(res.status(), action).toBe(403);
    }
    await page.reload();
    await expect(page.locator(`#comment-${id} > article .comment-text`)).toHaveText(before);
  });
});
