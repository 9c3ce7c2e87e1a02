// The kafkasim explorer page.
//
// Why plain JavaScript modules and no framework: the page draws one JSON view of the simulation per frame, and
// what makes that fast is writing only what changed (see `keyed` in dom.js), which is twenty lines, not a
// framework. There is no build step: the files in web/www/ are exactly what the browser runs, so they are easy to
// read, to debug and to host anywhere (any static server works), and the page loads nothing but them and the
// WebAssembly module.
//
// Everything the page shows comes from the simulation library through the wasm facade (`web/src/lib.rs`):
// `view_json()` for the cluster, `events_json()` for the log, `markers_json()` for the timeline, and so on. The
// page never decides anything about the run. It reads no clock for the simulation and draws no random numbers:
// playback is paced by requestAnimationFrame and each frame advances a fixed amount of simulated time (less when a
// big cluster cannot be simulated that fast: the page then plays slower, and says so), so what a frame shows
// depends only on where the run is. The clock is read only to measure speed and to budget work per frame.
// Scenario text and names always reach the page as text, never as HTML.

import init, { Explorer, install_panic_hook, scenario_summary_json } from './pkg/kafkasim_web.js';
import { $, el, formatCount, formatMs, formatUs, setText, show } from './dom.js';
import { measureVisibleCards, renderBrokerActions, renderBrokers, renderPartitions, renderProducers } from './cluster.js';
import { ownersOf, renderConsumerActions, renderGroups } from './groups.js';
import { renderNetwork } from './network.js';
import { renderMessages } from './messages.js';
import { BOOK, Log, Markers, markerLegend, renderCheckers } from './timeline.js';

/** Simulated milliseconds per animation frame at 1×: real time at 60 frames per second. */
const MS_PER_FRAME_AT_1X = 1000 / 60;
const SPEEDS = ['0.1', '0.25', '1', '4', '20', '100'];
const U64_MAX = (1n << 64n) - 1n;
/** The most a playback frame spends simulating, and simulating plus drawing (a 60 Hz frame is 16.7 ms, and the
 * browser needs some of it to lay out and paint). */
const SIM_BUDGET_MS = 9;
const FRAME_BUDGET_MS = 7;
/** Background exploration works in slices of this many milliseconds, so the page stays responsive. */
const EXPLORE_SLICE_MS = 12;
/** While playing, a frame that simulated and drew in less than this explores ahead for the rest of it. With a big
 * cluster the browser's own style, layout and paint take about 8 ms a frame: 6 + 8 leaves room under the 20 ms
 * that 50 fps allows on a slower machine. */
const PLAY_FRAME_FILL_MS = 6;

const state = {
  scenarios: new Map(), // name -> { name, file, text, title }
  name: null, // scenario name (file name without .toml)
  seed: null, // decimal text
  text: null, // the TOML being run (the bundled file, or the user's edit)
  edited: false,
  explorer: null,
  injections: [], // [{at_ms, action, ...}] as the session keeps them
  playing: false,
  until: null, // from the URL: 'end' or milliseconds
  lastSteps: 0,
  lastNow: 0,
  panicked: false,
  exploreTimer: null,
  speed: { events: 0, ms: 0 }, // measured while exploring: simulated events per real millisecond
  frames: { count: 0, sum: 0, worst: 0, last: 0, drawMs: 0, intervals: [] }, // playback frame statistics (tests read them)
  playback: { simMs: 0, frames: 0 }, // simulated time per frame while playing, for the effective rate
};

/** What the drawing code needs to know about the user's selection and the page's options. */
const ui = {
  selected: null, // { kind: 'broker', id } | { kind: 'consumer', name }
  showInternal: false,
  finished: false,
  onLink: (a, b, cut) => (cut ? inject({ action: 'heal' }) : inject({ action: 'cut', from: a, to: b })),
};

let log;
let markers;

// ---------- the error panel for a panic in the wasm ----------

globalThis.kafkasimPanic = (message) => showPanic(message);

function reproText(message) {
  const lines = [
    `scenario: ${state.name ?? '(none)'}${state.edited ? ' (edited in the page)' : ''}`,
    `seed: ${state.seed ?? '(none)'}`,
    `at step ${state.lastSteps}, ${formatMs(state.lastNow)}`,
  ];
  if (state.injections.length > 0) lines.push(`injected: ${state.injections.map(describeInjection).join('; ')}`);
  lines.push(`reproduce: kafkasim run scenarios/${state.name}.toml --seed ${state.seed}`
    + (state.injections.length ? ' (export the scenario file: the injected actions are in it)' : ''));
  lines.push(`page: ${shareUrl()}`);
  if (message) lines.push('', message);
  return lines.join('\n');
}

