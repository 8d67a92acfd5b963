import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, signIn, sql, BASE_URL } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const DEMO_ID = `(SELECT id FROM users WHERE email = 'demo@manna.local')`;

async function hydrated(page, url) {
  await page.goto(url);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
}

test('create a rule with a preview, save it and apply it to existing transactions', async () => {
  // Re-runnable: forget what an earlier run made.
  sql(`DELETE FROM categorization_rules WHERE name = 'Salad lunches' AND user_id = ${DEMO_ID}`);
  sql(`UPDATE transactions SET tags = array_remove(tags, 'salad') WHERE 'salad' = ANY(tags) AND user_id = ${DEMO_ID}`);
  const { page, problems } = await openPage(browser);
  await signIn(page);
  await hydrated(page, BASE_URL + '/rules');
  await page.getByRole('button', { name: 'New rule' }).click();
  const editor = page.locator('section.rule-editor');
  await editor.getByLabel('Name', { exact: true }).fill('Salad lunches');
  const condition = editor.getByRole('group', { name: 'Condition' }).first();
  await condition.getByLabel('Field').selectOption('description');
  await condition.getByLabel('Text').fill('sweetgreen');
  await editor.getByLabel('Add tags').fill('salad');

  await editor.getByRole('button', { name: 'Preview' }).click();
  const [[expected]] = sql(`SELECT count(*) FROM transactions t WHERE t.user_id = ${DEMO_ID} AND NOT t.reconciled
    AND t.name ILIKE '%sweetgreen%' AND NOT EXISTS (SELECT 1 FROM transactions p WHERE p.parent_transaction_id = t.id)`);
  assert.ok(Number(expected) > 0, 'the seed has unreconciled Sweetgreen lunches');
  await editor.getByText(`would change ${expected}.`, { exact: false }).waitFor();
  const sample = await editor.locator('.rule-preview tbody tr').count();
  assert.equal(sample, Math.min(50, Number(expected)));
  assert.equal(sql(`SELECT count(*) FROM transactions WHERE 'salad' = ANY(tags)`)[0][0], '0', 'a preview writes nothing');

  await editor.getByRole('button', { name: 'Save rule' }).click();
  const line = page.locator('tr[data-rule-id]', { hasText: 'Salad lunches' });
  await line.waitFor();
  assert.match(await line.textContent(), /description contains “sweetgreen” → tags salad/);
  await line.getByRole('button', { name: 'Apply to existing' }).click();
  await page.getByText(`Applied: ${expected} transactions changed.`).waitFor();
  const [[tagged]] = sql(`SELECT count(*) FROM transactions WHERE 'salad' = ANY(tags) AND user_id = ${DEMO_ID}`);
  assert.equal(tagged, expected);
  await line.locator('td.num').first().filter({ hasText: expected }).waitFor();
  await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/rules.png`, fullPage: true });
  assert.deepEqual(problems, []);
});

test('review queue: accept with a key, correct with the picker, explanations on the ledger', async () => {
  const { page, problems } = await openPage(browser);
  await signIn(page);
  await hydrated(page, BASE_URL + '/review');
  const rows = page.locator('table.review tbody tr[data-transaction-id]');
  await rows.first().waitFor();
  // The model suggests for rows it has not seen yet; then some rows carry a suggestion.
  await page.getByRole('button', { name: 'Suggest categories' }).click();
  await page.getByText(/The model looked at \d+ transactions/).waitFor();

  // Accept with the keyboard: focus a row with a suggestion, press "a".
  const suggested = rows.filter({ has: page.locator('td.suggestion button.button') });
  await suggested.first().waitFor();
  const acceptedId = await suggested.first().getAttribute('data-transaction-id');
  const [[predicted]] = sql(`SELECT p.predicted_category_id FROM transactions t JOIN ml_predictions p ON p.id = t.prediction_id WHERE t.id = '${acceptedId}'`);
  await suggested.first().locator('td').nth(1).click();
  await page.keyboard.press('a');
  await page.getByText('Accepted 1 of 1.').waitFor();
  await page.locator(`tr[data-transaction-id="${acceptedId}"]`).waitFor({ state: 'detached' });
  const [[category, feedback]] = sql(`SELECT t.category_id, p.feedback FROM transactions t
    JOIN ml_predictions p ON p.id = t.prediction_id WHERE t.id = '${acceptedId}'`);
  assert.equal(category, predicted);
  assert.equal(feedback, 'accepted');

  // Correct another one with the category picker: the model's guess is recorded as corrected.
  const target = suggested.first();
  const correctedId = await target.getAttribute('data-transaction-id');
  const [[guess]] = sql(`SELECT p.predicted_category_id FROM transactions t JOIN ml_predictions p ON p.id = t.prediction_id WHERE t.id = '${correctedId}'`);
  const [[other]] = sql(`SELECT id FROM categories WHERE user_id IS NULL AND kind = 'expense' AND id <> '${guess}' AND archived_at IS NULL ORDER BY name LIMIT 1`);
  await target.getByLabel('Category').selectOption(other);
  await page.getByText('Filed; the model learns from it.').waitFor();
  await page.locator(`tr[data-transaction-id="${correctedId}"]`).waitFor({ state: 'detached' });
  const [[fb, corrected]] = sql(`SELECT feedback, corrected_category_id FROM ml_predictions WHERE transaction_id = '${correctedId}'`);
  assert.deepEqual([fb, corrected], ['corrected', other]);

  // Bulk: accept every suggestion on the page.
  const waiting = await suggested.count();
  if (waiting > 0) {
    await page.getByRole('button', { name: 'Accept all suggestions on this page' }).click();
    await page.getByText(`Accepted ${waiting} of ${waiting}.`).waitFor();
  }

  // The model's quality is measured on held-out data and shown.
  await page.getByText('Right when filed automatically').waitFor({ timeout: 20_000 });
  await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/review.png`, fullPage: true });

  // The ledger says why a row has its category: here, the user's acceptance.
  await hydrated(page, BASE_URL + '/transactions');
  const [[description]] = sql(`SELECT coalesce(merchant_name, name) FROM transactions WHERE id = '${acceptedId}'`);
  const [[date]] = sql(`SELECT date::text FROM transactions WHERE id = '${acceptedId}'`);
  await hydrated(page, `${BASE_URL}/transactions?from=${date}&to=${date}`);
  const row = page.locator(`tr[data-transaction-id="${acceptedId}"]`);
  await row.getByRole('button', { name: `Edit ${description}` }).click();
  await page.getByLabel('Why this category').getByText("You accepted the model's suggestion").waitFor();
  assert.deepEqual(problems, []);
});
