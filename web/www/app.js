// The kafkasim explorer page.
//
// Plain JavaScript modules and the DOM, no framework and no build step: the page is a few hundred lines that
// draw one JSON view per frame, so a framework would add weight and a toolchain without saving any code, and the
// files in web/www/ are exactly what the browser runs (easy to read, to debug and to host anywhere).
//
// Everything the page shows comes from the simulation library through the wasm facade (`web/src/lib.rs`):
// `view_json()` for the cluster and `events_json()` for the log. The page never decides anything about the run.
// It reads no clock and draws no random numbers: playback is paced by requestAnimationFrame, and every frame
// advances the simulation by a fixed amount of simulated time, so what a frame shows does not depend on how
// fast the machine is. Scenario text and names always go into the page through textContent, never as HTML.

import init, { Explorer, install_panic_hook, scenario_summary_json } from './pkg/kafkasim_web.js';

const $ = (id) => document.getElementById(id);

/** Simulated milliseconds per animation frame at 1×: real time at 60 frames per second. */
const MS_PER_FRAME_AT_1X = 1000 / 60;
/** The log keeps at most this many lines in the page (the trace itself keeps everything). */
const MAX_LOG_LINES = 2000;
/** Event kinds marked on the timeline, with their marker class. */
const MARKED = {
  Fault: 'fault', LeaderElected: 'election', PartitionOffline: 'fault', IsrChanged: 'isr',
  Violation: 'violation', Truncated: 'isr',
};
const U64_MAX = (1n << 64n) - 1n;

const state = {
  scenarios: new Map(), // name -> { name, file, text, title }
  name: null, // scenario name (file name without .toml)
  seed: null, // decimal text
  text: null, // the TOML being run (the bundled file, or the user's edit)
  edited: false,
  explorer: null,
  cursor: 0, // trace position the log has read up to
  hiddenLines: 0, // log lines dropped from the page to keep it light
  playing: false,
  selected: null, // broker id whose actions are shown
  until: null, // from the URL: 'end' or milliseconds
  lastSteps: 0,
  lastNow: 0,
  panicked: false,
  injected: [],
};

// ---------- the error panel for a panic in the wasm ----------

globalThis.kafkasimPanic = (message) => showPanic(message);

function reproText(message) {
  const url = new URL(location.href);
  const lines = [
    `scenario: ${state.name ?? '(none)'}${state.edited ? ' (edited in the page)' : ''}`,
    `seed: ${state.seed ?? '(none)'}`,
    `at step ${state.lastSteps}, ${formatMs(state.lastNow)}`,
  ];
  if (state.injected.length > 0) lines.push(`injected: ${state.injected.join('; ')}`);
  lines.push(`reproduce: kafkasim run scenarios/${state.name}.toml --seed ${state.seed}`);
  lines.push(`page: ${url.href}`);
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
  for (const b of document.querySelectorAll('.transport button, #broker-actions button')) b.disabled = true;
  $('panic-copy').focus();
}

