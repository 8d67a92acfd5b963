// Runs the browser journeys against the binary the way it is deployed: it is copied
// alone into an empty folder (so it must carry its own site assets and migrations),
// starts its own embedded Postgres there, seeds demo data, and serves on a free port.
// Stops it with SIGTERM afterwards and checks it shut down cleanly. The binary is
// $MANNA_E2E_BIN (scripts/test.sh: the debug build with `embed-site`), by default
// target/release/manna.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, copyFileSync, linkSync, chmodSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Under target/ (same filesystem as the build) so the binary can be hard-linked: a debug
// build is ~800 MB, too much to copy into a small /tmp.
mkdirSync(join(root, 'target/tmp'), { recursive: true });
const work = mkdtempSync(join(root, 'target/tmp', 'e2e-'));
chmodSync(work, 0o755);
const bin = join(work, 'manna');
const built = process.env.MANNA_E2E_BIN || join(root, 'target/release/manna');
try { linkSync(built, bin); } catch { copyFileSync(built, bin); }
chmodSync(bin, 0o755);

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function waitReady(base, path = '/readyz') {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try { if ((await fetch(`${base}${path}`)).ok) return; } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`${base} did not become ready in 60 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const port = await freePort();
const env = { ...process.env, MANNA_DATA_DIR: join(work, 'data'), MANNA_ADDR: `127.0.0.1:${port}`, MANNA_LOG: 'warn' };
delete env.DATABASE_URL;
delete env.MANNA_SECRET_KEY;

// The local fake Plaid (test support, never shipped): the app's Plaid client, Link
// script and webhooks all point at it.
const fakeBin = ['debug', 'release'].map((p) => join(root, 'target', p, 'plaid-fake')).find(existsSync);
if (!fakeBin) throw new Error('build the fake Plaid first: cargo build -p plaid-fake');
const fakePort = await freePort();
const fakeUrl = `http://127.0.0.1:${fakePort}`;
const fake = spawn(fakeBin, ['--port', String(fakePort)], { stdio: ['ignore', 'ignore', 'inherit'] });
Object.assign(env, {
  PLAID_CLIENT_ID: 'manna-test-client',
  PLAID_SECRET: 'manna-test-secret',
  PLAID_ENV: 'sandbox',
  PLAID_BASE_URL: fakeUrl,
  PLAID_LINK_SCRIPT_URL: `${fakeUrl}/link-initialize.js`,
  PLAID_WEBHOOK_URL: `http://127.0.0.1:${port}/webhooks/plaid`,
  PLAID_FAKE_URL: fakeUrl,
});

execFileSync(bin, ['setup-dev', '--include-data', '--transactions', '3000'], { env, cwd: work, stdio: 'inherit' });
const server = spawn(bin, ['serve'], { env, cwd: work, stdio: ['ignore', 'inherit', 'inherit'] });
const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));

let failed = false;
try {
  const base = `http://127.0.0.1:${port}`;
  await waitReady(base);
  await waitReady(fakeUrl, '/fake/calls');
  const dbUrl = execFileSync(bin, ['db-url'], { env, cwd: work }).toString().trim();
  // `node end2end/run.mjs categorize ledger` runs only the journeys whose file names
  // contain one of the words; no words, all of them.
  const only = process.argv.slice(2);
  const tests = readdirSync(join(root, 'end2end/tests'))
    .filter((f) => f.endsWith('.test.mjs') && (only.length === 0 || only.some((w) => f.includes(w))))
    .map((f) => join(root, 'end2end/tests', f));
  execFileSync(process.execPath, ['--test', '--test-concurrency=1', ...tests], {
    env: { ...env, BASE_URL: base, DB_URL: dbUrl, SCREENSHOT_DIR: join(root, 'end2end/screenshots') },
    stdio: 'inherit',
  });

  // The same lone binary as a second node with DATABASE_URL pointing at the first
  // one's database: it serves the full hydrated site without any embedded cluster.
  const port2 = await freePort();
  const env2 = { ...env, DATABASE_URL: dbUrl, MANNA_ADDR: `127.0.0.1:${port2}`, MANNA_DATA_DIR: join(work, 'node2') };
  const second = spawn(bin, ['serve'], { env: env2, cwd: work, stdio: ['ignore', 'inherit', 'inherit'] });
  const secondExited = new Promise((resolve) => second.on('exit', (code) => resolve(code)));
  try {
    await waitReady(`http://127.0.0.1:${port2}`);
    execFileSync(process.execPath, ['--test', join(root, 'end2end/tests/dashboard.test.mjs')], {
      env: { ...env, BASE_URL: `http://127.0.0.1:${port2}`, DB_URL: dbUrl, SCREENSHOT_DIR: join(root, 'end2end/screenshots/node2') },
      stdio: 'inherit',
    });
    if (existsSync(join(work, 'node2/pg'))) throw new Error('with DATABASE_URL set, manna must not start its own Postgres');
  } finally {
    second.kill('SIGTERM');
    if ((await secondExited) !== 0) throw new Error('the second node did not exit cleanly');
  }
} catch (e) {
  failed = true;
  console.error(`end2end: ${e.message}`);
} finally {
  fake.kill('SIGTERM');
  server.kill('SIGTERM');
  const { code, signal } = await exited;
  if (code !== 0) { console.error(`end2end: manna exited with ${code ?? signal} after SIGTERM`); failed = true; }
  if (existsSync(join(work, 'data/pg/data/postmaster.pid'))) {
    console.error('end2end: the embedded Postgres was not stopped on shutdown'); failed = true;
  }
  if (!failed) rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
