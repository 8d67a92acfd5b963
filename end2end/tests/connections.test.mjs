// Connect a bank through the stand-in Plaid Link in the page, see its accounts and
// transactions arrive, have the bank ask for a new sign-in, and fix it in update mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, launch, openPage, signIn, sql } from './helpers.mjs';

const FAKE = process.env.PLAID_FAKE_URL;

async function fake(path, body) {
  const r = await fetch(FAKE + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  assert.ok(r.ok, `${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

async function untilTrue(what, check, timeout = 20_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('connect a bank with Link, see its data, fix a login-required connection', { skip: !FAKE }, async () => {
  const browser = await launch();
  try {
    const { page, problems } = await openPage(browser);
    await signIn(page);
    await page.goto(BASE_URL + '/connections');
    await page.waitForSelector('body[data-hydrated="true"]');
    await page.getByRole('heading', { name: 'No banks connected' }).waitFor();

    // Link: a wrong password is refused inside Link, the right one connects.
    await page.getByRole('button', { name: 'Connect a bank' }).click();
    const link = page.getByRole('dialog', { name: 'Plaid Link (test stand-in)' });
    await link.waitFor();
    await link.getByLabel('Institution').selectOption({ label: 'First Platypus Bank' });
    await link.getByLabel('Username').fill('user_good');
    await link.getByLabel('Password').fill('wrong');
    await link.getByRole('button', { name: 'Continue' }).click();
    await link.getByRole('alert').waitFor();
    await link.getByLabel('Password').fill('pass_good');
    await link.getByRole('button', { name: 'Continue' }).click();
    await link.waitFor({ state: 'detached' });
    await page.getByText('Connected First Platypus Bank').waitFor();

    const card = page.getByRole('region', { name: 'First Platypus Bank' });
    await card.getByRole('link', { name: 'Plaid Checking' }).waitFor();
    await card.getByRole('link', { name: 'Plaid Credit Card' }).waitFor();

    // The first sync runs in the background worker; the page shows it when done.
    const [item] = await fake('/fake/items');
    const expected = item.transaction_count;
    await untilTrue('the first sync', () => {
      const [[n]] = sql(`SELECT count(*) FROM transactions t JOIN accounts a ON a.id = t.account_id
                         JOIN plaid_items p ON p.id = a.plaid_item_id WHERE p.plaid_item_id = '${item.item_id}'`);
      return Number(n) === expected;
    });
    await card.getByText('Syncing…').waitFor({ state: 'detached', timeout: 15_000 });
    assert.doesNotMatch(await card.innerText(), /Last sync: never/);

    // Its transactions are on the transactions page.
    const { transactions } = await fake(`/fake/items/${item.item_id}/transactions`);
    const posted = transactions.find((t) => !t.pending && t.merchant_name);
    await page.goto(`${BASE_URL}/transactions?q=${encodeURIComponent(posted.merchant_name)}`);
    await page.waitForSelector('body[data-hydrated="true"]');
    await page.locator('table.transactions tbody tr', { hasText: posted.merchant_name }).first().waitFor();

    // The bank asks for a new sign-in: Plaid's ITEM ERROR webhook reaches the app.
    await fake(`/fake/items/${item.item_id}/reset_login`, {});
    const hook = await fake(`/fake/items/${item.item_id}/webhook`, { webhook_type: 'ITEM', webhook_code: 'ERROR' });
    assert.equal(hook.status, 200);
    await untilTrue('login required', () => sql(`SELECT status FROM plaid_items WHERE plaid_item_id = '${item.item_id}'`)[0][0] === 'login_required');
    await page.goto(BASE_URL + '/connections');
    await page.waitForSelector('body[data-hydrated="true"]');
    await card.getByText('Sign-in needed').waitFor();

    // Update mode: Link again for this item, no institution choice.
    await card.getByRole('button', { name: 'Fix connection' }).click();
    await link.waitFor();
    await link.getByText('Reconnect First Platypus Bank').waitFor();
    await link.getByLabel('Username').fill('user_good');
    await link.getByLabel('Password').fill('pass_good');
    await link.getByRole('button', { name: 'Continue' }).click();
    await link.waitFor({ state: 'detached' });
    await page.getByText('Reconnected').waitFor();
    await card.getByText('Connected', { exact: true }).waitFor();
    assert.equal(sql(`SELECT status FROM plaid_items WHERE plaid_item_id = '${item.item_id}'`)[0][0], 'good');

    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/connections.png`, fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
