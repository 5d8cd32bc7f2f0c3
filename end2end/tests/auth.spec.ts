import { type Browser, type Page, type Response } from '@playwright/test';
import { test, expect, DEMO_PASSWORD, clickAndLoad, newContext, unique } from './fixtures';

// Sign-up, log-in, log-out, sessions, rate limiting and cross-site posts,
// all with JavaScript disabled (see playwright.config.ts). Every test has a
// client address of its own (fixtures.ts), so the log-in limit one test
// reaches throttles no other.

const DEMO_ACCOUNTS = ['demo_builder', 'demo_validator', 'demo_investor', 'demo_admin'];

function newUser() {
  const id = unique();
  return {
    username: `u_${id}`.slice(0, 30),
    email: `user_${id}@example.com`,
    password: `pw-${id}-long-enough`,
  };
}
type User = ReturnType<typeof newUser>;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
/** Matches text that contains `word` as a whole word. */
function wholeWord(word: string): RegExp {
  return new RegExp(`(^|[^A-Za-z0-9_])${escapeRegExp(word)}($|[^A-Za-z0-9_])`);
}

/**
 * Clicks a submit button and returns the response of the page the browser ends
 * up on (after redirects), once it has loaded.
 */
async function submit(page: Page, form: string | null, button: string): Promise<Response> {
  const scope = form ? page.locator(form) : page;
  return clickAndLoad(page, scope.getByRole('button', { name: button, exact: true }));
}

const SIGNUP_FORM = 'form:has(input[name="username"])';
const LOGIN_FORM = 'form:has(input[name="login"])';

/**
 * Leaves validation to the server: drops the browser's own constraints
 * (required, minlength, maxlength, pattern, type=email) from the form.
 */
async function withoutBrowserValidation(page: Page, form: string): Promise<void> {
  await page.locator(form).evaluate((f: HTMLFormElement) => {
    f.setAttribute('novalidate', '');
    for (const input of Array.from(f.querySelectorAll('input'))) {
      for (const attr of ['required', 'minlength', 'maxlength', 'pattern']) input.removeAttribute(attr);
      if (input.getAttribute('type') === 'email') input.setAttribute('type', 'text');
    }
  });
}

async function fillSignup(page: Page, user: User): Promise<Response> {
  await page.goto('/signup');
  await withoutBrowserValidation(page, SIGNUP_FORM);
  await page.locator('input[name="username"]').fill(user.username);
  await page.locator('input[name="email"]').fill(user.email);
  await page.locator('input[name="password"]').fill(user.password);
  return submit(page, SIGNUP_FORM, 'Create account');
}

async function signUpAs(page: Page, user: User): Promise<void> {
  const response = await fillSignup(page, user);
  expect(response.status(), `sign-up of ${user.username} should succeed`).toBe(200);
  expect(new URL(page.url()).pathname).toBe('/');
  await expect(page.locator('.nav-user')).toHaveText(wholeWord(user.username));
}

async function submitLogin(page: Page, loginName: string, password: string): Promise<Response> {
  await page.goto('/login');
  await withoutBrowserValidation(page, LOGIN_FORM);
  await page.locator('input[name="login"]').fill(loginName);
  await page.locator('input[name="password"]').fill(password);
  return submit(page, LOGIN_FORM, 'Log in');
}

async function expectLoggedIn(page: Page, username: string): Promise<void> {
  expect(new URL(page.url()).pathname).toBe('/');
  await expect(page.locator('.nav-user')).toHaveText(wholeWord(username));
}

/** The login is refused with "Wrong username or password". */
async function expectWrongCredentials(page: Page, loginName: string, password: string): Promise<void> {
  const response = await submitLogin(page, loginName, password);
  await expect(page.locator('.form-error')).toContainText('Wrong username or password');
  expect([401, 422]).toContain(response.status());
  await expect(page.locator('.nav-user')).toHaveCount(0);
}

/** The login is refused (whatever the message: the input may be invalid as a login too). */
async function expectLoginFails(page: Page, loginName: string, password: string): Promise<void> {
  const response = await submitLogin(page, loginName, password);
  expect([401, 422]).toContain(response.status());
  expect(new URL(page.url()).pathname).not.toBe('/');
  await expect(page.locator('.nav-user')).toHaveCount(0);
}

/** Creates a user in a context of its own, so the test's page stays signed out. */
async function createUser(browser: Browser, baseURL: string | undefined): Promise<User> {
  const context = await newContext(browser, { baseURL });
  try {
    const page = await context.newPage();
    const user = newUser();
    await signUpAs(page, user);
    return user;
  } finally {
    await context.close();
  }
}