function showPanic(message) {
  if (state.panicked) return;
  state.panicked = true;
  setPlaying(false);
  $('panic-repro').textContent = reproText('');
  $('panic-message').textContent = message || 'the WebAssembly module stopped (no message)';
  $('panic').hidden = false;
  document.body.dataset.state = 'panicked';
  for (const b of document.querySelectorAll('.transport button, .actions button')) b.disabled = true;
  $('panic-copy').focus();
}

function copyText(text, button, done) {
  const ok = () => { button.textContent = done; };
  if (navigator.clipboard?.writeText) navigator.clipboard.writeText(text).then(ok, () => {});
}

/** Calls into the wasm; a trap (after a panic) shows the panel instead of leaving a dead page. */
function sim(fn) {
  if (state.panicked || !state.explorer) return undefined;
  try {
    return fn(state.explorer);
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      showPanic(String(e));
      return undefined;
    }
    throw e;
  }
}

// ---------- loading ----------

/** `embed=1`: the compact player the book puts in an iframe (no picker, no editor; starts paused). */
const EMBED = new URLSearchParams(location.search).get('embed') === '1';

async function main() {
  if (EMBED) document.body.classList.add('embed');
  await init();
  install_panic_hook();
  const response = await fetch('scenarios.json');
  if (!response.ok) throw new Error(`scenarios.json: HTTP ${response.status}`);
  const list = await response.json();
  for (const s of list) {
    let title = s.name;
    try {
      title = JSON.parse(scenario_summary_json(s.text, s.file)).name;
    } catch {
      // A bundled file that does not parse still appears; loading it shows the parse error.
    }
    state.scenarios.set(s.name, { ...s, title });
  }
  const select = $('scenario');
  for (const s of state.scenarios.values()) select.append(el('option', { value: s.name }, `${s.name} — ${s.title}`));
  log = new Log($('events'));
  markers = new Markers($('markers'), $('marker-tip'), (m) => act((x) => x.seek(m.step)));
  $('marker-legend').replaceChildren(...markerLegend());
  wireControls();
  if (EMBED) {
    // In a book page the elections, ISR changes and truncations are the story; per-record acks drown them.
    $('hide-acks').checked = true;
    $('events').classList.add('hide-acks');
    $('messages-panel').open = false;
  }
  await openFromUrl(list);
  document.body.dataset.state = 'ready';
}

async function openFromUrl(list) {
  const params = new URLSearchParams(location.search);
  const wanted = params.get('scenario');
  const name = state.scenarios.has(wanted) ? wanted
    : state.scenarios.has('clean-failover') ? 'clean-failover' : list[0]?.name;
  if (wanted && !state.scenarios.has(wanted)) notice(`There is no scenario “${wanted}”; showing ${name} instead.`);
  state.until = parseUntil(params.get('until'));
  if (!name) {
    $('title').textContent = 'No scenarios were bundled with this page.';
    return;
  }
  const seed = params.get('seed');
  if (seed !== null && !validSeed(seed)) notice(`“${seed}” is not a seed (a whole number up to 2^64−1).`);
  let injections = [];
  if (params.get('inject')) {
    try {
      injections = JSON.parse(params.get('inject'));
      if (!Array.isArray(injections)) throw new Error('not a list');
    } catch (e) {
      notice(`The link's injected actions could not be read (${e.message}); running the scenario without them.`);
      injections = [];
    }
  }
  let text = null;
  if (params.get('toml')) {
    try {
      text = await inflate(params.get('toml'));
    } catch {
      notice('The link carries an edited scenario that could not be read; showing the bundled file.');
    }
  }
  const ok = load(name, seed !== null && validSeed(seed) ? seed : null, text, injections);
  if (!ok) return;
  if (state.until !== null) runToRequested();
  else if (params.get('at') !== null && Number.isFinite(Number(params.get('at')))) {
    act((x) => x.seek_ms(Number(params.get('at'))));
  }
}

/** `until=end`, `until=12s`, `until=1500ms` or `until=1500` (milliseconds). */
function parseUntil(text) {
  if (text === null) return null;
  if (text === 'end') return 'end';
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) {
    notice(`until=${text} is not understood: use end, 12s or 1500ms.`);
    return null;
  }
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

function runToRequested() {
  if (state.until === 'end') timed(() => sim((x) => x.run_to_end()));
  else sim((x) => x.run_until_ms(state.until));
  render();
}

