// The book's checks, run by run.mjs with the same browser and the same `N passed, M failed` tally:
// - every `data-scenario` and every `?scenario=` link in book/src names a file in scenarios/ (a renamed or
//   deleted scenario fails here);
// - every run excerpt the book quotes (a `[  12.345s] …` line) is a line of some scenario's pinned timeline in
//   tests/snapshots/, so a change of behaviour that makes the book's text wrong fails here, not in a reader's hands;
// - every chapter page of the built book (dist/book/) loads with no console errors or warnings, and each of its
//   widgets loads the explorer in embed mode, pinned to the scenario it names, and can be run to the end;
// - every relative link and resource in the built book resolves to a file in dist/ (no 404s);
// - and self-tests: the source check, the quote check and the in-browser widget check each report a deliberately
//   broken input (a widget naming `no-such-scenario`, a quote no run printed), so none of them passes vacuously.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative } from 'node:path';

/** A scenario name that must never exist: the self-tests use it. */
const MISSING = 'no-such-scenario';

function markdownFiles(src) {
  return readdirSync(src).filter((f) => f.endsWith('.md')).sort();
}

/**
 * Scenario names the book's sources refer to, as [file, kind, name]: widgets (`data-scenario="NAME"`) and links
 * or iframes that open the explorer on a scenario (`?scenario=NAME`).
 */