test.describe('sign-up', () => {
  test('every field has a label', async ({ page }) => {
    await page.goto('/signup');
    for (const name of ['username', 'email', 'password']) {
      const input = page.locator(`${SIGNUP_FORM} input[name="${name}"]`);
      await expect(input).toHaveCount(1);
      const id = await input.getAttribute('id');
      expect(id, `input ${name} needs an id for its label`).toBeTruthy();
      await expect(page.locator(`label[for="${id}"]`)).toHaveCount(1);
    }
  });

  test('creates an account, signs in and redirects home', async ({ page }) => {
    const user = newUser();
    await signUpAs(page, user);
    // Still signed in on the next page load.
    await page.goto('/');
    await expect(page.locator('.nav-user')).toHaveText(wholeWord(user.username));
  });

  test('the new account can log in by username and by email', async ({ page, browser, baseURL }) => {
    const user = await createUser(browser, baseURL);
    await submitLogin(page, user.username, user.password);
    await expectLoggedIn(page, user.username);
    await page.context().clearCookies();
    await submitLogin(page, user.email, user.password);
    await expectLoggedIn(page, user.username);
  });

  test('a taken username (in any case) is refused', async ({ page, browser, baseURL }) => {
    const existing = await createUser(browser, baseURL);
    const attempt = { ...newUser(), username: existing.username.toUpperCase() };
    const response = await fillSignup(page, attempt);
    expect(response.status()).toBe(422);
    await expect(page.locator('#username-error')).toContainText('That username is taken');
    await expect(page.locator('.nav-user')).toHaveCount(0);
    // Nothing was created: the attempt's email and password do not log in.
    await expectLoginFails(page, attempt.email, attempt.password);
    await expectLoginFails(page, existing.username, attempt.password);
  });

  test('a taken email is refused', async ({ page, browser, baseURL }) => {
    const existing = await createUser(browser, baseURL);
    const attempt = { ...newUser(), email: existing.email };
    const response = await fillSignup(page, attempt);
    expect(response.status()).toBe(422);
    await expect(page.locator('#email-error')).toContainText('cannot be used for a new account');
    await expect(page.locator('.nav-user')).toHaveCount(0);
    await expectLoginFails(page, attempt.username, attempt.password);
  });

  const invalid: { title: string; field: 'username' | 'email' | 'password'; change: (u: User) => User }[] = [
    { title: 'a password of 9 characters', field: 'password', change: (u) => ({ ...u, password: '123456789' }) },
    { title: 'a password of 129 characters', field: 'password', change: (u) => ({ ...u, password: 'p'.repeat(129) }) },
    { title: 'a username of 2 characters', field: 'username', change: (u) => ({ ...u, username: 'ab' }) },
    {
      title: 'a username of 31 characters',
      field: 'username',
      change: (u) => ({ ...u, username: `${u.username}${'x'.repeat(40)}`.slice(0, 31) }),
    },
    {
      title: 'a username with a character outside [A-Za-z0-9_]',
      field: 'username',
      change: (u) => ({ ...u, username: `${u.username.slice(0, 20)}-x` }),
    },
    { title: 'an email without @', field: 'email', change: (u) => ({ ...u, email: u.email.replace('@', '_at_') }) },
    {
      title: 'an email of 260 characters',
      field: 'email',
      change: (u) => {
        // local part + 3 labels of 63 characters + a last label: 260 in all.
        const local = u.email.split('@')[0];
        const label = (c: string) => c.repeat(63);
        let email = `${local}@${label('a')}.${label('b')}.${label('c')}.`;
        email += 'd'.repeat(260 - email.length - 4) + '.com';
        expect(email.length).toBe(260);
        return { ...u, email };
      },
    },
  ];
  for (const { title, field, change } of invalid) {
    test(`${title} is refused and creates nothing`, async ({ page }) => {
      const user = change(newUser());
      const response = await fillSignup(page, user);
      expect(response.status()).toBe(422);
      await expect(page.locator(`p.field-error#${field}-error`)).toBeVisible();
      await expect(page.locator(`#${field}-error`)).not.toBeEmpty();
      await expect(page.locator('.nav-user')).toHaveCount(0);
      await expectLoginFails(page, user.username, user.password);
      await expectLoginFails(page, user.email, user.password);
    });
  }
});