function validSeed(text) {
  return /^\d{1,20}$/.test(text) && BigInt(text) <= U64_MAX;
}

/**
 * Builds a new run of scenario `name`: `seed` null means the scenario's own, `text` null the bundled file,
 * `injections` the actions of a share link. Returns whether it loaded.
 */
function load(name, seed, text, injections = []) {
  const entry = state.scenarios.get(name);
  const source = text ?? entry.text;
  hideParseError();
  let summary;
  try {
    summary = JSON.parse(scenario_summary_json(source, entry.file));
  } catch (e) {
    showParseError(e, source);
    return false;
  }
  const seedText = seed ?? String(summary.seed);
  let explorer;
  try {
    explorer = injections.length
      ? Explorer.with_injections(source, entry.file, BigInt(seedText), JSON.stringify(injections))
      : new Explorer(source, entry.file, BigInt(seedText));
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) { showPanic(String(e)); return false; }
    showParseError(e, source);
    return false;
  }
  setPlaying(false);
  state.explorer?.free();
  Object.assign(state, {
    explorer, name, seed: seedText, text: source, edited: text !== null && text !== entry.text,
    injections: JSON.parse(explorer.injections_json()),
  });
  ui.selected = null;
  $('scenario').value = name;
  $('seed').value = seedText;
  if (text === null || !$('editor').open) $('toml').value = source;
  $('title').textContent = summary.name;
  $('description').replaceChildren(...describe(summary.description));
  log.reset();
  markers.reset(summary.duration_ms * 1000);
  $('scrub').max = String(summary.duration_ms);
  show($('share-box'), false);
  document.title = `${name} · kafkasim explorer`;
  updateUrl();
  render();
  scheduleExplore();
  return true;
}

/**
 * A scenario's description as elements: paragraphs are separated by blank lines, single line breaks in the TOML
 * are only wrapping, and lines starting with "- " are a list. Past the first paragraph it folds away under
 * "More", so that the cluster stays in view on a projector.
 */
function describe(text) {
  const blocks = text.trim().split(/\n\s*\n/).filter(Boolean).map((para) => {
    const lines = para.split('\n');
    if (!lines.some((l) => /^\s*- /.test(l))) return el('p', {}, para.replace(/\s*\n\s*/g, ' '));
    const items = [];
    const intro = [];
    for (const l of lines) {
      if (/^\s*- /.test(l)) items.push(l.replace(/^\s*- /, ''));
      else if (items.length) items[items.length - 1] += ` ${l.trim()}`;
      else intro.push(l.trim());
    }
    return el('div', {}, intro.length > 0 && el('p', {}, intro.join(' ')),
      el('ul', {}, ...items.map((i) => el('li', {}, i))));
  });
  if (blocks.length <= 1) return blocks;
  return [blocks[0], el('details', { class: 'more' }, el('summary', {}, 'More about this scenario'), ...blocks.slice(1))];
}

function updateUrl() {
  const params = new URLSearchParams(location.search);
  params.set('scenario', state.name);
  params.set('seed', state.seed);
  if (state.injections.length) params.set('inject', JSON.stringify(state.injections));
  else params.delete('inject');
  params.delete('at');
  if (!state.edited) params.delete('toml');
  history.replaceState(null, '', `${location.pathname}?${params}`);
  if (state.edited) {
    deflate(state.text).then((packed) => {
      const p = new URLSearchParams(location.search);
      p.set('toml', packed);
      history.replaceState(null, '', `${location.pathname}?${p}`);
    });
  }
}

/** The share link: this run (scenario, seed, injections, an edited file) at the shown instant. */
function shareUrl() {
  const url = new URL(location.href);
  url.searchParams.delete('until');
  url.searchParams.delete('embed');
  url.searchParams.set('at', String(Math.floor(state.lastNow)));
  return url.href;
}

