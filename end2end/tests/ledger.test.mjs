import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, signIn, sql, BASE_URL } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const DEMO_ID = `(SELECT id FROM users WHERE email = 'demo@manna.local')`;
const rowsOf = (page) => page.locator('table.ledger tbody tr[data-transaction-id]');

async function hydrated(page, url) {
  await page.goto(url);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
}

test('filter by a date range and a category (with its subcategories)', async () => {
  const { page, problems } = await openPage(browser);
  await signIn(page);
  const [[food]] = sql(`SELECT id FROM categories WHERE name = 'Food' AND user_id IS NULL`);
  const [[from, to]] = sql(`SELECT (max(date) - 60)::text, max(date)::text FROM transactions WHERE user_id = ${DEMO_ID}`);
  await hydrated(page, BASE_URL + '/transactions');
  const filters = page.getByRole('form', { name: 'Filter transactions' });
  await filters.getByLabel('From', { exact: true }).fill(from);
  await filters.getByLabel('To', { exact: true }).fill(to);
  await filters.getByLabel('Category').selectOption(food);
  await filters.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL((u) => u.search.includes(`category=${food}`) && u.search.includes(`from=${from}`));
  const [[expected]] = sql(`SELECT count(*) FROM transactions t JOIN categories c ON c.id = t.category_id
    WHERE t.user_id = ${DEMO_ID} AND t.parent_transaction_id IS NULL AND t.date BETWEEN '${from}' AND '${to}'
      AND (c.id = '${food}' OR c.parent_id = '${food}')`);
  assert.ok(Number(expected) > 0, 'the seed has food in the last 60 days');
  await page.getByText(`${expected} transactions`, { exact: false }).waitFor();
  const categories = await page.locator('table.ledger tbody tr[data-transaction-id] td.category').allTextContents();
  assert.equal(categories.length, Math.min(50, Number(expected)));
  for (const c of categories) assert.ok(['Groceries', 'Restaurants', 'Coffee', 'Food', 'Split'].includes(c.trim()), c);
  const dates = await page.locator('table.ledger tbody tr[data-transaction-id] td.date').allTextContents();
  assert.ok(dates.every((d) => d >= from && d <= to));
  assert.deepEqual(problems, []);
});

test('edit a category inline and see it persist after reload', async () => {
  const { page, problems } = await openPage(browser);
  await signIn(page);
  const [[id, description]] = sql(`SELECT id, coalesce(merchant_name, name) FROM transactions
    WHERE user_id = ${DEMO_ID} AND parent_transaction_id IS NULL AND NOT reconciled AND journal_entry_id IS NULL
    ORDER BY date DESC, id DESC LIMIT 1`);
  const [[travel]] = sql(`SELECT id FROM categories WHERE name = 'Travel' AND user_id IS NULL`);
  const audits = () => Number(sql(`SELECT count(*) FROM audit_logs WHERE action = 'ledger.transaction_edited' AND entity_id = '${id}'`)[0][0]);
  const auditedBefore = audits();
  await hydrated(page, BASE_URL + '/transactions');
  const row = page.locator(`tr[data-transaction-id="${id}"]`);
  await row.getByRole('button', { name: `Edit ${description}` }).click();
  const editor = page.getByRole('form', { name: `Edit ${description}` });
  await editor.getByLabel('Category').selectOption(travel);
  await editor.getByLabel('Tags').fill('e2e, trip');
  await editor.getByLabel('Tags').press('Enter'); // Enter saves, as in any form
  await editor.waitFor({ state: 'detached' });
  await page.reload();
  await page.waitForSelector('body[data-hydrated="true"]');
  assert.equal((await row.locator('td.category').textContent()).trim(), 'Travel');
  await row.getByText('#e2e').waitFor();
  const [[category, source]] = sql(`SELECT c.name, t.category_source FROM transactions t JOIN categories c ON c.id = t.category_id WHERE t.id = '${id}'`);
  assert.deepEqual([category, source], ['Travel', 'user']);
  assert.equal(audits(), auditedBefore + 1, 'the edit is audited');
  assert.deepEqual(problems, []);
});

test('split a transaction into parts that add up exactly', async () => {
  const { page, problems } = await openPage(browser);
  await signIn(page);
  const [[id, description, amount]] = sql(`SELECT id, coalesce(merchant_name, name), amount FROM transactions
    WHERE user_id = ${DEMO_ID} AND parent_transaction_id IS NULL AND NOT reconciled AND journal_entry_id IS NULL
      AND amount < -20 AND NOT EXISTS (SELECT 1 FROM transactions p WHERE p.parent_transaction_id = transactions.id)
    ORDER BY date DESC, id DESC LIMIT 1`);
  await hydrated(page, BASE_URL + '/transactions?min=20.01&q=' + encodeURIComponent(description));
  const row = page.locator(`tr[data-transaction-id="${id}"]`);
  await row.getByRole('button', { name: `Split ${description}` }).click();
  const editor = page.getByRole('form', { name: `Split ${description}` });
  const amounts = editor.getByLabel('Amount');
  await amounts.nth(0).fill('-10.00');
  await editor.getByText('Left to assign').waitFor();
  assert.ok(await editor.getByRole('button', { name: 'Save split' }).isDisabled(), 'cannot save while parts do not add up');
  const rest = (Number(amount) + 10).toFixed(2);
  await amounts.nth(1).fill(rest);
  await editor.getByText('Parts add up exactly.').waitFor();
  await editor.getByRole('button', { name: 'Save split' }).click();
  await editor.waitFor({ state: 'detached' });
  await row.locator('td.category', { hasText: 'Split' }).waitFor();
  const parts = sql(`SELECT amount FROM transactions WHERE parent_transaction_id = '${id}' ORDER BY amount`);
  assert.equal(parts.length, 2);
  assert.equal(parts.reduce((s, [a]) => s + Math.round(Number(a) * 100), 0), Math.round(Number(amount) * 100));
  assert.deepEqual(problems, []);
});

