import { defineConfig } from '@playwright/test';
import path from 'node:path';

// Run through scripts/test, which sets these; by hand:
//   E2E_PORT=4010 E2E_DATABASE_URL=postgres://postgres@127.0.0.1:25432/proofwork_e2e \
//   E2E_REDIS_URL=redis://127.0.0.1:26379 npx playwright test
// (the database must exist and be empty; the server loads demo data into it).
const port = Number(process.env.E2E_PORT ?? 4010);
const baseURL = `http://127.0.0.1:${port}`;
const repoRoot = path.resolve(__dirname, '..');

const databaseUrl = process.env.E2E_DATABASE_URL;
if (!databaseUrl) {
  throw new Error('E2E_DATABASE_URL is not set (scripts/test sets it; see playwright.config.ts)');
}
const redisUrl = process.env.E2E_REDIS_URL ?? process.env.REDIS_URL;
if (!redisUrl) {
  throw new Error('E2E_REDIS_URL (or REDIS_URL) is not set');
}

// Debian's Chromium; Playwright downloads no browser here. A project-level
// launchOptions replaces the top-level one, so each project has it in full.
const chromium = {
  browserName: 'chromium' as const,
  launchOptions: {
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  },
};

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  forbidOnly: true,
  workers: 2,
  retries: 0,
  reporter: 'list',
  // Each test is bounded, and so is the whole run: a hang fails with the
  // test's name instead of stalling CI.
  timeout: 30_000,
  globalTimeout: 30 * 60_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    trace: 'off',
  },
  // The whole suite runs twice: without JavaScript (every page and action
  // must work as plain HTML) and with it (the hydrated client, when
  // target/site holds one: scripts/test builds it). Specs read the mode
  // from the project's name (fixtures.ts `jsOn`).
  projects: [
    { name: 'no-js', use: { ...chromium, javaScriptEnabled: false } },
    // After the first pass, not beside it: both act as the same demo
    // accounts on the same projects.
    { name: 'js', use: { ...chromium, javaScriptEnabled: true }, dependencies: ['no-js'] },
  ],
  webServer: {
    // The server's log goes to target/e2e-server.log, or E2E_LOG (scripts/test
    // shows its end when a test fails).
    command: `exec target/debug/server serve --demo-data >${process.env.E2E_LOG ?? 'target/e2e-server.log'} 2>&1`,
    cwd: repoRoot,
    url: `${baseURL}/healthz`,
    timeout: 180_000,
    reuseExistingServer: false,
    env: {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      PROOFWORK_ADDR: `127.0.0.1:${port}`,
      PROOFWORK_DEMO_SCALE: '0.05',
      PROOFWORK_TRUST_PROXY: 'true',
      PROOFWORK_SIGNUP_PER_HOUR: '1000',
    },
  },
});
