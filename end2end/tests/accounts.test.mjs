import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, signIn, sql, BASE_URL } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('add a manual account, see it with its balance, close it', async () => {
  const { page, problems } = await openPage(browser);
  await signIn(page);
  await page.getByRole('link', { name: 'Accounts' }).click();
  await page.waitForURL(BASE_URL + '/accounts');
  const name = `Journey wallet ${Date.now()}`;

  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Balance today').fill('1.234');
  await page.getByRole('button', { name: 'Add account' }).click();
  await page.getByRole('alert').filter({ hasText: 'at most 2 decimal places' }).waitFor();

  await page.getByLabel('Balance today').fill('1,234.50');
  await page.getByRole('button', { name: 'Add account' }).click();
  const row = page.locator('tr', { hasText: name });
  await row.waitFor();
  assert.equal((await row.locator('td.num').first().textContent()).trim(), '$1,234.50');

  await page.getByRole('button', { name: `Close ${name}` }).click();
  await row.getByText('Closed').waitFor();
  const [[open]] = sql(`SELECT is_active FROM accounts WHERE name = '${name}'`);
  assert.equal(open, 'f');
  // 422 from the refused first attempt is expected; nothing else may be logged.
  assert.deepEqual(problems.filter((p) => !/status of 422 .*\/api\/create_account$/.test(p)), []);
});
