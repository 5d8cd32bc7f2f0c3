import { type Page } from '@playwright/test';
import { test, expect, DEMO_PASSWORD, clickAndLoad } from './fixtures';

// Browsing pages, with JavaScript disabled (see playwright.config.ts): the
// leaderboards, the investors directory, a public profile, the Atom feed,
// and logging in from a project page's upvote and coming back to it.

/** The ranks in the leaderboard table, in order. */
async function ranks(page: Page): Promise<number[]> {
  const cells = await page.locator('table.leaderboard tbody td.rank').allInnerTexts();
  return cells.map((t) => Number(t.trim()));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

test.describe('leaderboards', () => {
  test('projects: ranks 1-50, then 51 on the next page, links to projects and builders', async ({ page }) => {
    await page.goto('/');
    await clickAndLoad(page, page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Leaderboard' }));
    expect(new URL(page.url()).pathname).toBe('/leaderboard');
    await expect(page.locator('h1')).toHaveCount(1);
    await expect(page.locator('h1')).toHaveText('Top projects');
    await expect(page.getByRole('columnheader', { name: 'Proof score' })).toBeVisible();
    expect(await ranks(page)).toEqual(range(1, 50));
    const first = page.locator('table.leaderboard tbody tr').first();
    await expect(first.getByRole('rowheader').getByRole('link')).toHaveAttribute('href', /^\/p\/[0-9a-f-]{36}$/);
    await expect(first.locator('td a')).toHaveAttribute('href', /^\/u\/\w+$/);

    await clickAndLoad(page, page.getByRole('link', { name: 'Next page' }));
    expect(new URL(page.url()).searchParams.get('after')).toBe('50');
    const second = await ranks(page);
    expect(second[0]).toBe(51);
    expect(second).toEqual(range(51, 50 + second.length));

    // Open the project at rank 51.
    const link = page.locator('table.leaderboard tbody tr').first().getByRole('rowheader').getByRole('link');
    const title = (await link.innerText()).trim();
    const response = await clickAndLoad(page, link);
    expect(response.status()).toBe(200);
    await expect(page.locator('h1')).toHaveText(title);
  });

  test('builders: ranked by karma, each linked to a profile', async ({ page }) => {
    await page.goto('/leaderboard');
    await clickAndLoad(page, page.getByRole('navigation', { name: 'Leaderboard' }).getByRole('link', { name: 'Builders' }));
    await expect(page.locator('h1')).toHaveText('Top builders');
    expect(await ranks(page)).toEqual(range(1, 50));
    const karma = (await page.locator('table.leaderboard tbody td.score').allInnerTexts()).map(Number);
    for (let i = 1; i < karma.length; i++) expect(karma[i]).toBeLessThanOrEqual(karma[i - 1]);
    const builder = page.locator('table.leaderboard tbody tr').first().getByRole('rowheader').getByRole('link');
    const name = (await builder.innerText()).trim();
    await clickAndLoad(page, builder);
    expect(new URL(page.url()).pathname).toBe(`/u/${name}`);
    await expect(page.locator('h1')).toContainText(name);
  });

  test('a bad parameter is a 400 page', async ({ page }) => {
    for (const path of ['/leaderboard?tab=nope', '/leaderboard?after=-3', '/leaderboard?after=x']) {
      const response = await page.goto(path);
      expect(response!.status(), path).toBe(400);
      await expect(page.locator('h1')).toHaveText('Something is not right');
    }
  });
});

test.describe('investors and profiles', () => {
  test('the investors directory lists companies with safe links and no email', async ({ page }) => {
    await page.goto('/');
    await clickAndLoad(page, page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Investors' }));
    await expect(page.locator('h1')).toHaveText('Investors');
    const cards = page.locator('li.investor-card');
    expect(await cards.count()).toBeGreaterThan(0);
    await expect(cards.first().locator('h2')).not.toHaveText('');
    const html = await page.content();
    expect(html).not.toContain('@example.com');
    for (const link of await page.locator('.investor-links a').all()) {
      await expect(link).toHaveAttribute('rel', 'nofollow noopener ugc');
      await expect(link).toHaveAttribute('href', /^https?:\/\//);
    }
  });

  test('a profile shows numbers and projects; an unknown user is a 404', async ({ page }) => {
    const response = await page.goto('/u/demo_builder');
    expect(response!.status()).toBe(200);
    await expect(page.locator('h1')).toHaveCount(1);
    await expect(page.locator('h1')).toContainText('demo_builder');
    for (const heading of ['Reputation', 'Chains followed']) {
      await expect(page.getByRole('heading', { name: heading, exact: true })).toBeVisible();
    }
    await expect(page.getByRole('heading', { name: /^Projects \(\d+\)$/ })).toBeVisible();
    await expect(page.locator('.profile-stats')).toContainText('karma');
    await expect(page.locator('.profile-stats')).toContainText('badges given');
    expect(await page.content()).not.toContain('@example.com');
    const project = page.locator('li.profile-project').first();
    if ((await project.count()) > 0) {
      await expect(project.locator('.card-title a')).toHaveAttribute('href', /^\/p\/[0-9a-f-]{36}$/);
    }

    const missing = await page.goto('/u/no_such_user_here');
    expect(missing!.status()).toBe(404);
    await expect(page.locator('h1')).toHaveText('Page not found');
  });

  test('the Atom feed answers with Atom and is announced on the feed page', async ({ page, request }) => {
    await page.goto('/');
    const href = await page.locator('link[rel="alternate"][type="application/atom+xml"]').getAttribute('href');
    expect(href).toBe('/feeds/projects.atom');
    const res = await request.get(href!);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toBe('application/atom+xml; charset=utf-8');
    const body = await res.text();
    expect(body).toContain('<feed xmlns="http://www.w3.org/2005/Atom">');
    expect(body.match(/<entry>/g)?.length).toBe(50);
  });
});

test.describe('logging in returns to where you were', () => {
  test('upvote while signed out, log in, land back on the project', async ({ page }) => {
    await page.goto('/?tab=newest');
    await clickAndLoad(page, page.locator('ul.cards:not(.compact) > li.card').nth(1).locator('.card-title a'));
    const projectPath = new URL(page.url()).pathname;
    const title = (await page.locator('h1').innerText()).trim();

    await clickAndLoad(page, page.locator('.project-header').getByRole('button', { name: /^Upvote / }));
    const url = new URL(page.url());
    expect(url.pathname).toBe('/login');
    expect(url.searchParams.get('next')).toBe(projectPath);

    await page.getByLabel('Username or email').fill('demo_validator');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    const response = await clickAndLoad(page, page.getByRole('button', { name: 'Log in', exact: true }));
    expect(response.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe(projectPath);
    await expect(page.locator('h1')).toHaveText(title);
    await expect(page.locator('.nav-user')).toHaveText('demo_validator');
  });

  test('a next pointing at another site goes home instead', async ({ page }) => {
    await page.goto('/login?next=//evil.example/');
    await page.getByLabel('Username or email').fill('demo_investor');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await clickAndLoad(page, page.getByRole('button', { name: 'Log in', exact: true }));
    const url = new URL(page.url());
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toBe('/');
    await expect(page.locator('.nav-user')).toHaveText('demo_investor');
  });
});
