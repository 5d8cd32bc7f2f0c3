import { type Locator, type Page } from '@playwright/test';
import { test, expect, unique, clickAndLoad, login } from './fixtures';

// Search, validation badges and reports, with JavaScript disabled (see
// playwright.config.ts): a misspelled word finds the project; a validator
// awards a badge and sees it at once (then revokes it); a builder gets no
// award form and a forged award is refused; a signed-in user reports a
// project and gets a confirmation.

/** The cards of the main list of the feed (not the featured strip). */
function cards(page: Page): Locator {
  return page.locator('ul.cards:not(.compact) > li.card');
}

/** The title with one word of 5+ letters misspelled (two inner letters swapped). */
function misspell(title: string): { typed: string; word: string } | null {
  const words = title.split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (!/^[A-Za-z]{5,}$/.test(w)) continue;
    for (let j = 1; j + 2 < w.length; j++) {
      if (w[j] !== w[j + 1]) {
        const typo = w.slice(0, j) + w[j + 1] + w[j] + w.slice(j + 2);
        const copy = [...words];
        copy[i] = typo;
        return { typed: copy.join(' '), word: w };
      }
    }
  }
  return null;
}

test.describe('search', () => {
  test.setTimeout(120_000);
  test('a misspelled title finds the project; a misspelled word is corrected', async ({ page }) => {
    await page.goto('/?tab=newest');
    let target: { href: string; typed: string; title: string } | null = null;
    for (let i = 0; i < 20 && !target; i++) {
      const link = cards(page).nth(i).locator('.card-title a');
      const title = (await link.innerText()).trim();
      const typo = misspell(title);
      if (typo) target = { href: (await link.getAttribute('href'))!, typed: typo.typed, title };
    }
    expect(target, 'a newest project with a word of 5+ letters').not.toBeNull();

    // The box in the navigation.
    const nav = page.getByRole('search', { name: 'Site search' });
    await nav.getByLabel('Search').fill(target!.typed);
    const response = await clickAndLoad(page, nav.getByRole('button', { name: 'Search' }));
    expect(response.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/search');
    await expect(page.locator('h1')).toHaveCount(1);
    const results = page.locator('ol.search-results > li');
    const found = results.locator(`a[href="${target!.href}"]`);
    // The search views lag writes by design (seconds; right after the
    // server loads its demo data, a little longer): reload until found.
    const searched = page.url();
    await expect(async () => {
      if ((await found.count()) === 0) await page.goto(searched);
      await expect(found.first()).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 60_000 });

    // One misspelled word alone: corrected, said so, matches highlighted.
    const box = page.getByRole('search', { name: 'Search form' });
    await box.getByLabel('Search projects, people and chains').fill('rsut');
    await clickAndLoad(page, box.getByRole('button', { name: 'Search' }));
    const corrected = page.url();
    await expect(async () => {
      if ((await results.count()) === 0) await page.goto(corrected);
      await expect(page.getByRole('status')).toContainText('Showing results for rust', { timeout: 1000 });
    }).toPass({ timeout: 60_000 });
    await expect(results.first()).toBeVisible();
    await expect(page.locator('ol.search-results mark').first()).toHaveText(/rust/i);

    // The type tabs narrow the results.
    await clickAndLoad(page, page.getByRole('navigation', { name: 'Result type' }).getByRole('link', { name: /^Projects/ }));
    expect(new URL(page.url()).searchParams.get('type')).toBe('project');
    const hrefs = await results.locator('.result-title a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(hrefs.length).toBeGreaterThan(0);
    for (const h of hrefs) expect(h).toMatch(/^\/p\/[0-9a-f-]{36}$/);
  });

  test('empty, hostile and over-long queries', async ({ page }) => {
    let response = await page.goto('/search');
    expect(response!.status()).toBe(200);
    await expect(page.getByRole('heading', { name: 'Find projects, people and chains' })).toBeVisible();

    response = await page.goto(`/search?q=${encodeURIComponent('<script>alert(1)</script> "x & :*')}`);
    expect(response!.status()).toBe(200);
    await expect(page.getByLabel('Search projects, people and chains')).toHaveValue('<script>alert(1)</script> "x & :*');
    expect(await page.content()).not.toContain('<script>alert(1)');

    response = await page.goto(`/search?q=${'a'.repeat(201)}`);
    expect(response!.status()).toBe(400);
    await expect(page.locator('#search-q-error')).toContainText('at most 200 characters');
  });
});

test.describe('badges (demo_validator)', () => {
  test.describe.configure({ mode: 'serial' });

  test('a validator awards a badge, sees it at once, and revokes it', async ({ page }) => {
    await login(page, 'demo_validator');
    await page.goto('/?tab=newest');
    // A project the feed tests leave alone.
    await clickAndLoad(page, cards(page).nth(6).locator('.card-title a'));
    const projectPath = new URL(page.url()).pathname;
    await expect(page.getByRole('heading', { name: 'Award a badge' })).toBeVisible();
    const select = page.getByLabel('Badge type');
    const free = select.locator('option:not([disabled])[value]:not([value=""])');
    expect(await free.count(), 'a badge type not given yet').toBeGreaterThan(0);
    const type = (await free.first().getAttribute('value'))!;
    await select.selectOption(type);
    const note = `Checked by the browser ${unique()}`;
    await page.getByLabel('Note (optional)').fill(note);
    const response = await clickAndLoad(page, page.getByRole('button', { name: 'Award badge' }));
    expect(response.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe(projectPath);

    const item = page.locator('.badge-list > li').filter({ hasText: note });
    await expect(item).toHaveCount(1);
    await expect(item.locator('a[href="/u/demo_validator"]')).toBeVisible();
    await expect(item.locator(`.badge-${type}`)).toBeVisible();
    await expect(page.locator(`#badge-type option[value="${type}"]`)).toHaveAttribute('disabled', '');

    // The same type again (a forged form post): refused with the message.
    const again = await page.request.post('/api/award_badge', {
      headers: { Origin: new URL(page.url()).origin, 'Sec-Fetch-Site': 'same-origin' },
      form: { project_id: projectPath.slice(3), badge_type: type, note: '' },
      maxRedirects: 0,
    });
    expect(again.status()).toBe(422);
    expect(await again.text()).toContain('You already awarded this badge');

    // Revoke it: gone at once.
    await clickAndLoad(page, item.getByRole('button', { name: /^Revoke your / }));
    await expect(page.locator('.badge-list > li').filter({ hasText: note })).toHaveCount(0);
  });

  test('a builder has no award form and a forged award is refused', async ({ page, baseURL }) => {
    await login(page, 'demo_builder');
    await page.goto('/?tab=newest');
    await clickAndLoad(page, cards(page).nth(7).locator('.card-title a'));
    const projectId = new URL(page.url()).pathname.slice(3);
    await expect(page.getByRole('heading', { name: 'Validation badges' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Award a badge' })).toHaveCount(0);
    await expect(page.locator('select[name="badge_type"]')).toHaveCount(0);
    const badges = await page.locator('.badge-list > li').count();

    const res = await page.request.post('/api/award_badge', {
      headers: { Origin: baseURL!, 'Sec-Fetch-Site': 'same-origin' },
      form: { project_id: projectId, badge_type: 'design', note: 'forged' },
      maxRedirects: 0,
    });
    expect(res.status()).toBe(403);
    await page.reload();
    await expect(page.locator('.badge-list > li')).toHaveCount(badges);
  });
});

test.describe('reports', () => {
  test('a signed-in user reports a project and sees a confirmation', async ({ page }) => {
    await page.goto('/?tab=newest');
    await clickAndLoad(page, cards(page).nth(8).locator('.card-title a'));
    const projectPath = new URL(page.url()).pathname;
    // Signed out: no report form.
    await expect(page.locator('summary', { hasText: 'Report this project' })).toHaveCount(0);

    await login(page, 'demo_builder');
    await page.goto(projectPath);
    await page.locator('summary', { hasText: 'Report this project' }).click();
    const reason = page.getByLabel('Why are you reporting this project?');

    // An empty reason is refused at the field.
    await reason.fill('   ');
    let response = await clickAndLoad(page, page.getByRole('button', { name: 'Send report' }).first());
    expect(response.status()).toBe(422);
    await expect(page.locator(`#report-reason-${projectPath.slice(3)}-error`)).toHaveText('Tell the admins what is wrong.');

    await page.getByLabel('Why are you reporting this project?').fill(`Looks copied ${unique()}`);
    response = await clickAndLoad(page, page.getByRole('button', { name: 'Send report' }).first());
    expect(response.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe(projectPath);
    await expect(page.getByRole('status').filter({ hasText: 'Your report was sent to the admins.' })).toBeVisible();
  });
});