function copyRepro() {
  const text = reproText($('panic-message').textContent);
  const done = () => { $('panic-copy').textContent = 'Copied'; };
  const fallback = () => {
    window.getSelection()?.selectAllChildren($('panic-repro'));
    $('panic-copy').textContent = 'Selected: press Ctrl+C';
  };
  if (navigator.clipboard?.writeText) navigator.clipboard.writeText(text).then(done, fallback);
  else fallback();
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

// ---------- small DOM helpers ----------

/** An element with classes and children; strings become text nodes (never HTML). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'style') node.setAttribute('style', v);
    else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'title' || k === 'type' || k === 'role') {
      node.setAttribute(k, String(v));
    } else node[k] = v;
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return node;
}

function formatMs(ms) {
  return `${(Math.floor(ms) / 1000).toFixed(3)}s`;
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
  for (const s of state.scenarios.values()) {
    select.append(el('option', { value: s.name }, `${s.name} — ${s.title}`));
  }
  wireControls();
  if (EMBED) {
    // In a book page the elections, ISR changes and truncations are the story; per-record acks drown them.
    $('hide-acks').checked = true;
    $('events').classList.add('hide-acks');
  }

  const params = new URLSearchParams(location.search);
  const wanted = params.get('scenario');
  const name = state.scenarios.has(wanted) ? wanted
    : state.scenarios.has('clean-failover') ? 'clean-failover' : list[0]?.name;
  if (wanted && !state.scenarios.has(wanted)) {
    showNotice(`There is no scenario “${wanted}”; showing ${name} instead.`);
  }
  state.until = parseUntil(params.get('until'));
  if (!name) {
    $('title').textContent = 'No scenarios were bundled with this page.';
    return;
  }
  const seed = params.get('seed');
  load(name, seed !== null && validSeed(seed) ? seed : null, null);
  if (seed !== null && !validSeed(seed)) showNotice(`“${seed}” is not a seed (a whole number up to 2^64−1).`);
  if (state.until !== null) runToRequested();
  document.body.dataset.state = 'ready';
}

/** `until=end`, `until=12s`, `until=1500ms` or `until=1500` (milliseconds). */
function parseUntil(text) {
  if (text === null) return null;
  if (text === 'end') return 'end';
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) {
    showNotice(`until=${text} is not understood: use end, 12s or 1500ms.`);
    return null;
  }
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

function runToRequested() {
  if (state.until === 'end') sim((x) => x.run_to_end());
  else sim((x) => x.run_until_ms(state.until));
  render();
}

function validSeed(text) {
  return /^\d{1,20}$/.test(text) && BigInt(text) <= U64_MAX;
}

/** Builds a new run of scenario `name`. `seed` null means the scenario's own; `text` null the bundled file. */
function load(name, seed, text) {
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
    explorer = new Explorer(source, entry.file, BigInt(seedText));
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) { showPanic(String(e)); return false; }
    showParseError(e, source);
    return false;
  }
  setPlaying(false);
  state.explorer?.free();
  Object.assign(state, {
    explorer, name, seed: seedText, text: source, edited: text !== null, cursor: 0, hiddenLines: 0,
    selected: null, injected: [],
  });
  $('scenario').value = name;
  $('seed').value = seedText;
  if (text === null) $('toml').value = source;
  $('title').textContent = summary.name;
  // Paragraphs are separated by blank lines; single line breaks in the TOML are only wrapping.
  $('description').replaceChildren(...summary.description.trim().split(/\n\s*\n/)
    .map((para) => el('p', {}, para.replace(/\s*\n\s*/g, ' '))));
  $('events').replaceChildren();
  $('markers').replaceChildren();
  $('scrub').max = String(summary.duration_ms);
  $('broker-actions').hidden = true;
  $('inject-error').hidden = true;
  document.title = `${name} · kafkasim explorer`;
  updateUrl();
  render();
  return true;
}

function updateUrl() {
  const params = new URLSearchParams(location.search);
  params.set('scenario', state.name);
  params.set('seed', state.seed);
  history.replaceState(null, '', `${location.pathname}?${params}`);
}

function showNotice(text) {
  const p = $('inject-error');
  p.textContent = text;
  p.hidden = false;
}

// ---------- scenario parse errors, at their line ----------

function showParseError(e, source) {
  const panel = $('parse-error');
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
  panel.hidden = false;
  $('editor').open = true;
  if (line > 0) selectLine($('toml'), line);
  panel.scrollIntoView({ block: 'nearest' });
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
      showNotice(`“${seed}” is not a seed: use a whole number from 0 to 18446744073709551615.`);
      return;
    }
    load($('scenario').value, seed, null);
  });
  $('scenario').addEventListener('change', () => load($('scenario').value, null, null));
  $('play').addEventListener('click', () => setPlaying(!state.playing));
  $('step').addEventListener('click', () => act((x) => x.step()));
  $('next').addEventListener('click', () => act((x) => x.step_to_readable(1_000_000)));
  $('back').addEventListener('click', () => act((x) => x.step_back()));
  $('reset').addEventListener('click', () => act((x) => x.seek(0)));
  $('end').addEventListener('click', () => act((x) => x.run_to_end()));
  $('scrub').addEventListener('input', () => act((x) => x.seek_ms(Number($('scrub').value))));
  $('brokers').addEventListener('click', (e) => {
    const card = e.target.closest('[data-broker]');
    if (!card) return;
    state.selected = state.selected === Number(card.dataset.broker) ? null : Number(card.dataset.broker);
    render();
  });
  $('broker-actions').addEventListener('click', (e) => {
    const action = e.target.closest('button')?.dataset.action;
    if (action) brokerAction(action);
  });
  $('run-edited').addEventListener('click', () => load(state.name, state.seed, $('toml').value));
  $('revert').addEventListener('click', () => {
    $('toml').value = state.scenarios.get(state.name).text;
    load(state.name, state.seed, null);
  });
  $('export').addEventListener('click', exportTrace);
  $('hide-acks').addEventListener('change', () => {
    $('events').classList.toggle('hide-acks', $('hide-acks').checked);
  });
  $('panic-copy').addEventListener('click', copyRepro);
  $('panic-reload').addEventListener('click', () => location.reload());
  document.addEventListener('keydown', onKey);
}

