import { type Locator, type Page } from '@playwright/test';
import { test, expect, unique, newPage, clickAndLoad, signup, numberIn } from './fixtures';

// The personal pages with JavaScript disabled (see playwright.config.ts):
// a fresh builder's dashboard, creating a project (a bad link first: the
// error is on the field and nothing is created), editing, deleting and
// restoring it with the dashboard following at once; then someone else
// comments and the owner sees the notification badge in the navigation
// and the notification in /notifications, and marking it read clears it.

async function stat(page: Page, name: string): Promise<number> {
  return numberIn(page.locator(`.dash-${name}`));
}

function nav(page: Page): Locator {
  return page.getByRole('navigation', { name: 'Main' });
}

test.describe('personal pages', () => {
  test('dashboard, my projects, notifications and the unread badge', async ({ page, browser }) => {
    const owner = `pw_${unique()}`;
    await signup(page, owner);

    // Dashboard: a fresh user has nothing.
    let response = await clickAndLoad(page, nav(page).getByRole('link', { name: 'Dashboard' }));
    expect(response.status()).toBe(200);
    await expect(page.locator('h1')).toHaveText('Dashboard');
    await expect(nav(page).getByRole('link', { name: 'Dashboard' })).toHaveAttribute('aria-current', 'page');
    expect(await stat(page, 'projects')).toBe(0);
    await expect(nav(page).locator('[data-unread="notifications"]')).toBeHidden();

    // Create: a bad link first.
    await clickAndLoad(page, nav(page).getByRole('link', { name: 'My projects' }));
    await expect(page.locator('.empty')).toBeVisible();
    await clickAndLoad(page, page.getByRole('link', { name: 'New project' }));
    const title = `Proof ${unique()}`;
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Description (optional)').fill('Built with care.');
    await page.getByLabel('Proof-of-work link').fill('javascript:alert(1)');
    await page.getByLabel('Category').selectOption('devtools');
    response = await clickAndLoad(page, page.getByRole('button', { name: 'Create project' }));
    expect(response.status()).toBe(422);
    const linkError = page.locator('#link-error');
    await expect(linkError).toContainText('http://');
    await expect(page.getByLabel('Proof-of-work link')).toHaveAttribute('aria-describedby', /link-error/);
    await expect(page.getByLabel('Title')).toHaveValue(title);
    await page.goto('/dashboard');
    expect(await stat(page, 'projects')).toBe(0);

    await page.goto('/me/projects/new');
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Proof-of-work link').fill('https://example.com/proof');
    await page.getByLabel('Category').selectOption('devtools');
    response = await clickAndLoad(page, page.getByRole('button', { name: 'Create project' }));
    expect(response.status()).toBe(200);
    expect(new URL(page.url()).pathname).toMatch(/^\/p\/[0-9a-f-]{36}$/);
    const projectPath = new URL(page.url()).pathname;
    await expect(page.locator('h1')).toHaveText(title);
    await page.goto('/dashboard');
    expect(await stat(page, 'projects')).toBe(1);
    expect(await stat(page, 'active-projects')).toBe(1);

    // Edit.
    await page.goto('/me/projects');
    await clickAndLoad(page, page.getByRole('link', { name: `Edit ${title}` }));
    const edited = `${title} v2`;
    await page.getByLabel('Title').fill(edited);
    await clickAndLoad(page, page.getByRole('button', { name: 'Save changes' }));
    expect(new URL(page.url()).pathname).toBe('/me/projects');
    await expect(page.getByRole('link', { name: edited, exact: true })).toBeVisible();

    // Delete, then restore.
    await clickAndLoad(page, page.getByRole('button', { name: `Delete ${edited}` }));
    await expect(page.getByRole('button', { name: `Restore ${edited}` })).toBeVisible();
    await page.goto('/dashboard');
    expect(await stat(page, 'active-projects')).toBe(0);
    expect(await stat(page, 'projects')).toBe(1);
    response = (await page.goto(projectPath))!;
    expect(response.status()).toBe(404);
    await page.goto('/me/projects');
    await clickAndLoad(page, page.getByRole('button', { name: `Restore ${edited}` }));
    await expect(page.getByRole('button', { name: `Delete ${edited}` })).toBeVisible();
    await page.goto('/dashboard');
    expect(await stat(page, 'active-projects')).toBe(1);

    // Someone else comments.
    const other = await newPage(browser);
    await signup(other, `pw_${unique()}`);
    await other.goto(projectPath);
    await other.locator('#comment-new').fill('This is great work.');
    await clickAndLoad(other, other.getByRole('button', { name: 'Post comment' }));
    await expect(other.locator('.comment').first()).toContainText('This is great work.');
    await expect(nav(other).locator('[data-unread="notifications"]')).toBeHidden();

    // The owner sees the badge on any page, and the notification.
    await page.goto('/');
    const badge = nav(page).locator('[data-unread="notifications"]');
    await expect(badge).toBeVisible();
    await expect(badge.locator('.nav-badge-count')).toHaveText('1');
    await expect(nav(page).getByRole('link', { name: 'Notifications, 1 unread', exact: true })).toBeVisible();
    await clickAndLoad(page, nav(page).getByRole('link', { name: /Notifications/ }));
    const item = page.locator('li.notification.unread');
    await expect(item).toHaveCount(1);
    await expect(item).toContainText('commented on your project');
    await expect(item.getByRole('link')).toHaveAttribute('href', new RegExp(`^${projectPath}#comment-`));
    await clickAndLoad(page, item.getByRole('button', { name: /Mark read/ }));
    await expect(page.locator('li.notification.unread')).toHaveCount(0);
    await expect(nav(page).locator('[data-unread="notifications"]')).toBeHidden();
    await page.goto('/dashboard');
    expect(await stat(page, 'unread-notifications')).toBe(0);
    await other.context().close();
  });

  test('signed out, the personal pages send you to log in', async ({ page }) => {
    for (const path of ['/dashboard', '/me/projects', '/notifications']) {
      await page.goto(path);
      expect(new URL(page.url()).pathname).toBe('/login');
      expect(new URL(page.url()).searchParams.get('next')).toBe(path);
    }
  });
});
