import { type Page } from '@playwright/test';
import { test, expect, unique, newPage, clickAndLoad, login, signup } from './fixtures';

// Intros and direct messages with JavaScript disabled, two people in two
// browser contexts: the demo investor requests an intro from a fresh
// builder's profile, the builder sees it (notification badge, /intros)
// and approves, they exchange messages and the unread counts on /inbox go
// up and down exactly: opening a conversation leaves it unread (its new
// messages marked), "Mark as read" (a form post) or a reply reads it; a
// third user guessing URLs reads nothing of theirs.

/** The profile of a user created a moment ago: its view refreshes within seconds. */
async function openProfile(page: Page, username: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const response = await page.goto(`/u/${username}`);
    if (response!.status() === 200) return;
    expect(response!.status()).toBe(404);
    await page.waitForTimeout(500);
  }
  throw new Error(`profile of ${username} never appeared`);
}

/** The unread count on the /inbox row of the conversation with `other`. */
async function inboxUnread(page: Page, other: string): Promise<string> {
  const response = await page.goto('/inbox');
  expect(response!.status()).toBe(200);
  return (await page.locator(`#conv-${other} .unread-count`).innerText()).trim();
}

test('an intro from a profile, approved, then messages with exact unread counts', async ({ browser }) => {
  test.setTimeout(90_000);
  const builderName = `soc_b_${unique()}`;
  const thirdName = `soc_c_${unique()}`;
  const investorName = 'demo_investor';
  const note = `Intro note ${unique()}`;
  const hello = `Hello investor ${unique()}`;
  const reply = `Hello builder ${unique()}`;

  const builder = await newPage(browser);
  const investor = await newPage(browser);
  const third = await newPage(browser);
  await signup(builder, builderName);
  await login(investor, investorName);
  await signup(third, thirdName);

  // The investor requests an intro from the builder's profile.
  const inv = investor;
  await openProfile(inv, builderName);
  await expect(inv.getByRole('link', { name: `Message ${builderName}` })).toBeVisible();
  await expect(inv.getByRole('heading', { name: `Request an intro to ${builderName}` })).toBeVisible();
  await inv.getByLabel('Message (optional)').fill(note);
  let response = await clickAndLoad(inv, inv.getByRole('button', { name: 'Request an intro' }));
  expect(response.status()).toBe(200);
  expect(new URL(inv.url()).pathname).toBe('/intros');
  const sent = inv.locator('#sent li.intro', { hasText: builderName });
  await expect(sent).toHaveCount(1);
  await expect(sent.locator('.intro-status')).toHaveText('Pending');
  // A second request while one is pending: 409 with a clear message.
  await openProfile(inv, builderName);
  response = await clickAndLoad(inv, inv.getByRole('button', { name: 'Request an intro' }));
  expect(response.status()).toBe(409);
  await expect(inv.locator('.form-error')).toContainText('already have a pending intro request');

  // The builder: one notification, the request on /intros, approve it.
  const bld = builder;
  await bld.goto('/intros');
  await expect(bld.locator('a[href="/notifications"] .nav-badge-count')).toHaveText('1');
  const received = bld.locator('#received li.intro', { hasText: investorName });
  await expect(received).toHaveCount(1);
  await expect(received.locator('.intro-message')).toHaveText(note);
  await expect(bld.locator('#received .count-pending')).toHaveText('1');
  response = await clickAndLoad(bld, bld.getByRole('button', { name: `Approve the intro request from ${investorName}` }));
  expect(response.status()).toBe(200);
  await expect(received.locator('.intro-status')).toHaveText('Approved');
  await expect(bld.locator('#received .count-pending')).toHaveText('0');
  await expect(bld.locator('#received .count-approved')).toHaveText('1');

  // Approved: a Message link on both sides; the builder writes first.
  await clickAndLoad(bld, received.getByRole('link', { name: `Message ${investorName}` }));
  expect(new URL(bld.url()).pathname).toBe(`/inbox/${investorName}`);
  await bld.getByLabel(`Message to ${investorName}`).fill(hello);
  response = await clickAndLoad(bld, bld.getByRole('button', { name: 'Send' }));
  expect(response.status()).toBe(200);
  await expect(bld.locator('li.message.mine .message-text')).toHaveText([hello]);

  // The investor: 1 unread on the row, still 1 after opening the
  // conversation (shown as new), 0 after "Mark as read".
  await inv.goto('/intros?status=approved');
  await expect(inv.locator('#sent li.intro', { hasText: builderName }).getByRole('link', { name: `Message ${builderName}` })).toBeVisible();
  expect(await inboxUnread(inv, builderName)).toBe('1');
  await clickAndLoad(inv, inv.locator(`#conv-${builderName} a.conversation-name`));
  await expect(inv.locator('li.message.theirs .message-text')).toHaveText([hello]);
  await expect(inv.locator('li.message.theirs.unread .unread-label')).toHaveCount(1);
  expect(await inboxUnread(inv, builderName)).toBe('1');
  await inv.goto(`/inbox/${builderName}`);
  response = await clickAndLoad(inv, inv.getByRole('button', { name: 'Mark as read' }));
  expect(response.status()).toBe(200);
  expect(new URL(inv.url()).pathname).toBe(`/inbox/${builderName}`);
  await expect(inv.locator('li.message.theirs.unread')).toHaveCount(0);
  await expect(inv.getByRole('button', { name: 'Mark as read' })).toHaveCount(0);
  expect(await inboxUnread(inv, builderName)).toBe('0');
  await inv.goto(`/inbox/${builderName}`);
  await inv.getByLabel(`Message to ${builderName}`).fill(reply);
  await clickAndLoad(inv, inv.getByRole('button', { name: 'Send' }));
  await expect(inv.locator('li.message .message-text')).toHaveText([hello, reply]);

  // The builder: the reply is 1 unread (nav badge too), still 1 with the
  // conversation open, 0 after "Mark as read".
  expect(await inboxUnread(bld, investorName)).toBe('1');
  await expect(bld.locator('a[href="/inbox"] .nav-badge-count')).toHaveText('1');
  await bld.goto(`/inbox/${investorName}`);
  await expect(bld.locator('li.message.theirs .message-text')).toHaveText([reply]);
  await expect(bld.locator('li.message.theirs.unread .message-text')).toHaveText([reply]);
  await expect(bld.locator('a[href="/inbox"] .nav-badge-count')).toHaveText('1');
  response = await clickAndLoad(bld, bld.getByRole('button', { name: 'Mark as read' }));
  expect(response.status()).toBe(200);
  await expect(bld.locator('li.message.theirs.unread')).toHaveCount(0);
  await expect(bld.locator('a[href="/inbox"] .nav-badge')).toBeHidden();
  expect(await inboxUnread(bld, investorName)).toBe('0');
  await expect(bld.locator('a[href="/inbox"] .nav-badge')).toBeHidden();
  // An empty message is refused at the field, with a 4xx page.
  await bld.goto(`/inbox/${investorName}`);
  response = await clickAndLoad(bld, bld.getByRole('button', { name: 'Send' }));
  expect(response.status()).toBe(422);
  await expect(bld.locator('#message-error')).toHaveText('Write a message.');

  // A third user guessing URLs sees only their own (empty) conversations.
  const other = third;
  for (const path of [`/inbox/${builderName}`, `/inbox/${investorName}`, '/inbox', '/intros']) {
    const r = await other.goto(path);
    expect(r!.status(), path).toBe(200);
    await expect(other.locator('main')).not.toContainText(hello);
    await expect(other.locator('main')).not.toContainText(reply);
    await expect(other.locator('main')).not.toContainText(note);
  }
  await expect(other.locator(`#conv-${builderName}`)).toHaveCount(0);
  // A builder has no investor dashboard.
  const r = await other.goto('/investor');
  expect(r!.status()).toBe(403);

  for (const c of [builder, investor, third]) await c.context().close();
});