/** A user action: stop playing, do it, redraw. */
function act(fn) {
  setPlaying(false);
  sim(fn);
  render();
}

function onKey(e) {
  if (e.target.closest('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
  const keys = {
    ' ': () => setPlaying(!state.playing),
    ArrowRight: () => (e.shiftKey ? $('next') : $('step')).click(),
    ArrowLeft: () => $('back').click(),
    Home: () => $('reset').click(),
    End: () => $('end').click(),
  };
  const fn = keys[e.key];
  if (!fn || (e.key === ' ' && e.target.closest('button'))) return;
  e.preventDefault();
  fn();
}

function setPlaying(on) {
  const playing = on && !state.panicked && state.explorer !== null && !state.explorer.finished();
  if (playing === state.playing) return;
  state.playing = playing;
  $('play').textContent = playing ? '❚❚ Pause' : '▶ Play';
  $('play').setAttribute('aria-pressed', String(playing));
  if (playing) requestAnimationFrame(frame);
}

function frame() {
  if (!state.playing) return;
  const speed = Number($('speed').value) || 1;
  sim((x) => x.run_until_ms(x.now_ms() + speed * MS_PER_FRAME_AT_1X));
  render();
  if (state.playing && !sim((x) => x.finished())) requestAnimationFrame(frame);
  else setPlaying(false);
}

/** Saves the trace so far as JSON Lines, the format of `kafkasim run --trace FILE`. */
function exportTrace() {
  const jsonl = sim((x) => x.trace_jsonl());
  if (jsonl === undefined) return;
  const link = el('a', {
    href: URL.createObjectURL(new Blob([jsonl], { type: 'application/jsonl' })),
    download: `${state.name}-seed-${state.seed}-step-${state.lastSteps}.jsonl`,
  });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 0);
}

function brokerAction(action) {
  if (action === 'close') {
    state.selected = null;
    render();
    return;
  }
  const request = action === 'heal' ? { action } : { action, broker: state.selected };
  setPlaying(false);
  try {
    sim((x) => x.inject(JSON.stringify(request)));
    state.injected.push(`${action}${request.broker !== undefined ? ` broker ${request.broker}` : ''} at step ${state.lastSteps}`);
    $('inject-error').hidden = true;
  } catch (e) {
    showNotice(`Could not ${action}: ${e.message ?? e}`);
  }
  render();
}

// ---------- drawing ----------

function render() {
  if (!state.explorer || state.panicked) return;
  const view = sim((x) => JSON.parse(x.view_json()));
  if (!view) return;
  renderStatus(view);
  renderBrokers(view);
  renderPartitions(view);
  renderProducers(view);
  renderEvents();
}

function renderStatus(view) {
  const x = state.explorer;
  const now = x.now_ms();
  const end = x.end_ms();
  state.lastSteps = view.step;
  state.lastNow = now;
  $('now').textContent = `${view.time} of ${formatMs(end)}`;
  $('steps').textContent = String(view.step);
  $('scrub').value = String(now);
  const finished = x.finished();
  const reached = finished || (typeof state.until === 'number' && now >= state.until);
  const hash = $('trace-hash');
  hash.textContent = reached ? x.trace_hash() : 'shown at the end of the run';
  hash.dataset.final = String(reached);
  hash.classList.toggle('pending', !reached);
  const injected = x.injected();
  $('fork').hidden = injected === 0;
  $('fork-text').textContent = injected === 0 ? ''
    : `${injected} action(s) injected here: the run diverges from the scenario file (${state.injected.join('; ')})`;
  for (const id of ['step', 'next', 'end', 'play']) $(id).disabled = finished;
  $('back').disabled = view.step === 0;
  $('reset').disabled = view.step === 0;
  document.body.dataset.finished = String(finished);
}

const LIVENESS = {
  alive: { icon: '●', label: 'alive' },
  crashed: { icon: '✕', label: 'crashed' },
  stopped: { icon: '■', label: 'stopped' },
  paused: { icon: '❚❚', label: 'paused' },
};

function renderBrokers(view) {
  const cards = [el('div', { class: `node controller${view.controller.paused ? ' paused' : ''}` },
    el('span', { class: 'shape', 'aria-hidden': 'true' }, '◆'),
    el('span', { class: 'node-name' }, 'controller'),
    el('span', { class: 'node-state' }, view.controller.paused ? 'paused' : 'active'),
    el('span', { class: 'badge' }, `metadata v${view.controller.metadata_version}`))];
  for (const b of view.brokers) {
    const live = LIVENESS[b.liveness] ?? { icon: '?', label: b.liveness };
    const selected = state.selected === b.id;
    cards.push(el('button', {
      type: 'button', class: `node broker ${b.liveness}${b.fenced ? ' fenced' : ''}${b.isolated ? ' isolated' : ''}`,
      'data-broker': b.id, 'data-liveness': b.liveness, 'aria-pressed': String(selected),
      title: `Broker ${b.id}: click for crash, restart, pause, isolate, heal`,
    },
    el('span', { class: 'shape', 'aria-hidden': 'true' }, live.icon),
    el('span', { class: 'node-name' }, `broker ${b.id}`),
    el('span', { class: 'node-state' }, live.label),
    b.fenced && el('span', { class: 'badge fenced' }, '⊘ fenced'),
    b.isolated && el('span', { class: 'badge isolated' }, '✂ cut off'),
    b.rack && el('span', { class: 'badge' }, `rack ${b.rack}`),
    el('span', { class: 'badge' }, `leads ${b.leading}`)));
  }
  $('brokers').replaceChildren(...cards);
  if (view.cut_links.length > 0) {
    const pairs = view.cut_links.map(([a, b]) => `${a} → ${b}`);
    $('brokers').append(el('p', { class: 'cut-links' }, `Cut links (${pairs.length}): ${pairs.join(', ')}`));
  }
  renderBrokerActions(view);
}

function renderBrokerActions(view) {
  const panel = $('broker-actions');
  const b = view.brokers.find((x) => x.id === state.selected);
  panel.hidden = !b;
  if (!b) return;
  const finished = state.explorer.finished();
  const up = b.liveness === 'alive' || b.liveness === 'paused';
  const allowed = {
    crash: up, restart: !up, pause: b.liveness === 'alive', resume: b.liveness === 'paused',
    isolate: up && !b.isolated, heal: view.cut_links.length > 0, close: true,
  };
  const states = [LIVENESS[b.liveness]?.label ?? b.liveness, b.fenced && 'fenced', b.isolated && 'cut off'];
  $('broker-actions-title').textContent = finished
    ? `Broker ${b.id}: the run has ended; step back to break something.`
    : `Broker ${b.id} (${states.filter(Boolean).join(', ')}):`;
  for (const button of panel.querySelectorAll('button')) {
    button.disabled = !allowed[button.dataset.action] || (finished && button.dataset.action !== 'close');
  }
}

const ROLE = {
  leader: '★ leader', follower: '● in sync', out_of_sync: '◌ out of sync', offline: '✕ offline',
};

function renderPartitions(view) {
  const cards = view.partitions.map((p) => {
    const scale = Math.max(1, ...p.replicas.map((r) => r.log_end_offset));
    const rows = p.replicas.map((r) => el('div', {
      class: `replica ${r.role}`, 'data-broker': r.broker, 'data-role': r.role,
    },
    el('span', { class: `role ${r.role}` }, ROLE[r.role] ?? r.role),
    el('span', { class: 'replica-broker' }, `broker ${r.broker}`),
    el('span', { class: 'bar', role: 'img', 'aria-label': `HW ${r.high_watermark}, LEO ${r.log_end_offset}` },
      el('span', { class: 'leo', style: `width:${(100 * r.log_end_offset) / scale}%` }),
      el('span', { class: 'hw', style: `width:${(100 * Math.min(r.high_watermark, r.log_end_offset)) / scale}%` })),
    el('span', { class: 'offsets' }, `HW ${r.high_watermark} · LEO ${r.log_end_offset}`),
    r.believes_leader && r.role !== 'leader'
      && el('span', { class: 'badge zombie' }, '⚠ still believes it leads')));
    const leader = p.leader >= 0 ? `leader ${p.leader}` : 'OFFLINE: no leader';
    return el('article', { class: `partition${p.leader < 0 ? ' offline' : ''}`, 'data-partition': p.name, 'data-leader': p.leader },
      el('header', {},
        el('strong', {}, p.name),
        el('span', { class: p.leader >= 0 ? 'leader-name' : 'leader-name none' }, leader),
        el('span', {}, `epoch ${p.leader_epoch}`),
        el('span', {}, `ISR [${p.isr.join(', ')}]`)),
      rows);
  });
  $('partitions').replaceChildren(...cards);
  if (cards.length === 0) $('partitions').append(el('p', { class: 'hint' }, 'No partitions yet.'));
}

function renderProducers(view) {
  const rows = view.producers.map((p) => el('tr', {},
    el('td', {}, p.name), el('td', {}, p.client), el('td', {}, p.acks === -1 ? 'all' : String(p.acks)),
    el('td', { class: 'num' }, String(p.acked)),
    el('td', { class: `num${p.failed > 0 ? ' bad' : ''}` }, String(p.failed)),
    el('td', { class: 'num' }, String(p.queued))));
  if (rows.length === 0) rows.push(el('tr', {}, el('td', { colSpan: 6, class: 'hint' }, 'No producers in this scenario.')));
  $('producers').tBodies[0].replaceChildren(...rows);
}

/** Appends the new readable events; after a step back, drops the ones the replay has not reached. */
function renderEvents() {
  const x = state.explorer;
  const len = x.trace_len();
  const list = $('events');
  if (len < state.cursor) {
    if (state.hiddenLines > 0) {
      // Lines dropped earlier may be needed again: redraw from the start.
      list.replaceChildren();
      $('markers').replaceChildren();
      state.cursor = 0;
      state.hiddenLines = 0;
    } else {
      while (list.lastElementChild && Number(list.lastElementChild.dataset.index) >= len) list.lastElementChild.remove();
      for (const m of [...$('markers').children]) if (Number(m.dataset.index) >= len) m.remove();
      state.cursor = len;
    }
  }
  if (len > state.cursor) {
    const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const events = JSON.parse(x.events_json(state.cursor));
    state.cursor = len;
    appendEvents(events);
    if (stick) list.scrollTop = list.scrollHeight;
  }
  $('log-count').textContent = `${list.childElementCount + state.hiddenLines} lines`;
}

function appendEvents(events) {
  const list = $('events');
  const end = state.explorer.end_ms() * 1000;
  const markers = [];
  const items = events.map((e) => {
    const mark = MARKED[e.type];
    if (mark) {
      markers.push(el('span', {
        class: `marker ${mark}`, 'data-index': e.index, title: `${e.at} ${e.type}`,
        style: `left:${(100 * e.at_us) / end}%`,
      }));
    }
    // The type label already says Fault or Note; the trace text's own prefix would repeat it.
    const words = e.text.replace(/^(FAULT|NOTE) /, '');
    return el('li', { class: `event ${mark ?? ''} t-${e.type}`, 'data-index': e.index, 'data-type': e.type },
      el('time', {}, e.at), el('span', { class: 'type' }, e.type), el('span', { class: 'text' }, words));
  });
  list.append(...items);
  $('markers').append(...markers);
  while (list.childElementCount > MAX_LOG_LINES) {
    list.firstElementChild.remove();
    state.hiddenLines += 1;
  }
}

// For the end-to-end tests only: a deliberate panic in the wasm, to check that the error panel shows up.
globalThis.kafkasimTestHooks = { panic: () => act((x) => x.panic_for_tests()) };

main().catch((e) => {
  // A page that cannot start says why instead of staying blank.
  console.error(e);
  $('title').textContent = `The explorer could not start: ${e.message ?? e}`;
  document.body.dataset.state = 'failed';
});
