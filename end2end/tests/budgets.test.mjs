import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, signIn, sql, usd, BASE_URL } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const DEMO_ID = `(SELECT id FROM users WHERE email = 'demo@manna.local')`;
const NAME = 'E2E household';

/// What the demo user spent this month in a category and its subcategories, as the
/// budget counts it: personal rows, expense categories, splits by their parts, no transfers.
function spentThisMonth(category) {
  const [[spent]] = sql(`WITH RECURSIVE tree AS (
      SELECT id FROM categories WHERE name = '${category}' AND user_id IS NULL
      UNION SELECT c.id FROM categories c JOIN tree ON c.parent_id = tree.id)
    SELECT coalesce(-sum(t.amount), 0) FROM transactions t
    WHERE t.user_id = ${DEMO_ID} AND t.category_id IN (SELECT id FROM tree) AND NOT t.is_business
      AND t.date BETWEEN date_trunc('month', current_date)::date AND current_date
      AND t.transaction_type <> 'transfer'
      AND NOT EXISTS (SELECT 1 FROM transactions p WHERE p.parent_transaction_id = t.id)`);
  return Number(spent);
}

test('create a monthly budget with three lines, see actuals and variance, roll over into next month', async () => {
  // Re-runnable: forget what an earlier run made (the next month's budget first).
  sql(`DELETE FROM budgets WHERE name = '${NAME}' AND previous_budget_id IS NOT NULL AND user_id = ${DEMO_ID}`);
  sql(`DELETE FROM budgets WHERE name = '${NAME}' AND user_id = ${DEMO_ID}`);
  const { page, problems } = await openPage(browser);
  await signIn(page);
  await page.goto(BASE_URL + '/budgets');
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });

  const form = page.locator('form.budget-form');
  await form.getByLabel('Name').fill(NAME);
  await form.getByLabel('Period').selectOption('monthly');
  await form.getByLabel('For').selectOption('personal');
  await form.getByRole('button', { name: 'Create budget' }).click();
  await page.waitForURL(/\/budgets\/[0-9a-f-]{36}$/);
  await page.getByRole('heading', { name: NAME }).waitFor();
  await page.getByText('No lines yet').waitFor();

  const lines = [['Groceries', '500.00'], ['Coffee', '40.00'], ['Restaurants', '200.00']];
  const addForm = page.locator('form.add-line');
  for (const [category, amount] of lines) {
    const [[id]] = sql(`SELECT id FROM categories WHERE name = '${category}' AND user_id IS NULL`);
    await addForm.getByLabel('Category').selectOption(id);
    await addForm.getByLabel('Amount').fill(amount);
    await addForm.getByRole('button', { name: 'Add line' }).click();
    await page.locator(`tr[data-category="${category}"]`).waitFor();
  }

  // Actuals and variance per line, as the database counts them.
  for (const [category, amount] of lines) {
    const spent = spentThisMonth(category);
    const row = page.locator(`tr[data-category="${category}"]`);
    const cells = row.locator('td');
    assert.equal((await cells.nth(1).textContent()).trim(), usd(amount));
    assert.equal((await cells.nth(2).textContent()).trim(), usd(spent));
    const remaining = Number(amount) - spent;
    assert.ok((await cells.nth(3).textContent()).startsWith(usd(remaining)), `${category} remaining`);
    if (remaining < 0) assert.equal(await row.getAttribute('class'), 'over');
    // One decimal, half away from zero, in exact cents (as Decimal rounds it).
    const ratio = Math.round(remaining * 100) * 1000 / Math.round(Number(amount) * 100);
    const tenths = Math.sign(ratio) * Math.round(Math.abs(ratio));
    const percent = `${tenths < 0 ? '-' : ''}${Math.floor(Math.abs(tenths) / 10)}.${Math.abs(tenths) % 10}`;
    assert.ok((await cells.nth(3).textContent()).includes(`(${percent}%)`), `${category} variance ${percent}`);
  }
  const total = lines.reduce((s, [c]) => s + spentThisMonth(c), 0);
  assert.equal((await page.getByTestId('budget-spent').textContent()).trim(), usd(total));

  // Rollover on for Coffee, then start next month: Coffee carries what is left (or owed).
  const coffee = page.locator('tr[data-category="Coffee"]');
  await coffee.getByLabel('Roll over Coffee').check();
  await coffee.getByText('On', { exact: true }).waitFor();
  await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/budget.png`, fullPage: true });
  const next = page.getByRole('button', { name: /^Start / });
  const nextLabel = (await next.textContent()).replace('Start ', '');
  await next.click();
  await page.getByRole('heading', { name: NAME }).waitFor();
  await page.locator('.period-nav strong', { hasText: nextLabel }).waitFor();
  const carried = 40 - spentThisMonth('Coffee');
  const sign = carried > 0 ? '+' : '';
  await page.locator('tr[data-category="Coffee"] [data-testid="carried"]', { hasText: `${sign}${usd(carried)} carried` }).waitFor();
  assert.equal(await page.locator('tr[data-category="Groceries"] [data-testid="carried"]').count(), 0, 'no rollover, no carry');
  assert.deepEqual(problems, []);
});
