import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, signIn, sql, BASE_URL } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('filter transactions by text and date, page through them, and keep the view in the URL', async () => {
  const { page, problems } = await openPage(browser);
  await signIn(page);
  await page.getByRole('link', { name: 'Transactions', exact: true }).click();
  await page.waitForURL(BASE_URL + '/transactions');
  const rows = page.locator('table.transactions tbody tr[data-transaction-id]');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 50, 'a page holds 50 rows');

  await page.getByLabel('Search').fill('starbucks');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/q=starbucks/);
  await page.waitForFunction(() => [...document.querySelectorAll('table.transactions tbody tr[data-transaction-id] .description')]
    .every((td) => td.textContent.toLowerCase().includes('starbucks')));
  const [[count]] = sql(`SELECT count(*) FROM transactions t JOIN users u ON u.id = t.user_id
    WHERE u.email = 'demo@manna.local' AND t.search_text LIKE '%starbucks%'`);
  const shown = await rows.count();
  assert.equal(shown, Math.min(50, Number(count)));

  // The URL is the view: reloading it (or sharing it) shows the same rows.
  const url = page.url();
  const first = await rows.first().getAttribute('data-transaction-id');
  await page.goto(url);
  assert.equal(await rows.first().getAttribute('data-transaction-id'), first);

  if (Number(count) > 50) {
    await page.getByRole('link', { name: 'Next page →' }).click();
    await page.waitForURL(/after=/);
    await page.waitForFunction((id) => document.querySelector('table.transactions tbody tr')?.getAttribute('data-transaction-id') !== id, first);
  }

  // A date range with nothing in it says so.
  await page.goto(BASE_URL + '/transactions?from=2001-01-01&to=2001-12-31');
  await page.getByText('No transactions match').waitFor();
  assert.deepEqual(problems, []);
});
