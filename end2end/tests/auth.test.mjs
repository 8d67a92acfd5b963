import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, signIn, sql, BASE_URL } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a new person signs up, signs out, and signs back in', async () => {
  const { page, problems } = await openPage(browser);
  const email = `journey-${Date.now()}@example.com`;
  const password = 'a long and unusual passphrase';

  await page.goto(BASE_URL + '/');
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  assert.ok(await page.getByText('Sign in to see your accounts').isVisible());
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.waitForURL(BASE_URL + '/signup');

  // A weak password is refused with a reason, and nothing is created.
  await page.getByLabel('Your name').fill('Journey Tester');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('aaaaaaaaaaaaaaaa');
  await page.getByLabel('Repeat the password').fill('aaaaaaaaaaaaaaaa');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('alert').filter({ hasText: 'too easy to guess' }).waitFor();
  assert.deepEqual(sql(`SELECT count(*) FROM users WHERE email = '${email}'`), [['0']]);

  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('No accounts yet').waitFor({ timeout: 15_000 });
  await page.locator('.user-menu').getByText('Journey Tester').waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(BASE_URL + '/login');
  await page.goto(BASE_URL + '/');
  assert.ok(await page.getByText('Sign in to see your accounts').isVisible());

  // A wrong password is refused; the right one lets them in.
  await page.goto(BASE_URL + '/login');
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not my password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'do not match an account' }).waitFor();

  await signIn(page, { email, password });
  assert.ok(await page.getByText('No accounts yet').isVisible());
  const actions = sql(`SELECT a.action FROM audit_logs a JOIN users u ON u.id = a.user_id WHERE u.email = '${email}' ORDER BY a.seq`).map((r) => r[0]);
  assert.deepEqual(actions, ['auth.sign_up', 'auth.sign_out', 'auth.sign_in_failed', 'auth.sign_in']);
  // The refused attempts above answered 422, which the browser logs; nothing else may.
  const expected = /status of 422 .* @ .*\/api\/sign_(up|in)$/;
  assert.deepEqual(problems.filter((p) => !expected.test(p)), []);
});
