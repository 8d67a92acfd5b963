import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';

export const BASE_URL = process.env.BASE_URL;

/// Debian's Chromium with the flags this machine needs (see shared/TOOLCHAIN.md).
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/// A page that records console errors and uncaught exceptions: a hydration mismatch
/// shows up there first, so every journey fails on them.
export async function openPage(browser) {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()} @ ${msg.location().url}`); });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  return { page, problems };
}

/// Runs SQL against the app's database (psql), returning rows of tab-separated text.
export function sql(query) {
  return execFileSync('psql', [process.env.DB_URL, '-XAtF', '\t', '-v', 'ON_ERROR_STOP=1', '-c', query])
    .toString().trim().split('\n').filter(Boolean).map((l) => l.split('\t'));
}

/// Formats like manna_core::format_money for USD.
export function usd(amount) {
  const cents = Math.round(Number(amount) * 100);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}$${whole}.${String(abs % 100).padStart(2, '0')}`;
}

export const DEMO = { email: 'demo@manna.local', password: 'manna-demo-2026' };

/// Signs in through the page, as a person would, and waits for the dashboard.
export async function signIn(page, { email, password } = DEMO) {
  await page.goto(BASE_URL + '/login');
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('[data-testid="net-worth"], .empty-state h2', { timeout: 15_000 });
}

/// RFC 6238 TOTP (SHA-1, 30 s, 6 digits), as an authenticator app computes it.
export function totp(base32Secret, unixSeconds = Math.floor(Date.now() / 1000)) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of base32Secret.replace(/[\s=]/g, '').toUpperCase()) {
    bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, '0');
}
