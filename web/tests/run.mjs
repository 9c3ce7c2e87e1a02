// End-to-end tests of the explorer page in Debian's headless Chromium, driven by playwright-core (which never
// downloads a browser). `cargo xtask test-web` builds dist/, starts `kafkasim serve` on a free loopback port and
// runs this file with:
//   KAFKASIM_URL          the served page, e.g. http://127.0.0.1:41234/
//   KAFKASIM_BIN          the release `kafkasim` binary, to compare trace hashes with the native run
//   KAFKASIM_ROOT         the repository root (scenario names come from its scenarios/ folder)
//   KAFKASIM_SCREENSHOTS  where to save screenshots
//   CHROMIUM              the browser binary (default /usr/bin/chromium)
// It prints one line per test and closes with `N passed, M failed`; it exits non-zero when anything failed.

import { chromium } from 'playwright-core';
import { bookSuite } from './book.mjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const URL_BASE = required('KAFKASIM_URL');
const BIN = required('KAFKASIM_BIN');
const ROOT = required('KAFKASIM_ROOT');
const SHOTS = process.env.KAFKASIM_SCREENSHOTS ?? join(ROOT, 'target/screenshots');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// Flags that keep Chromium off the network and quiet in a container (see shared/reference/toolchain.md).
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
/** A big seed, above 2^53: it must reach the wasm as a BigInt, not a rounded number. */
const BIG_SEED = '18446744073709551557';

function required(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is not set: run the browser tests with \`cargo xtask test-web\``);
    process.exit(2);
  }
  return v;
}

const results = [];
/** Console errors and warnings, and uncaught page errors, from every page of the run. */
const consoleProblems = [];

async function test(name, fn) {
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok - ${name}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL - ${name}\n    ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n    ')}`);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

function cliHash(name, seed) {
  const args = ['run', `scenarios/${name}.toml`, '--hash'];
  if (seed !== null) args.push('--seed', seed);
  return execFileSync(BIN, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }).trim();
}