test.describe('log-in', () => {
  for (const username of DEMO_ACCOUNTS) {
    test(`demo account ${username} logs in`, async ({ page }) => {
      await submitLogin(page, username, DEMO_PASSWORD);
      await expectLoggedIn(page, username);
    });
  }

  test('a wrong password is refused', async ({ page }) => {
    await expectWrongCredentials(page, 'demo_builder', 'not-the-password');
  });

  test('an unknown user gets the same answer', async ({ page }) => {
    await expectWrongCredentials(page, `nobody_${unique()}`, 'whatever-password');
  });

  test('log out signs out', async ({ page }) => {
    await submitLogin(page, 'demo_validator', DEMO_PASSWORD);
    await expectLoggedIn(page, 'demo_validator');
    await submit(page, null, 'Log out');
    await expect(page.getByRole('link', { name: 'Log in', exact: true }).first()).toBeVisible();
    await expect(page.getByRole('link', { name: 'Sign up', exact: true }).first()).toBeVisible();
    await expect(page.locator('.nav-user')).toHaveCount(0);
    // The session is gone, not just hidden.
    await page.goto('/');
    await expect(page.getByRole('link', { name: 'Log in', exact: true }).first()).toBeVisible();
    await expect(page.locator('.nav-user')).toHaveCount(0);
  });

  test('the session cookie is renewed at login, HttpOnly and SameSite=Lax', async ({ page, context }) => {
    await page.goto('/login');
    const before = (await context.cookies()).find((c) => c.name === 'proofwork_session');
    await submitLogin(page, 'demo_investor', DEMO_PASSWORD);
    await expectLoggedIn(page, 'demo_investor');
    const after = (await context.cookies()).find((c) => c.name === 'proofwork_session');
    expect(after, 'a proofwork_session cookie after login').toBeDefined();
    if (before) {
      expect(after!.value, 'the session id changes at login').not.toBe(before.value);
    }
    expect(after!.httpOnly).toBe(true);
    expect(after!.sameSite).toBe('Lax');
  });

  test('ten failed logins from one address block the next attempts', async ({ browser, baseURL }) => {
    const context = await newContext(browser, { baseURL });
    try {
      const page = await context.newPage();
      const name = `nobody_${unique()}`;
      for (let i = 1; i <= 10; i++) {
        const response = await submitLogin(page, name, `wrong-password-${i}`);
        expect(response.status(), `failed attempt ${i}`).not.toBe(429);
        await expect(page.locator('.form-error')).toContainText('Wrong username or password');
      }
      let response = await submitLogin(page, name, 'wrong-password-11');
      expect(response.status()).toBe(429);
      await expect(page.locator('.form-error')).toContainText('Too many');
      // Blocked even with the right password.
      response = await submitLogin(page, 'demo_investor', DEMO_PASSWORD);
      expect(response.status()).toBe(429);
      await expect(page.locator('.form-error')).toContainText('Too many');
      await expect(page.locator('.nav-user')).toHaveCount(0);
    } finally {
      await context.close();
    }
  });
});

test.describe('cross-site posts', () => {
  async function formAction(page: Page, path: string, form: string): Promise<string> {
    await page.goto(path);
    const action = await page.locator(form).getAttribute('action');
    expect(action, `the form on ${path} has an action`).toBeTruthy();
    return action!;
  }

  test('a cross-site login post is refused with 403', async ({ page, request, baseURL }) => {
    const action = await formAction(page, '/login', LOGIN_FORM);
    const form = { login: 'demo_builder', password: DEMO_PASSWORD };
    const crossSite = await request.post(action, {
      headers: { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site', Accept: 'text/html' },
      form,
      maxRedirects: 0,
    });
    expect(crossSite.status()).toBe(403);
    expect(crossSite.headers()['set-cookie'] ?? '').not.toContain('proofwork_session');

    // The same post from the site itself is not refused.
    const sameSite = await request.post(action, {
      headers: { Origin: baseURL!, 'Sec-Fetch-Site': 'same-origin', Accept: 'text/html', Referer: `${baseURL}/login` },
      form,
      maxRedirects: 0,
    });
    expect(sameSite.status()).not.toBe(403);
    expect(sameSite.status()).toBeLessThan(500);
  });

  test('a cross-site sign-up post is refused with 403', async ({ page, request }) => {
    const action = await formAction(page, '/signup', SIGNUP_FORM);
    const user = newUser();
    const response = await request.post(action, {
      headers: { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site', Accept: 'text/html' },
      form: { ...user },
      maxRedirects: 0,
    });
    expect(response.status()).toBe(403);
    await expectLoginFails(page, user.username, user.password);
  });
});

test('an unknown page answers 404', async ({ page }) => {
  const response = await page.goto('/no-such-page');
  expect(response!.status()).toBe(404);
  await expect(page.getByText('Page not found').first()).toBeVisible();
});