function scenarioRefs(src) {
  const found = [];
  for (const file of markdownFiles(src)) {
    const text = readFileSync(join(src, file), 'utf8');
    for (const m of text.matchAll(/data-scenario="([^"]*)"/g)) found.push([file, 'widget', m[1]]);
    // A name is at least one character up to the next parameter, quote, bracket, backtick or space, so that prose
    // mentioning `?scenario=` itself is not read as a link.
    for (const m of text.matchAll(/[?&](?:amp;)?scenario=([^&"')`\s#]+)/g)) found.push([file, 'link', m[1]]);
  }
  return found;
}

/** The references in `src` to scenarios not in `scenarios`, as readable strings. */
function missingScenarios(src, scenarios) {
  return scenarioRefs(src).filter(([, , name]) => !scenarios.has(name))
    .map(([file, kind, name]) => `${file}: ${kind} names ${name}`);
}

/** Every timeline line pinned in tests/snapshots/*.snap. */
function pinnedLines(snapshots) {
  const lines = new Set();
  for (const f of readdirSync(snapshots).filter((n) => n.endsWith('.snap'))) {
    for (const line of readFileSync(join(snapshots, f), 'utf8').split('\n')) {
      if (line.startsWith('[')) lines.add(line);
    }
  }
  return lines;
}

/** Quoted run lines in the book's sources that no pinned timeline contains, as readable strings. */
function unpinnedQuotes(src, pinned) {
  const bad = [];
  for (const file of markdownFiles(src)) {
    readFileSync(join(src, file), 'utf8').split('\n').forEach((line, i) => {
      if (/^\[ *\d+\.\d{3}s\] /.test(line) && !pinned.has(line)) bad.push(`${file}:${i + 1}: ${line}`);
    });
  }
  return bad;
}

/** The chapter pages: the .html files mdBook made from book/src/*.md (not print.html, 404.html, toc.html). */
function chapterPages(src) {
  return markdownFiles(src).filter((f) => f !== 'SUMMARY.md').map((f) => f.replace(/\.md$/, '.html'));
}

function htmlFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...htmlFiles(path));
    else if (name.endsWith('.html')) out.push(path);
  }
  return out;
}

/** Whether a built page has an element with this id (a section heading, mostly). */
function hasAnchor(page, anchor) {
  const html = readFileSync(page, 'utf8');
  return html.includes(`id="${anchor}"`) || html.includes(`name="${anchor}"`);
}

/** Relative links (href, src, and #section links) in one built page that do not resolve to a file under `dist`. */
function brokenLinks(dist, page) {
  const html = readFileSync(page, 'utf8');
  const broken = [];
  for (const m of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
    const raw = m[1].replace(/&amp;/g, '&');
    if (raw === '' || /^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.startsWith('//')) continue;
    const path = decodeURIComponent(raw.split('#')[0].split('?')[0]);
    const anchor = raw.includes('#') ? decodeURIComponent(raw.slice(raw.indexOf('#') + 1)) : '';
    let target = path === '' ? page : path.startsWith('/') ? join(dist, path) : normalize(join(dirname(page), path));
    if (relative(dist, target).startsWith('..')) {
      broken.push(`${raw} (outside the site)`);
      continue;
    }
    if (path.endsWith('/') || (path !== '' && existsSync(target) && statSync(target).isDirectory())) {
      target = join(target, 'index.html');
    }
    if (!existsSync(target)) broken.push(raw);
    else if (anchor !== '' && target.endsWith('.html') && !hasAnchor(target, anchor)) broken.push(`${raw} (no such section)`);
  }
  return broken;
}

/**
 * Loads one book page and runs each of its widgets to the end. Throws (through `assert`) when the page does not
 * load, a widget has no iframe, its explorer is not pinned to the scenario the widget names, it shows the
 * scenario picker, or it cannot reach the end of the run. Returns the number of widgets checked.
 */
async function checkPageWidgets(page, url, assert) {
  const response = await page.goto(url);
  assert(response.ok(), `HTTP ${response.status()} for ${url}`);
  const widgets = page.locator('[data-scenario]');
  const n = await widgets.count();
  for (let i = 0; i < n; i += 1) {
    const widget = widgets.nth(i);
    const name = await widget.getAttribute('data-scenario');
    const handle = await widget.locator('iframe').elementHandle();
    assert(handle, `the ${name} widget has no iframe`);
    const frame = await handle.contentFrame();
    await frame.waitForSelector('body.embed[data-state="ready"]');
    const loaded = new URL(frame.url()).searchParams.get('scenario');
    assert(loaded === name, `the ${name} widget's iframe loads scenario ${loaded}`);
    assert(await frame.locator('#scenario').isHidden(), `the ${name} widget shows the scenario picker`);
    await frame.click('#end');
    await frame.waitForSelector('#trace-hash[data-final="true"]');
    assert(/^[0-9a-f]{8,}$/.test(await frame.locator('#trace-hash').innerText()),
      `the ${name} widget shows no trace hash at the end`);
  }
  return n;
}

/** Runs `fn` and returns the message it threw, or null if it did not throw. */
async function thrown(fn) {
  try {
    await fn();
    return null;
  } catch (e) {
    return String(e?.message ?? e);
  }
}

export async function bookSuite({ context, test, assert, newPage, urlBase, root, shots, problems }) {
  const src = join(root, 'book/src');
  const dist = join(root, 'dist');
  const snapshots = join(root, 'tests/snapshots');
  const scenarios = new Set(readdirSync(join(root, 'scenarios')).filter((f) => f.endsWith('.toml'))
    .map((f) => f.slice(0, -'.toml'.length)));

  await test('book: every widget and every ?scenario= link names a scenario in scenarios/', async () => {
    assert(scenarioRefs(src).some(([, kind]) => kind === 'widget'), 'the book has no widgets');
    const missing = missingScenarios(src, scenarios);
    assert(missing.length === 0, `the book names scenarios that do not exist:\n${missing.join('\n')}`);
  });

  await test('book: every quoted run line is a line of a pinned scenario timeline', async () => {
    const pinned = pinnedLines(snapshots);
    assert(pinned.size > 0, `no pinned timelines in ${snapshots}`);
    const bad = unpinnedQuotes(src, pinned);
    assert(bad.length === 0,
      `the book quotes run lines that no scenario prints any more (update the text):\n${bad.join('\n')}`);
  });

  await test('book: every relative link in the built book resolves', async () => {
    const pages = htmlFiles(join(dist, 'book'));
    assert(pages.length > 0, 'dist/book has no pages: did mdbook build run?');
    const broken = pages.flatMap((p) => brokenLinks(dist, p).map((l) => `${relative(dist, p)} → ${l}`));
    assert(broken.length === 0, `broken links:\n${broken.join('\n')}`);
  });

  const page = await newPage(context);
  for (const file of chapterPages(src)) {
    await test(`book: ${file} loads cleanly and each widget runs to the end`, async () => {
      const before = problems.length;
      await checkPageWidgets(page, `${urlBase}book/${file}`, assert);
      const mine = problems.slice(before);
      assert(mine.length === 0, mine.join('\n'));
    });
  }

  await test(`book self-test: the source checks report a widget naming ${MISSING} and an unpinned quote`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafkasim-book-selftest-'));
    try {
      writeFileSync(join(dir, 'broken.md'), [
        `<div class="widget" data-scenario="${MISSING}">`,
        `<iframe src="../?scenario=${MISSING}&amp;embed=1"></iframe></div>`,
        '',
        '[  99.999s] a line no scenario ever printed',
        '',
      ].join('\n'));
      const missing = missingScenarios(dir, scenarios);
      assert(missing.includes(`broken.md: widget names ${MISSING}`), `widget not reported: ${missing.join('; ')}`);
      assert(missing.includes(`broken.md: link names ${MISSING}`), `iframe link not reported: ${missing.join('; ')}`);
      const bad = unpinnedQuotes(dir, pinnedLines(snapshots));
      assert(bad.length === 1 && bad[0].startsWith('broken.md:4:'), `unpinned quote not reported: ${bad.join('; ')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  await test(`book self-test: the in-browser widget check fails on a page whose widget names ${MISSING}`, async () => {
    // A page served next to the chapters, with one widget exactly as a chapter writes it.
    const name = '__selftest-broken-embed.html';
    const path = join(dist, 'book', name);
    const before = problems.length;
    writeFileSync(path, [
      '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>self-test</title>',
      '<link rel="icon" href="data:,"></head><body>',
      `<div class="widget" data-scenario="${MISSING}">`,
      `<iframe src="../?scenario=${MISSING}&amp;embed=1" title="broken"></iframe></div>`,
      '</body></html>',
    ].join('\n'));
    try {
      const message = await thrown(() => checkPageWidgets(page, `${urlBase}book/${name}`, assert));
      assert(message !== null, `the widget check passed a widget that names ${MISSING}`);
      assert(message.includes(MISSING), `the widget check failed without naming the widget: ${message}`);
    } finally {
      rmSync(path, { force: true });
      // Whatever the broken page logged is expected here, not a problem of the book.
      problems.splice(before);
    }
  });

  await test('book: screenshots of two chapters with a widget', async () => {
    for (const file of ['durability.html', 'producing.html']) {
      await page.goto(`${urlBase}book/${file}`);
      const frame = await (await page.locator('[data-scenario] iframe').first().elementHandle()).contentFrame();
      await frame.waitForSelector('body.embed[data-state="ready"]');
      await page.locator('[data-scenario]').first().scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(shots, `book-${file.replace('.html', '')}-1280x800.png`) });
    }
  });
  await page.close();
}