async function newPage(context, viewport = { width: 1280, height: 800 }) {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  page.setDefaultTimeout(20_000);
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') {
      consoleProblems.push(`${msg.type()} on ${page.url()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => consoleProblems.push(`uncaught on ${page.url()}: ${err.message}`));
  return page;
}

async function open(page, query) {
  await page.goto(`${URL_BASE}${query}`);
  await page.waitForSelector('body[data-state="ready"]');
}

const text = (page, selector) => page.locator(selector).first().innerText();
const steps = async (page) => Number(await text(page, '#steps'));

/** The newest log line of a type, or null. */
async function lastEvent(page, type) {
  const items = page.locator(`#events li[data-type="${type}"]`);
  const n = await items.count();
  return n === 0 ? null : items.nth(n - 1).locator('.text').innerText();
}

/** Clicks "Next event" until a log line of `type` appears (at most `limit` clicks). */
async function nextUntil(page, type, limit = 400) {
  for (let i = 0; i < limit; i += 1) {
    const found = await lastEvent(page, type);
    if (found) return found;
    if (await page.locator('#next').isDisabled()) break;
    await page.click('#next');
  }
  throw new Error(`no ${type} event after ${limit} clicks on "Next event"`);
}

/** Checks that the partition the election names is drawn with the new leader. */
async function assertLeaderDrawn(page, electionText) {
  const m = /elects broker (\d+) for (\S+?)(?: \(was \d+\))?, epoch (\d+)/.exec(electionText);
  assert(m, `cannot read the election: ${electionText}`);
  const [, leader, partition, epoch] = m;
  const card = page.locator(`article[data-partition="${partition}"]`);
  assert(await card.getAttribute('data-leader') === leader, `${partition} is not drawn with leader ${leader}`);
  const role = await card.locator(`.replica[data-broker="${leader}"]`).getAttribute('data-role');
  assert(role === 'leader', `broker ${leader}'s replica of ${partition} is drawn as ${role}, not leader`);
  const header = await card.locator('header').innerText();
  assert(header.includes(`epoch ${epoch}`), `${partition}'s header does not show epoch ${epoch}: ${header}`);
  return { leader, partition };
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'kafkasim-chromium-'));
  // A fresh profile folder every run (launchPersistentContext is how playwright takes --user-data-dir).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 800 },
  });
  try {
    await suite(context);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function suite(context) {
  const page = await newPage(context);
  const scenarios = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.toml'))
    .map((f) => f.slice(0, -'.toml'.length)).sort();

  await test('the page loads, lists every scenario and draws the cluster', async () => {
    await open(page, '');
    const options = await page.locator('#scenario option').evaluateAll((os) => os.map((o) => o.value));
    assert(JSON.stringify(options) === JSON.stringify(scenarios),
      `the picker lists ${options.join(',')}, scenarios/ has ${scenarios.join(',')}`);
    assert(await page.locator('#brokers [data-broker]').count() > 0, 'no broker is drawn');
    assert(await page.locator('article[data-partition]').count() > 0, 'no partition is drawn');
    assert(await steps(page) === 0, 'a fresh page is not at step 0');
  });

  await test('picking a scenario and stepping to an election draws the new leader', async () => {
    await open(page, '?scenario=min-insync-rejects-writes');
    await page.selectOption('#scenario', 'clean-failover');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('scenario') === 'clean-failover');
    assert((await text(page, '#title')).startsWith('Clean failover'), 'the scenario title is not shown');
    const election = await nextUntil(page, 'LeaderElected');
    await assertLeaderDrawn(page, election);
    await page.screenshot({ path: join(SHOTS, 'election-1280x800.png') });
  });

  await test('crashing the leader by clicking it is followed by an election', async () => {
    await open(page, '?scenario=clean-failover&seed=7');
    await page.locator('#scrub').fill('2000'); // before the scenario's own crash at 4 s
    await page.waitForFunction(() => document.querySelector('#now').textContent.startsWith('2.000s'));
    const leader = await page.locator('article[data-partition="orders-0"]').getAttribute('data-leader');
    await page.click(`#brokers [data-broker="${leader}"]`);
    await page.locator('#broker-actions button[data-action="crash"]').click();
    assert(await page.locator(`#brokers [data-broker="${leader}"]`).getAttribute('data-liveness') === 'crashed',
      `broker ${leader} is not drawn as crashed after the click`);
    assert(await page.locator('#fork').isVisible(), 'the fork note does not say the run diverged');
    const fault = await lastEvent(page, 'Fault');
    assert(fault?.includes(`broker ${leader} crashes (injected`), `the log does not show the injected crash: ${fault}`);
    const election = await nextUntil(page, 'LeaderElected');
    assert(election.includes(`(was ${leader})`), `the election does not replace broker ${leader}: ${election}`);
    const drawn = await assertLeaderDrawn(page, election);
    assert(drawn.leader !== leader, 'the crashed broker is still the leader');
    await page.screenshot({ path: join(SHOTS, 'injected-crash-1280x800.png') });
    await page.screenshot({ path: join(SHOTS, 'injected-crash-1280-full.png'), fullPage: true });

    // Step back across the crash: the broker is alive again; forward again, the crash is replayed.
    await page.locator('#scrub').fill('1000');
    await page.waitForFunction(() => document.querySelector('#now').textContent.startsWith('1.000s'));
    assert(await page.locator(`#brokers [data-broker="${leader}"]`).getAttribute('data-liveness') === 'alive',
      `broker ${leader} is not alive before the crash`);
    assert(await lastEvent(page, 'LeaderElected') === null, 'an election from the future is still in the log');
    await page.click('#end');
    const replayed = await page.locator('#events li[data-type="Fault"]').allInnerTexts();
    assert(replayed.some((t) => t.includes(`broker ${leader} crashes (injected`)),
      'going forward again did not replay the injected crash');
  });

  await test('step back returns to exactly the previous state', async () => {
    await open(page, '?scenario=clean-failover&seed=7');
    for (let i = 0; i < 30; i += 1) await page.click('#step');
    assert(await steps(page) === 30, 'Step did not handle one event per click');
    const snapshot = async () => ({
      cluster: await text(page, '.cluster'),
      log: await page.locator('#events li').allInnerTexts(),
    });
    const before = await snapshot();
    await page.click('#step');
    await page.click('#back');
    assert(await steps(page) === 30, `Step then Step back ends at step ${await steps(page)}, not 30`);
    assert(JSON.stringify(await snapshot()) === JSON.stringify(before), 'step 30 looks different after Step back');
    await page.click('#next');
    const k = await steps(page);
    assert(k > 30, 'Next event did not move forward');
    await page.locator('#back').focus();
    await page.keyboard.press('ArrowLeft');
    assert(await steps(page) === k - 1, `the ← key went to step ${await steps(page)}, not ${k - 1}`);
    for (let i = 0; i < 1000 && await steps(page) > 30; i += 1) await page.click('#back');
    assert(JSON.stringify(await snapshot()) === JSON.stringify(before), 'step 30 looks different after going back');
    await page.click('#reset');
    assert(await steps(page) === 0, 'Start did not go back to step 0');
  });

  await test('a phone-sized screen shows the same page without horizontal scrolling', async () => {
    const phone = await newPage(context, { width: 390, height: 844 });
    await open(phone, '?scenario=clean-failover&seed=7&until=15s');
    await phone.waitForSelector('#trace-hash[data-final="true"]');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `the page is ${overflow}px wider than the phone's screen`);
    await phone.screenshot({ path: join(SHOTS, 'phone-390x844.png') });
    await phone.screenshot({ path: join(SHOTS, 'phone-390-full.png'), fullPage: true });
    await phone.close();
  });

  await test('Export trace saves the trace as JSON Lines, the same as `kafkasim run --trace`', async () => {
    await open(page, '?scenario=clean-failover&seed=7&until=end');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const file = join(SHOTS, 'exported-trace.jsonl');
    await download.saveAs(file);
    const nativeFile = join(SHOTS, 'native-trace.jsonl');
    execFileSync(BIN, ['run', 'scenarios/clean-failover.toml', '--seed', '7', '--trace', nativeFile],
      { cwd: ROOT, timeout: 60_000 });
    const [a, b] = [readFileSync(file, 'utf8'), readFileSync(nativeFile, 'utf8')];
    assert(a.length > 0 && a === b, `the exported trace differs from the native one (${a.length} vs ${b.length} bytes)`);
  });

  await test('a scenario with a parse error shows file, line, column and the line itself', async () => {
    await open(page, '?scenario=clean-failover');
    await page.locator('#editor summary').click();
    const toml = await page.inputValue('#toml');
    await page.fill('#toml', toml.replace('brokers = 3', 'brokerz = 3'));
    await page.click('#run-edited');
    const message = await text(page, '#parse-error-text');
    assert(/^clean-failover\.toml:\d+:\d+: /.test(message), `no file:line:column in ${message}`);
    assert((await text(page, '#parse-error-source')).includes('brokerz = 3'), 'the offending line is not shown');
    await page.screenshot({ path: join(SHOTS, 'parse-error-1280-full.png'), fullPage: true });
  });

  for (const name of scenarios) {
    await test(`${name}: the page's trace hash equals \`kafkasim run --hash\` (own seed and seed 7)`, async () => {
      for (const seed of [null, '7']) {
        await open(page, `?scenario=${name}${seed === null ? '' : `&seed=${seed}`}&until=end`);
        await page.waitForSelector('#trace-hash[data-final="true"]');
        const shown = await text(page, '#trace-hash');
        const pageSeed = await page.inputValue('#seed');
        const native = cliHash(name, pageSeed);
        assert(seed === null || pageSeed === seed, `the page ran seed ${pageSeed}, not ${seed}`);
        assert(shown === native, `seed ${pageSeed}: page ${shown}, native ${native} ` +
          `(reproduce: kafkasim run scenarios/${name}.toml --seed ${pageSeed} --hash)`);
        if (seed === null) await page.screenshot({ path: join(SHOTS, `end-${name}.png`) });
      }
    });
  }

  await test('a seed above 2^53 reaches the wasm intact', async () => {
    await open(page, `?scenario=clean-failover&seed=${BIG_SEED}&until=end`);
    await page.waitForSelector('#trace-hash[data-final="true"]');
    assert(await text(page, '#trace-hash') === cliHash('clean-failover', BIG_SEED), 'hash differs for the big seed');
  });

  await test('a panic in the wasm shows the error panel with scenario, seed and a repro', async () => {
    await open(page, '?scenario=clean-failover&seed=7');
    await page.click('#step');
    await page.evaluate(() => globalThis.kafkasimTestHooks.panic());
    await page.waitForSelector('#panic:not([hidden])');
    const repro = await text(page, '#panic-repro');
    assert(repro.includes('scenario: clean-failover') && repro.includes('seed: 7'), `repro lacks them: ${repro}`);
    assert(repro.includes('kafkasim run scenarios/clean-failover.toml --seed 7'), `no command in ${repro}`);
    assert((await text(page, '#panic-message')).includes('deliberate panic'), 'the panic message is not shown');
    assert(await page.locator('#panic-copy').isVisible(), 'no copy button');
    await page.screenshot({ path: join(SHOTS, 'panic-1280x800.png') });
  });

  await bookSuite({
    context, test, assert, newPage, urlBase: URL_BASE, root: ROOT, shots: SHOTS, problems: consoleProblems,
  });

  await test('no console errors or warnings on any page', async () => {
    assert(consoleProblems.length === 0, consoleProblems.join('\n'));
  });
}

try {
  await main();
} catch (e) {
  results.push({ name: 'the browser starts', ok: false });
  console.log(`FAIL - the browser could not be driven: ${e?.stack ?? e}`);
}
const failed = results.filter((r) => !r.ok).length;
console.log(`screenshots: ${SHOTS}`);
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
