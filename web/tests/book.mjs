// The book's checks, run by run.mjs with the same browser and the same `N passed, M failed` tally:
// - every `data-scenario` in book/src names a file in scenarios/ (a renamed or deleted scenario fails here);
// - every chapter page of the built book (dist/book/) loads with no console errors or warnings, and each of its
//   widgets loads the explorer in embed mode and can be run to the end (the trace hash appears);
// - every relative link and resource in the built book resolves to a file in dist/ (no 404s).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/** `data-scenario="NAME"` occurrences in the book's sources, as [file, name]. */
function embedsInSources(src) {
  const found = [];
  for (const file of readdirSync(src).filter((f) => f.endsWith('.md')).sort()) {
    const text = readFileSync(join(src, file), 'utf8');
    for (const m of text.matchAll(/data-scenario="([^"]*)"/g)) found.push([file, m[1]]);
  }
  return found;
}

/** The chapter pages: the .html files mdBook made from book/src/*.md (not print.html, 404.html, toc.html). */
function chapterPages(src) {
  return readdirSync(src).filter((f) => f.endsWith('.md') && f !== 'SUMMARY.md').sort()
    .map((f) => f.replace(/\.md$/, '.html'));
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

/** Relative links (href, src) in one built page that do not resolve to a file under `dist`. */
function brokenLinks(dist, page) {
  const html = readFileSync(page, 'utf8');
  const broken = [];
  for (const m of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
    const raw = m[1].replace(/&amp;/g, '&');
    if (raw === '' || raw.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.startsWith('//')) continue;
    const path = decodeURIComponent(raw.split('#')[0].split('?')[0]);
    let target = path.startsWith('/') ? join(dist, path) : normalize(join(dirname(page), path));
    if (relative(dist, target).startsWith('..')) {
      broken.push(`${raw} (outside the site)`);
      continue;
    }
    if (path === '' || path.endsWith('/') || (existsSync(target) && statSync(target).isDirectory())) {
      target = join(target, 'index.html');
    }
    if (!existsSync(target)) broken.push(raw);
  }
  return broken;
}

export async function bookSuite({ context, test, assert, newPage, urlBase, root, shots, problems }) {
  const src = join(root, 'book/src');
  const dist = join(root, 'dist');
  const scenarios = new Set(readdirSync(join(root, 'scenarios')).filter((f) => f.endsWith('.toml'))
    .map((f) => f.slice(0, -'.toml'.length)));

  await test('book: every data-scenario names a scenario in scenarios/', async () => {
    const embeds = embedsInSources(src);
    assert(embeds.length > 0, 'the book has no widgets');
    const missing = embeds.filter(([, name]) => !scenarios.has(name)).map(([f, n]) => `${f}: ${n}`);
    assert(missing.length === 0, `widgets name scenarios that do not exist: ${missing.join(', ')}`);
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
      const response = await page.goto(`${urlBase}book/${file}`);
      assert(response.ok(), `HTTP ${response.status()} for book/${file}`);
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
      const mine = problems.slice(before);
      assert(mine.length === 0, mine.join('\n'));
    });
  }

  await test('book: screenshots of two chapters with a widget', async () => {
    for (const file of ['durability.html', 'leader-election.html']) {
      await page.goto(`${urlBase}book/${file}`);
      const frame = await (await page.locator('[data-scenario] iframe').first().elementHandle()).contentFrame();
      await frame.waitForSelector('body.embed[data-state="ready"]');
      await page.locator('[data-scenario]').first().scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(shots, `book-${file.replace('.html', '')}-1280x800.png`) });
    }
  });
  await page.close();
}
