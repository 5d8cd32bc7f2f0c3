import { type Page } from '@playwright/test';
import { test, expect, NIL, jsOn, unique, newPage, clickAndLoad, login, signup } from './fixtures';

// The operator's pages with JavaScript disabled (see playwright.config.ts):
// only admins see /admin, /admin/health and /denormalization-health (a
// fresh user and demo_builder get 403, a forged admin post is 403); a
// fresh user applies to be an investor, demo_admin approves the
// application on /admin and the new investor appears in the directory
// (a materialized view) after the refresher's next refresh; the health
// page lists every view with the chart, and "Reconcile now" shows a fresh
// report.

const ADMIN_PAGES = ['/admin', '/admin/health', '/denormalization-health'];

async function expectNoAdminAccess(page: Page, baseURL: string): Promise<void> {
  for (const path of ADMIN_PAGES) {
    const res = await page.goto(path);
    expect(res!.status(), path).toBe(403);
    await expect(page.locator('body')).not.toContainText('Reconcile now');
    await expect(page.locator('body')).not.toContainText('mv_feed_projects');
  }
  const forged: [string, Record<string, string>][] = [
    ['/api/admin_decide_application', { application_id: NIL, decision: 'approve' }],
    ['/api/admin_report_action', { report_id: NIL, action: 'delete' }],
    ['/api/admin_reconcile', {}],
  ];
  for (const [action, form] of forged) {
    const res = await page.request.post(action, {
      headers: { Origin: baseURL, 'Sec-Fetch-Site': 'same-origin' },
      form,
      maxRedirects: 0,
    });
    expect(res.status(), action).toBe(403);
  }
}

test.describe('operator', () => {
  test('signed out is sent to log in; a fresh user and demo_builder get 403 everywhere', async ({ page, browser, baseURL }) => {
    await page.goto('/admin/health');
    await expect(page).toHaveURL(/\/login\?next=\/admin\/health$/);
    const json = await page.request.get('/denormalization-health');
    expect(json.status()).toBe(401);

    await signup(page, `op_${unique()}`);
    await expectNoAdminAccess(page, baseURL!);
    const validator = await page.goto('/validator');
    expect(validator!.status()).toBe(403);

    const builder = await newPage(browser);
    await login(builder, 'demo_builder');
    await expectNoAdminAccess(builder, baseURL!);
    await builder.context().close();
  });

  test('a fresh applicant approved by demo_admin appears in the investor directory', async ({ page, browser }) => {
    test.setTimeout(60_000);
    const username = `inv_${unique()}`;
    const company = `Fund ${unique()}`;
    await signup(page, username);
    await page.goto('/investor/apply');
    await page.getByLabel('Company or fund').fill(company);
    await page.getByLabel('Investment focus (optional)').fill('Developer tools');
    await clickAndLoad(page, page.getByRole('button', { name: 'Apply', exact: true }));
    await expect(page.locator('body')).toContainText(company);

    const admin = await newPage(browser);
    await login(admin, 'demo_admin');
    const res = await admin.goto('/admin');
    expect(res!.status()).toBe(200);
    await expect(admin.getByRole('heading', { name: 'Pending investor applications' })).toBeVisible();
    const row = admin.locator('#applications tr', { hasText: username });
    await expect(row).toContainText(company);
    const approved = await clickAndLoad(admin, row.getByRole('button', { name: `Approve the application of ${username}` }));
    expect(approved.status()).toBe(200);
    // Without JavaScript the answer is the page again, at the list; with it
    // the page updates in place.
    if (!jsOn()) await expect(admin).toHaveURL(/\/admin#applications$/);
    await expect(admin.locator('#applications tr', { hasText: username })).toHaveCount(0);

    // The directory is a materialized view: poll until the refresher ran.
    let listed = false;
    for (let i = 0; i < 30 && !listed; i++) {
      await page.goto('/investors');
      listed = (await page.locator('.investor-card', { hasText: company }).count()) > 0;
      if (!listed) await page.waitForTimeout(500);
    }
    expect(listed, 'listed in /investors within 15 s').toBe(true);
    await expect(page.locator('.investor-card', { hasText: company })).toContainText(username);
    await admin.context().close();
  });

  test('the health page shows every view with its chart, and Reconcile now a fresh report', async ({ page }) => {
    test.setTimeout(90_000);
    await login(page, 'demo_admin');
    const res = await page.goto('/admin/health');
    expect(res!.status()).toBe(200);
    await expect(page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Derived-data health' }))
      .toHaveAttribute('aria-current', 'page');
    const rows = page.locator('section[aria-labelledby="views-h"] tbody tr');
    const views = await rows.count();
    expect(views).toBeGreaterThanOrEqual(5);
    for (let i = 0; i < views; i++) {
      await expect(rows.nth(i).locator('th code')).toHaveText(/^mv_[a-z_]+$/);
      // Kept per key or refreshed whole; staleness / target: the target is always a number.
      await expect(rows.nth(i).locator('td').nth(0)).toHaveText(/^(per key|whole)$/);
      await expect(rows.nth(i).locator('td').nth(4)).toHaveText(/\d+ (s|min|h)$/);
    }
    const charts = page.locator('.duration-charts svg[role="img"]');
    await expect(charts).toHaveCount(views);
    await expect(charts.first().locator('title').first()).toHaveText(/^mv_[a-z_]+: /);
    expect(await page.locator('.duration-charts svg rect').count(), 'bars of refreshes').toBeGreaterThan(0);
    // This instance's Redis cache counters (docs/CACHE.md).
    const cache = page.locator('section#cache');
    await expect(cache.getByRole('heading', { name: 'Redis cache on this instance' })).toBeVisible();
    await expect(cache.locator('table').first().locator('caption')).toContainText(/Hot page cache \((on|off)\), hit ratio \d+\.\d %/);
    await expect(cache.getByRole('row', { name: /Hits in process/ }).locator('td')).toHaveText(/^\d+$/);

    const reconcile = await clickAndLoad(page, page.getByRole('button', { name: 'Reconcile now' }));
    expect(reconcile.status()).toBe(200);
    await expect(page).toHaveURL(/\/admin\/health\?reconciled=1#reconcile$/);
    await expect(page.locator('p.report-done')).toContainText('Reconciliation finished');
    await expect(page.locator('#reconcile-summary')).toContainText('(admin by demo_admin');
  });
});
