import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, sql, totp, BASE_URL } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function ready(page) {
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
}

test('a new user turns on two-factor sign-in and signs back in with a code', async () => {
  const { page, problems } = await openPage(browser);
  const email = `mfa-${Date.now()}@example.com`;
  const password = 'another long passphrase here';

  await page.goto(BASE_URL + '/signup');
  await ready(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('No accounts yet').waitFor({ timeout: 15_000 });

  await page.getByRole('link', { name: 'Settings' }).click();
  await page.waitForURL(BASE_URL + '/settings');
  await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
  const secret = (await page.getByTestId('totp-secret').textContent()).trim();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.ok(await page.locator('.qr svg').isVisible(), 'the QR code is shown');
  await page.getByLabel('Code', { exact: true }).fill(totp(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  const codes = page.getByTestId('recovery-codes').locator('li');
  await codes.first().waitFor();
  assert.equal(await codes.count(), 10);
  await page.getByText('Two-factor authentication turned on').waitFor();

  await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/settings-mfa.png`, fullPage: true });
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await page.waitForURL(BASE_URL + '/login');
  await ready(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(BASE_URL + '/login/mfa');
  // The enrolment used this 30 s step's code; the app's next code is accepted.
  await page.getByLabel('Code').fill(totp(secret, Math.floor(Date.now() / 1000) + 30));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByText('No accounts yet').waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('.user-menu .signed-in').textContent(), email);

  const [[verified]] = sql(`SELECT s.mfa_verified FROM user_sessions s JOIN users u ON u.id = s.user_id
    WHERE u.email = '${email}' AND s.revoked_at IS NULL`);
  assert.equal(verified, 't');
  assert.deepEqual(problems, []);
});