test('create a transfer and see both legs', async () => {
  const { page, problems } = await openPage(browser);
  await signIn(page);
  const accounts = sql(`SELECT id, name FROM accounts WHERE user_id = ${DEMO_ID} AND is_active AND currency = 'USD' ORDER BY name LIMIT 2`);
  assert.equal(accounts.length, 2);
  const balances = () => sql(`SELECT current_balance FROM accounts WHERE id IN ('${accounts[0][0]}', '${accounts[1][0]}') ORDER BY name`).map(([b]) => Number(b));
  const before = balances();
  const description = `E2E savings move ${Date.now()}`;
  await hydrated(page, BASE_URL + '/transactions');
  await page.getByText('New transfer').click();
  const form = page.getByRole('form', { name: 'New transfer' });
  await form.getByLabel('From').selectOption(accounts[0][0]);
  await form.getByLabel('To').selectOption(accounts[1][0]);
  await form.getByLabel('Amount').fill('123.45');
  await form.getByLabel('Date').fill('2026-01-15');
  await form.getByLabel('Description').fill(description);
  await form.getByRole('button', { name: 'Transfer' }).click();
  await form.getByText('Transfer recorded').waitFor();
  await hydrated(page, BASE_URL + '/transactions?q=' + encodeURIComponent(description));
  await page.getByText('2 transactions').waitFor();
  const amounts = await page.locator('table.ledger tbody tr[data-transaction-id] td.num').allTextContents();
  assert.ok(amounts.some((a) => a.includes('-$123.45')) && amounts.some((a) => a.includes('$123.45')));
  const legs = sql(`SELECT account_id, amount, transaction_type FROM transactions WHERE name = '${description}' ORDER BY amount`);
  assert.deepEqual(legs.map(([, a, t]) => [a, t]), [['-123.45', 'transfer'], ['123.45', 'transfer']]);
  const after = balances();
  // Cards and loans owe the other way; cash accounts move by the amount.
  assert.equal(Math.round(Math.abs(after[0] - before[0]) * 100), 12345);
  assert.equal(Math.round(Math.abs(after[1] - before[1]) * 100), 12345);
  assert.deepEqual(problems, []);
});

test('reconcile an account against a statement, then its rows are locked', async () => {
  const { page, problems } = await openPage(browser);
  await signIn(page);
  const [[account, type]] = sql(`SELECT id, account_type FROM accounts WHERE user_id = ${DEMO_ID} AND account_type = 'depository' ORDER BY name LIMIT 1`);
  const [[through]] = sql(`SELECT (min(date) + 6)::text FROM transactions WHERE account_id = '${account}' AND NOT reconciled AND NOT pending`);
  const open = sql(`SELECT id, amount FROM transactions WHERE account_id = '${account}' AND NOT reconciled
    AND NOT pending AND parent_transaction_id IS NULL AND date <= '${through}'`);
  assert.ok(open.length > 0, 'there is something to reconcile');
  const [[already]] = sql(`SELECT coalesce(sum(amount), 0) FROM transactions WHERE account_id = '${account}' AND reconciled AND parent_transaction_id IS NULL`);
  const cents = open.reduce((s, [, a]) => s + Math.round(Number(a) * 100), Math.round(Number(already) * 100));
  const statement = (cents / 100).toFixed(2);
  assert.equal(type, 'depository');

  await hydrated(page, `${BASE_URL}/accounts/${account}/reconcile`);
  await page.getByLabel('Statement date').fill(through);
  await page.getByLabel('Statement date').dispatchEvent('change');
  await page.getByLabel('Ending balance').fill(statement);
  const boxes = page.locator('table.reconcile tbody input[type="checkbox"]:not([disabled])');
  await page.waitForFunction((n) => document.querySelectorAll('table.reconcile tbody input[type="checkbox"]:not([disabled])').length === n, open.length);
  const finish = page.getByRole('button', { name: 'Finish reconciling' });
  assert.ok(await finish.isDisabled());
  for (let i = 0; i < open.length; i++) await boxes.nth(i).check();
  await page.getByText('Difference: 0.00').waitFor();
  await finish.click();
  await page.getByText(`Reconciled: ${open.length} transactions locked.`).waitFor();
  const [[locked]] = sql(`SELECT count(*) FROM transactions WHERE id IN (${open.map(([id]) => `'${id}'`).join(',')}) AND reconciled`);
  assert.equal(Number(locked), open.length);

  // On the transactions page a reconciled row has no Edit, only an audited unlock.
  await hydrated(page, `${BASE_URL}/transactions?account=${account}&reconciled=yes`);
  const row = rowsOf(page).first();
  await row.getByRole('button', { name: /^Un-reconcile/ }).waitFor();
  assert.equal(await row.getByRole('button', { name: /^Edit / }).count(), 0);
  assert.deepEqual(problems, []);
});