// An edited scenario travels in the link deflated and base64url-encoded.
async function deflate(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function inflate(packed) {
  const bin = atob(packed.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new Response(stream).text();
}

function notice(text, kind = 'error') {
  const p = $('notice');
  p.textContent = text;
  p.dataset.kind = kind;
  p.hidden = false;
}

function hideNotice() {
  $('notice').hidden = true;
}

// ---------- scenario parse errors, at their line ----------

function showParseError(e, source) {
  const line = Number(e?.line ?? 0);
  const column = Number(e?.column ?? 0);
  $('parse-error-text').textContent = e?.message !== undefined
    ? (line > 0 ? `${e.file}:${line}:${column}: ${e.message}` : `${e.file}: ${e.message}`)
    : String(e);
  const lines = source.split('\n');
  if (line > 0 && line <= lines.length) {
    const prefix = `${line} | `;
    $('parse-error-source').textContent =
      `${prefix}${lines[line - 1]}\n${' '.repeat(prefix.length + Math.max(column - 1, 0))}^`;
    $('parse-error-source').hidden = false;
  } else {
    $('parse-error-source').hidden = true;
  }
  const help = e?.help;
  $('parse-error-help').textContent = help ? `help: ${help}` : '';
  $('parse-error-help').hidden = !help;
  $('parse-error').hidden = false;
  $('editor').open = true;
  if (line > 0) selectLine($('toml'), line);
  $('parse-error').scrollIntoView({ block: 'nearest' });
}

function hideParseError() {
  $('parse-error').hidden = true;
}

/** Selects line `line` of the editor and scrolls it into the middle of the box. */
function selectLine(textarea, line) {
  const lines = textarea.value.split('\n');
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  textarea.focus({ preventScroll: true });
  textarea.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
  const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 18;
  textarea.scrollTop = Math.max(0, (line - 1) * lineHeight - textarea.clientHeight / 3);
}

// ---------- controls ----------

function wireControls() {
  $('pick').addEventListener('submit', (e) => {
    e.preventDefault();
    const seed = $('seed').value.trim();
    if (!validSeed(seed)) {
      notice(`“${seed}” is not a seed: use a whole number from 0 to 18446744073709551615.`);
      return;
    }
    hideNotice();
    load($('scenario').value, seed, null);
  });
  $('scenario').addEventListener('change', () => {
    hideNotice();
    load($('scenario').value, null, null);
  });
  $('play').addEventListener('click', () => setPlaying(!state.playing));
  $('step').addEventListener('click', () => act((x) => x.step()));
  $('next').addEventListener('click', () => act((x) => x.step_to_interesting(5_000_000)));
  $('prev').addEventListener('click', previousInteresting);
  $('back').addEventListener('click', () => act((x) => x.step_back()));
  $('reset').addEventListener('click', () => act((x) => x.seek(0)));
  $('end').addEventListener('click', () => act((x) => timed(() => x.run_to_end())));
  $('scrub').addEventListener('input', () => act((x) => x.seek_ms(Number($('scrub').value))));
  $('speed').addEventListener('change', () => $('speed').blur());
  $('brokers').addEventListener('click', (e) => {
    const card = e.target.closest('[data-broker]');
    if (!card) return;
    const id = Number(card.dataset.broker);
    ui.selected = ui.selected?.kind === 'broker' && ui.selected.id === id ? null : { kind: 'broker', id };
    render();
  });
  $('broker-actions').addEventListener('click', (e) => {
    const action = e.target.closest('button')?.dataset.action;
    if (!action) return;
    if (action === 'close') { ui.selected = null; render(); return; }
    inject(action === 'heal' ? { action } : { action, broker: ui.selected.id });
  });
  $('groups').addEventListener('click', (e) => {
    const add = e.target.closest('.add-consumer');
    if (add) {
      const like = state.lastView?.consumers.find((c) => c.group === add.dataset.group)?.name;
      inject({ action: 'add_consumer', like });
      return;
    }
    const who = e.target.closest('[data-consumer]');
    if (!who || who.classList.contains('member')) return;
    const name = who.dataset.consumer;
    ui.selected = ui.selected?.kind === 'consumer' && ui.selected.name === name ? null : { kind: 'consumer', name };
    render();
  });
  $('consumer-actions').addEventListener('click', (e) => {
    const action = e.target.closest('button')?.dataset.action;
    if (!action) return;
    if (action === 'close') { ui.selected = null; render(); return; }
    const name = ui.selected.name;
    inject(action === 'pause' || action === 'resume' ? { action, node: name } : { action, consumer: name });
  });
  $('cut-form').addEventListener('submit', (e) => {
    e.preventDefault();
    inject({ action: 'cut', from: $('cut-from').value, to: $('cut-to').value, one_way: $('cut-one-way').checked });
  });
  $('heal').addEventListener('click', () => inject({ action: 'heal' }));
  $('add-partitions').addEventListener('submit', (e) => {
    e.preventDefault();
    inject({ action: 'create_partitions', topic: $('ap-topic').value, partitions: Number($('ap-count').value) });
  });
  $('ap-topic').addEventListener('change', fillAddPartitions);
  $('show-internal').addEventListener('change', () => {
    ui.showInternal = $('show-internal').checked;
    render();
  });
  for (const id of ['msg-limit', 'msg-replication', 'msg-heartbeats', 'msg-metadata']) {
    $(id).addEventListener('change', render);
  }
  $('messages-panel').addEventListener('toggle', render);
  $('run-edited').addEventListener('click', () => load(state.name, state.seed, $('toml').value));
  $('revert').addEventListener('click', () => {
    $('toml').value = state.scenarios.get(state.name).text;
    load(state.name, state.seed, null);
  });
  $('export').addEventListener('click', exportTrace);
  $('export-scenario').addEventListener('click', exportScenario);
  $('share').addEventListener('click', share);
  $('hide-acks').addEventListener('change', () => {
    $('events').classList.toggle('hide-acks', $('hide-acks').checked);
  });
  $('help-open').addEventListener('click', () => $('help').showModal());
  $('panic-copy').addEventListener('click', () => {
    const text = reproText($('panic-message').textContent);
    copyText(text, $('panic-copy'), 'Copied');
    window.getSelection()?.selectAllChildren($('panic-repro'));
  });
  $('panic-reload').addEventListener('click', () => location.reload());
  document.addEventListener('keydown', onKey);
  window.addEventListener('resize', () => {
    measureVisibleCards();
    measurePanels();
    render();
  });
  // Scrolling (the cluster pane on a wide screen, the page on a phone) brings other partition cards into sight.
  document.addEventListener('scroll', () => {
    measureVisibleCards();
    measurePanels();
  }, { capture: true, passive: true });
  document.addEventListener('kafkasim:redraw', () => render());
}

/** A user action: stop playing, do it, redraw. */
function act(fn) {
  setPlaying(false);
  hideNotice();
  sim(fn);
  render();
  scheduleExplore();
}

function previousInteresting() {
  const step = state.explorer ? state.explorer.steps() : 0;
  const m = markers.next(step, true);
  act((x) => x.seek(m ? m.step : 0));
}

/** Runs `fn` (a long simulation) and counts it into the measured speed. */
function timed(fn) {
  const steps0 = state.explorer.steps();
  const t0 = performance.now();
  fn();
  const ms = performance.now() - t0;
  const events = state.explorer.steps() - steps0;
  if (events > 1000 && ms > 0) {
    state.speed.events += events;
    state.speed.ms += ms;
  }
}

function onKey(e) {
  if ($('help').open) return; // the dialog handles Esc itself
  if (e.target.closest('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
  const keys = {
    ' ': () => setPlaying(!state.playing),
    ArrowRight: () => (e.shiftKey ? $('next') : $('step')).click(),
    ArrowLeft: () => (e.shiftKey ? $('prev') : $('back')).click(),
    Home: () => $('reset').click(),
    End: () => $('end').click(),
    '[': () => changeSpeed(-1),
    ']': () => changeSpeed(1),
    '?': () => $('help').showModal(),
    m: () => { $('messages-panel').open = !$('messages-panel').open; },
    Escape: () => { ui.selected = null; render(); },
  };
  const fn = keys[e.key];
  if (!fn || (e.key === ' ' && e.target.closest('button, summary, a'))) return;
  e.preventDefault();
  fn();
}

function changeSpeed(delta) {
  const i = SPEEDS.indexOf($('speed').value);
  $('speed').value = SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, i + delta))];
}

function setPlaying(on) {
  const playing = on && !state.panicked && state.explorer !== null && !state.explorer.finished();
  if (playing === state.playing) return;
  state.playing = playing;
  $('play').textContent = playing ? '❚❚ Pause' : '▶ Play';
  $('play').setAttribute('aria-pressed', String(playing));
  state.frames.last = 0;
  state.playback = { simMs: 0, frames: 0 };
  if (playing) {
    measurePanels();
    requestAnimationFrame(frame);
  } else {
    render(); // panels skipped while playing catch up
    scheduleExplore();
  }
}

function frame(t) {
  if (!state.playing) return;
  const f = state.frames;
  if (f.last) {
    f.intervals.push(t - f.last);
    if (f.intervals.length > 600) f.intervals.shift();
  }
  f.last = t;
  const t0 = performance.now();
  const speed = Number($('speed').value) || 1;
  const from = state.explorer.now_ms();
  const target = from + speed * MS_PER_FRAME_AT_1X;
  // Simulate in small batches within a budget: a cluster too big to simulate in real time plays slower instead
  // of dropping frames (the status says at what rate it really plays).
  let reached = false;
  const budget = Math.max(2, Math.min(SIM_BUDGET_MS, FRAME_BUDGET_MS - state.frames.drawMs));
  while (!reached && performance.now() - t0 < budget) {
    reached = sim((x) => x.run_until_ms_capped(target, 2)) ?? true;
  }
  const playback = state.playback;
  playback.simMs += state.explorer.now_ms() - from;
  playback.frames += 1;
  const drawn = performance.now();
  render();
  // The drawing time of the last frames (smoothed) decides how much the next frame may simulate.
  f.drawMs = 0.8 * f.drawMs + 0.2 * (performance.now() - drawn);
  const spent = performance.now() - t0;
  f.count += 1;
  f.sum += spent;
  f.worst = Math.max(f.worst, spent);
  // Spare time in the frame goes to exploring ahead, for the timeline's markers.
  if (spent < PLAY_FRAME_FILL_MS) exploreFor(PLAY_FRAME_FILL_MS - spent);
  if (state.playing && !sim((x) => x.finished())) requestAnimationFrame(frame);
  else setPlaying(false);
}

// ---------- exploring ahead (the timeline's future markers) ----------

function scheduleExplore() {
  if (state.exploreTimer !== null || !state.explorer || state.playing) return;
  state.exploreTimer = setTimeout(() => {
    state.exploreTimer = null;
    if (state.playing || state.panicked || !state.explorer) return;
    const done = exploreFor(EXPLORE_SLICE_MS);
    drawTimeline();
    if (!done) scheduleExplore();
  }, 0);
}

/** Steps per `explore` call: adapted so that one call takes about a millisecond (a big cluster's events cost far
 * more than a small one's). */
let exploreBatch = 16;

/** Explores for about `budget` ms; returns whether the whole run is known. */
function exploreFor(budget) {
  const x = state.explorer;
  if (!x || state.panicked) return true;
  const t0 = performance.now();
  let done = false;
  let steps = 0;
  const before = x.known_trace_len();
  while (!done && performance.now() - t0 < budget) {
    const t = performance.now();
    done = sim((e) => e.explore(exploreBatch)) ?? true;
    steps += exploreBatch;
    const took = performance.now() - t;
    exploreBatch = Math.max(1, Math.min(2000, Math.round(exploreBatch * (took > 2 ? 0.5 : took < 0.5 ? 2 : 1))));
  }
  const ms = performance.now() - t0;
  if (!done && ms > 0) {
    state.speed.events += steps;
    state.speed.ms += ms;
  }
  if (x.known_trace_len() !== before) markers.pull(x);
  return done;
}

// ---------- injecting ----------

function describeInjection(i) {
  const who = i.broker !== undefined ? `broker ${i.broker}` : i.node ?? i.consumer ?? '';
  const what = {
    crash: `crash ${who}`, restart: `restart ${who}`, pause: `pause ${who}`, resume: `resume ${who}`,
    isolate: `isolate ${who}`, heal: 'heal the network',
    cut: `cut ${i.from} ${i.one_way ? '→' : '↔'} ${i.to}`,
    add_consumer: `add consumer ${i.name ?? ''}${i.like ? ` (like ${i.like})` : ''}`,
    start_consumer: `start ${who}`, stop_consumer: `stop ${who}`, crash_consumer: `crash ${who}`,
    restart_consumer: `start ${who} again`,
    create_partitions: `grow ${i.topic} to ${i.partitions} partitions`,
  }[i.action] ?? i.action;
  return `${what} at ${formatMs(i.at_ms)}`;
}

function inject(request) {
  setPlaying(false);
  let outcome;
  try {
    outcome = sim((x) => JSON.parse(x.inject(JSON.stringify(request))));
  } catch (e) {
    notice(`Could not ${request.action.replace('_', ' ')}: ${e.message ?? e}`);
    render();
    return;
  }
  if (!outcome) return;
  state.injections = JSON.parse(state.explorer.injections_json());
  log.reset();
  markers.reset(state.explorer.end_ms() * 1000);
  notice(`Injected: ${describeInjection(outcome.injection)}. The run forks here: stepping back before it and `
    + `forward again replays it.${outcome.warning ? ` Note: ${outcome.warning}.` : ''}`, 'info');
  updateUrl();
  render();
  scheduleExplore();
}

function fillAddPartitions() {
  const view = state.lastView;
  if (!view) return;
  const topic = view.topics.find((t) => t.name === $('ap-topic').value);
  if (topic) {
    $('ap-count').min = String(topic.partitions + 1);
    if (Number($('ap-count').value) <= topic.partitions) $('ap-count').value = String(topic.partitions + 1);
  }
}

function renderAddPartitions(view) {
  const select = $('ap-topic');
  const names = view.topics.filter((t) => !t.internal).map((t) => t.name);
  if (select.__key !== names.join('\n')) {
    const before = select.value;
    select.replaceChildren(...names.map((n) => new Option(n, n)));
    if (names.includes(before)) select.value = before;
    select.__key = names.join('\n');
    fillAddPartitions();
  }
  show($('add-partitions'), names.length > 0);
  for (const c of $('add-partitions').elements) c.disabled = ui.finished;
}

// ---------- share and export ----------

function share() {
  const url = shareUrl();
  $('share-url').value = url;
  show($('share-box'), true);
  $('share-url').select();
  setText($('share-status'), '');
  if (navigator.clipboard?.writeText) {
    navigator.clipboard.writeText(url).then(() => setText($('share-status'), 'copied to the clipboard'), () => {});
  }
}

function download(text, type, name) {
  const link = el('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 0);
}

/** Saves the trace so far as JSON Lines, the format of `kafkasim run --trace FILE`. */
function exportTrace() {
  const jsonl = sim((x) => x.trace_jsonl());
  if (jsonl !== undefined) download(jsonl, 'application/jsonl', `${state.name}-seed-${state.seed}-step-${state.lastSteps}.jsonl`);
}

/** Saves the run as a scenario file: the scenario, this seed and the injected actions as timeline entries. */
function exportScenario() {
  const toml = sim((x) => x.scenario_text());
  const suffix = state.injections.length ? '-forked' : '';
  if (toml !== undefined) download(toml, 'application/toml', `${state.name}-seed-${state.seed}${suffix}.toml`);
}

// ---------- drawing ----------

/**
 * Which panels are on screen, measured when the page scrolls or resizes. While playing, a panel out of sight is
 * not redrawn (it is redrawn when playback stops, or when it scrolls into view).
 */
const onScreen = new Map();
let panelsQueued = false;
function measurePanels() {
  if (panelsQueued) return;
  panelsQueued = true;
  requestAnimationFrame(() => {
    panelsQueued = false;
    let newlyVisible = false;
    for (const id of ['groups-section', 'network-section', 'messages-panel', 'producers-section', 'brokers']) {
      const r = $(id).getBoundingClientRect();
      const visible = r.bottom > 0 && r.top < window.innerHeight && r.height > 0;
      newlyVisible ||= visible && onScreen.get(id) === false;
      onScreen.set(id, visible);
    }
    if (newlyVisible && state.playing) render();
  });
}
const drawPanel = (id) => !state.playing || onScreen.get(id) !== false;

/** Milliseconds each part of the drawing took, summed over frames (the tests print them when a frame is slow). */
const profile = {};
function timedPart(name, fn) {
  const t0 = performance.now();
  fn();
  profile[name] = (profile[name] ?? 0) + performance.now() - t0;
}

function render() {
  if (!state.explorer || state.panicked) return;
  let view;
  const offsets = document.querySelector('.lag-details[open]') !== null;
  timedPart('view', () => { view = sim((x) => JSON.parse(x.page_view_json(ui.showInternal, offsets))); });
  if (!view) return;
  const x = state.explorer;
  state.lastView = view;
  ui.finished = x.finished();
  timedPart('status', () => renderStatus(view));
  if (drawPanel('brokers')) {
    timedPart('brokers', () => {
      renderBrokers(view, ui);
      renderBrokerActions(view, ui, ui.finished);
    });
  }
  if (drawPanel('groups-section')) {
    timedPart('groups', () => {
      renderGroups(view, ui);
      renderConsumerActions(view, ui);
    });
  }
  timedPart('partitions', () => {
    renderPartitions(view, ui, ownersOf(view));
    renderAddPartitions(view);
    renderProducers(view);
  });
  // Panels to read rather than to watch move (the network, the messages, the log, the checkers) are redrawn ten
  // times a second while playing: enough to read, and it keeps frames short on a big cluster.
  const now = performance.now();
  if (state.playing && now - (state.secondaryDrawn ?? 0) < 100) return void timedPart('timeline', drawTimeline);
  state.secondaryDrawn = now;
  if (!EMBED && drawPanel('network-section')) timedPart('network', () => renderNetwork(view, ui));
  if ($('messages-panel').open && drawPanel('messages-panel')) {
    timedPart('messages', () => renderMessages(x, view, {
      limit: Number($('msg-limit').value), replication: $('msg-replication').checked,
      heartbeats: $('msg-heartbeats').checked, metadata: $('msg-metadata').checked,
    }, (step) => act((e) => e.seek(step))));
  }
  timedPart('log', () => setText($('log-count'), `${formatCount(log.update(x))} lines`));
  timedPart('checkers', () => renderCheckers(x, (step) => act((e) => e.seek(step))));
  timedPart('timeline', drawTimeline);
}

function drawTimeline() {
  const x = state.explorer;
  if (!x) return;
  markers.pull(x);
  markers.fork = state.injections.length ? state.injections[0].at_ms * 1000 : null;
  markers.draw(x.now_ms() * 1000, x.known_until_ms() * 1000);
  const rate = state.speed.ms > 0 ? `${formatCount((1000 * state.speed.events) / state.speed.ms)} events/s` : '–';
  const p = state.playback;
  const wanted = Number($('speed').value) || 1;
  // Playing slower than asked (the cluster is too big for real time here): say how fast it really plays.
  const actual = p.frames > 30 ? p.simMs / (p.frames * MS_PER_FRAME_AT_1X) : wanted;
  setText($('sim-speed'), state.playing && actual < 0.9 * wanted
    ? `${rate}; playing at ${actual < 0.1 ? actual.toFixed(2) : actual.toFixed(1)}× (cannot keep up with ${wanted}×)` : rate);
}

function renderStatus(view) {
  const x = state.explorer;
  const now = x.now_ms();
  const end = x.end_ms();
  state.lastSteps = view.step;
  state.lastNow = now;
  setText($('now'), `${view.time} of ${formatMs(end)}`);
  setText($('steps'), formatCount(view.step).replace(/,/g, ''));
  $('scrub').value = String(now);
  const finished = ui.finished;
  const reached = finished || (typeof state.until === 'number' && now >= state.until);
  const hash = $('trace-hash');
  setText(hash, reached ? x.trace_hash() : 'shown at the end of the run');
  hash.dataset.final = String(reached);
  hash.classList.toggle('pending', !reached);
  show($('fork'), state.injections.length > 0);
  setText($('fork-text'), state.injections.length === 0 ? ''
    : `the run diverges from the scenario file at ${formatMs(state.injections[0].at_ms)}: `
      + `${state.injections.map(describeInjection).join('; ')}`);
  for (const id of ['step', 'next', 'end', 'play']) $(id).disabled = finished;
  for (const id of ['back', 'reset', 'prev']) $(id).disabled = view.step === 0;
  document.body.dataset.finished = String(finished);
  document.body.dataset.step = String(view.step);
}

// ---------- for the end-to-end tests ----------

globalThis.kafkasimTestHooks = {
  /** A deliberate panic in the wasm, to check that the error panel shows up. */
  panic: () => act((x) => x.panic_for_tests()),
  /** Playback frame statistics: how long each frame's work took, and the intervals between frames. */
  frames: () => ({ ...state.frames, intervals: [...state.frames.intervals] }),
  resetFrames: () => {
    state.frames = { count: 0, sum: 0, worst: 0, last: 0, drawMs: 0, intervals: [] };
    for (const k of Object.keys(profile)) delete profile[k];
  },
  profile: () => ({ ...profile }),
  /** Runs a scenario to its end in a fresh explorer and times it (the page's events/s). */
  bench: (text, file, seed) => {
    const x = new Explorer(text, file, BigInt(seed));
    const t0 = performance.now();
    x.run_to_end();
    const ms = performance.now() - t0;
    const out = { steps: x.steps(), ms, hash: x.trace_hash() };
    x.free();
    return out;
  },
  /** Times going to step `step` from where the explorer is. */
  seek: (step) => {
    const t0 = performance.now();
    state.explorer.seek(step);
    const ms = performance.now() - t0;
    render();
    return ms;
  },
  /** Explores the whole run now (tests that need every marker). */
  exploreAll: () => {
    while (!state.explorer.explore(100_000)) { /* keep going */ }
    render();
    return state.explorer.steps();
  },
  bookLinks: () => ({ links: BOOK }),
  markers: () => markers.list.map((m) => ({ ...m })),
  formatUs,
};

main().catch((e) => {
  // A page that cannot start says why instead of staying blank.
  console.error(e);
  $('title').textContent = `The explorer could not start: ${e.message ?? e}`;
  document.body.dataset.state = 'failed';
});
