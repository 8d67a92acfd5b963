import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, openPage, signIn, sql, usd, BASE_URL } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Net worth from the database itself (not from the app's API): assets minus what
// credit and loan accounts owe, for the demo user, optionally one side only.
function netWorth(scope) {
  const filter = scope === 'business' ? 'AND a.is_business' : scope === 'personal' ? 'AND NOT a.is_business' : '';
  const [[value]] = sql(`SELECT coalesce(sum(CASE WHEN a.account_type IN ('credit','loan') THEN -a.current_balance ELSE a.current_balance END), 0)
    FROM accounts a JOIN users u ON u.id = a.user_id
    WHERE u.email = 'demo@manna.local' AND a.is_active ${filter}`);
  return usd(value);
}

test('the dashboard shows the seeded balances, hydrates, and filters by scope', async () => {
  const { page, problems } = await openPage(browser);
  await signIn(page);
  // Server-rendered: the figures are in the HTML before any wasm runs.
  const response = await page.goto(BASE_URL + '/');
  assert.equal(response.status(), 200);
  const html = await response.text();
  assert.match(html, new RegExp(netWorth('all').replace(/[$.]/g, '\\$&')));

  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  assert.equal(await page.textContent('[data-testid="net-worth"]'), netWorth('all'));

  const accounts = sql(`SELECT a.name FROM accounts a JOIN users u ON u.id = a.user_id
    WHERE u.email = 'demo@manna.local' AND a.is_active ORDER BY a.name`).map((r) => r[0]);
  assert.ok(accounts.length >= 3);
  for (const name of accounts) {
    assert.ok(await page.getByText(name, { exact: true }).first().isVisible(), `account ${name} is shown`);
  }

  // Only a hydrated page reacts to this click.
  await page.getByRole('button', { name: 'Business' }).click();
  await page.waitForFunction(
    (expected) => document.querySelector('[data-testid="net-worth"]')?.textContent === expected,
    netWorth('business'), { timeout: 5_000 });
  assert.equal(await page.getByRole('button', { name: 'Business' }).getAttribute('aria-pressed'), 'true');
  assert.equal(await page.locator('table.accounts').getByText('Everyday Checking', { exact: true }).count(), 0,
    'personal accounts are hidden');
  // The insights follow the scope too, once they are fetched again.
  await page.locator('[data-testid="attention"]', { hasText: 'Everyday Checking' }).waitFor({ state: 'detached' });

  await page.getByRole('button', { name: 'Personal' }).click();
  await page.waitForFunction(
    (expected) => document.querySelector('[data-testid="net-worth"]')?.textContent === expected,
    netWorth('personal'), { timeout: 5_000 });

  await page.getByRole('button', { name: 'All' }).click();
  const dir = process.env.SCREENSHOT_DIR;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, 'dashboard.png'), fullPage: true });
  assert.deepEqual(problems, []);
});

test('client-side navigation and the 404 page', async () => {
  const { page, problems } = await openPage(browser);
  // Signed in: a signed-out visitor's data requests answer 401, which the browser logs.
  await signIn(page);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await page.getByRole('link', { name: 'Budgets' }).click();
  await page.waitForURL(BASE_URL + '/budgets');
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Budgets');
  assert.equal(await page.getByRole('link', { name: 'Budgets' }).getAttribute('aria-current'), 'page');

  assert.deepEqual(problems, []);

  const missingUrl = BASE_URL + '/no/such/page';
  const missing = await page.goto(missingUrl);
  assert.equal(missing.status(), 404);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'This page does not exist');
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  // The browser logs the document's own 404; anything else is a problem.
  assert.deepEqual(problems.filter((p) => !p.endsWith(`@ ${missingUrl}`)), []);
});

test('site assets are compressed and cached by content hash', async () => {
  const html = await (await fetch(BASE_URL + '/')).text();
  const wasm = html.match(/\/pkg\/(manna-[0-9a-f]+)\.wasm/);
  assert.ok(wasm, 'the page references a hashed wasm file');
  for (const ext of ['wasm', 'js', 'css']) {
    const res = await fetch(`${BASE_URL}/pkg/${wasm[1]}.${ext}`, { headers: { 'accept-encoding': 'br, gzip' } });
    assert.equal(res.status, 200, ext);
    assert.match(res.headers.get('cache-control'), /immutable/);
    assert.equal(res.headers.get('content-encoding'), 'br', ext);
  }
  const fav = await fetch(`${BASE_URL}/favicon.svg`);
  assert.equal(fav.status, 200);
  assert.equal(fav.headers.get('cache-control'), 'no-cache');
});
