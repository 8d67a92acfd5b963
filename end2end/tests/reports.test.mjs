import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, openPage, signIn, sql, BASE_URL } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const DEMO_ID = `(SELECT id FROM users WHERE email = 'demo@manna.local')`;
const TITLE = 'E2E P&L';

async function hydrated(page, url) {
  await page.goto(url);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
}

async function netIncome(page) {
  const row = page.locator('article.report tr[data-label="Net income"]');
  await row.waitFor();
  return (await row.locator('td').first().textContent()).trim();
}

test('generate a P&L, save it, regenerate a version, share it, download XLSX and PDF', async () => {
  sql(`DELETE FROM reports WHERE title = '${TITLE}' AND user_id = ${DEMO_ID}`);
  const { page, problems } = await openPage(browser);
  await signIn(page);
  await hydrated(page, BASE_URL + '/reports');

  await page.getByLabel('Report').selectOption('profit_loss');
  await page.getByRole('button', { name: 'This year' }).click();
  await page.getByRole('button', { name: 'Generate' }).click();
  const generated = await netIncome(page);
  assert.match(generated, /^-?\$[\d,]+\.\d\d$/);
  await page.locator('article.report .chart-svg svg').first().waitFor();

  await page.getByLabel('Title').fill(TITLE);
  await page.getByRole('button', { name: 'Save report' }).click();
  await page.waitForURL(/\/reports\/[0-9a-f-]{36}$/);
  await page.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
  assert.equal(await netIncome(page), generated, 'the snapshot shows what was generated');
  const v1 = page.url();

  await page.getByRole('button', { name: 'Regenerate as a new version' }).click();
  await page.waitForURL((url) => url.toString() !== v1 && /\/reports\/[0-9a-f-]{36}$/.test(url.toString()));
  await page.locator('.versions strong[aria-current="page"]', { hasText: 'v2' }).waitFor();
  assert.equal(await page.locator('.versions a', { hasText: 'v1' }).getAttribute('href'), new URL(v1).pathname);
  const [[versions]] = sql(`SELECT count(*) FROM reports WHERE title = '${TITLE}' AND user_id = ${DEMO_ID}`);
  assert.equal(versions, '2');

  await page.getByRole('button', { name: 'Create share link' }).click();
  const link = page.getByTestId('share-link');
  await link.waitFor();
  const shared = await link.getAttribute('href');
  assert.match(shared, /^\/shared\/[0-9a-f]{64}$/);

  // A fresh context: no cookies, no session.
  const stranger = await browser.newContext();
  const other = await stranger.newPage();
  await other.goto(BASE_URL + shared);
  await other.getByText('Shared report (read-only)').waitFor();
  assert.equal(await netIncome(other), generated);
  assert.equal(await other.getByText('Sign in').count() > 0, true, 'the stranger is not signed in');
  await stranger.close();

  for (const [label, magic] of [['XLSX', 'PK'], ['PDF', '%PDF']]) {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: label, exact: true }).click(),
    ]);
    const bytes = readFileSync(await download.path());
    assert.equal(bytes.subarray(0, magic.length).toString(), magic, label);
    assert.match(download.suggestedFilename(), new RegExp(`\\.${label.toLowerCase()}$`));
  }
  await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/report.png`, fullPage: true });
  assert.deepEqual(problems, []);
});
