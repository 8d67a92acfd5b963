// Import a CSV statement: choose the account and file, fix how its dates are written,
// see the rows Manna already has flagged, import the rest, then undo the batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, launch, openPage, signIn, sql } from './helpers.mjs';

const pad = (n) => String(n).padStart(2, '0');
const dayFirst = (iso) => { const [y, m, d] = iso.split('-'); return `${d}/${m}/${y}`; };

test('upload a CSV, map its columns, see duplicates flagged, import, undo', async () => {
  // Two rows the demo's checking account already has (days ≤ 12, so every date in the
  // file reads both ways), and three new ones.
  const existing = sql(`SELECT a.id, t.date::text, t.name, t.amount::text FROM transactions t
                        JOIN accounts a ON a.id = t.account_id
                        WHERE a.is_manual AND a.is_active AND t.parent_transaction_id IS NULL
                          AND extract(day FROM t.date) BETWEEN 1 AND 12 AND extract(day FROM t.date) <> extract(month FROM t.date)
                          AND t.name NOT LIKE '%,%' AND t.name NOT LIKE '%"%'
                        ORDER BY a.name, t.date DESC LIMIT 2`);
  assert.equal(existing.length, 2);
  const account = existing[0][0];
  const same = existing.filter((r) => r[0] === account);
  const lines = ['Booked,Text,Value'];
  for (const [, date, name, amount] of same) lines.push(`${dayFirst(date)},${name},${amount}`);
  const year = new Date().getFullYear() - 3;
  for (const [i, [name, amount]] of [['Corner Bakery', '-6.40'], ['City Parking 0043', '-12.00'], ['Refund Acme Co', '25.99']].entries()) {
    lines.push(`${pad(3 + i)}/${pad(7 + i)}/${year},${name},${amount}`);
  }
  const csv = lines.join('\r\n') + '\r\n';
  const before = sql(`SELECT count(*) FROM transactions WHERE account_id = '${account}'`)[0][0];

  const browser = await launch();
  try {
    const { page, problems } = await openPage(browser);
    await signIn(page);
    await page.goto(BASE_URL + '/import');
    await page.waitForSelector('body[data-hydrated="true"]');
    await page.getByLabel('Account').selectOption(account);
    await page.getByLabel(/Statement file/).setInputFiles({ name: 'checking.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });

    // The dates read both ways: say how they are written, then preview again.
    await page.getByRole('heading', { name: /Preview: CSV/ }).waitFor();
    await page.getByText('These dates read both as month/day and day/month').waitFor();
    await page.getByLabel('Dates are written').selectOption('day');
    await page.getByLabel('Date', { exact: true }).selectOption({ label: 'Booked' });
    await page.getByLabel('Description').selectOption({ label: 'Text' });
    await page.getByLabel('Amount', { exact: true }).selectOption({ label: 'Value' });
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByText(`${3} new, ${same.length} already in Manna, 0 could not be read.`).waitFor();
    const flagged = page.locator('table.preview-rows tbody tr.duplicate');
    assert.equal(await flagged.count(), same.length);
    assert.match(await flagged.first().innerText(), /Already there/);
    assert.equal(await flagged.first().getByRole('checkbox').isChecked(), false);

    await page.getByRole('button', { name: 'Import 3 rows' }).click();
    await page.getByText(`Imported 3 rows (${same.length} already there, 0 unreadable).`).waitFor();
    assert.equal(Number(sql(`SELECT count(*) FROM transactions WHERE account_id = '${account}'`)[0][0]), Number(before) + 3);

    // Undo removes exactly that batch.
    await page.getByRole('button', { name: 'Undo import of checking.csv' }).click();
    await page.getByText('Undone').waitFor();
    assert.equal(sql(`SELECT count(*) FROM transactions WHERE account_id = '${account}'`)[0][0], before);
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/import.png`, fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
