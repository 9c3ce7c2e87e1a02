// The message view: a sequence diagram of the last N messages up to the shown instant (the Full trace level
// records every delivered or dropped message). One lane per node, one row per message, oldest at the top and the
// newest at the bottom; it follows the timeline, and clicking a row goes to the step that delivered it.
//
// Rows are kept by trace position: when the run moves on, old rows slide up and only the new ones are made.

import { $, formatUs, keyed, scrollToEndSoon, setAttr, setText, svg } from './dom.js';

const ROW = 20;
const TOP = 6;
const HEAD = 24;
const LEFT = 64;
const LANE = 104;

/** The kind of traffic, for the arrow's colour and dash (the label always names the message too). */
function category(m) {
  const k = m.kind;
  if (k === 'Fetch' || k === 'FetchResponse') {
    return m.from.startsWith('broker ') && m.to.startsWith('broker ') ? 'replication' : 'consume';
  }
  if (k.startsWith('Produce')) return 'produce';
  if (/^(JoinGroup|SyncGroup|Heartbeat|LeaveGroup|OffsetCommit|OffsetFetch|FindCoordinator|ListOffsets)/.test(k)) {
    return 'group';
  }
  if (/^(Broker|AlterPartition|MetadataUpdate)/.test(k)) return 'controller';
  return 'other';
}

let lastKey = '';
let lanesKey = '';

/** Redraws when the shown point or the filters changed. `go(step)` seeks the explorer. */
export function renderMessages(x, view, options, go) {
  const key = `${view.step}|${view.time_us}|${options.limit}|${options.replication}|${options.heartbeats}|${options.metadata}`;
  if (key === lastKey) return;
  lastKey = key;
  const messages = JSON.parse(x.messages_json(options.limit, options.replication, options.heartbeats,
    options.metadata));
  const used = new Set(messages.flatMap((m) => [m.from, m.to]));
  const lanes = view.nodes.map((n) => n.name).filter((n) => used.has(n));
  for (const n of used) if (!lanes.includes(n)) lanes.push(n);
  const laneX = new Map(lanes.map((n, i) => [n, LEFT + LANE / 2 + i * LANE]));
  const width = LEFT + LANE * Math.max(lanes.length, 1);
  const height = TOP + ROW * Math.max(messages.length, 1) + 8;
  const root = $('messages');
  const rows = $('message-rows');
  if (lanes.join('\n') !== lanesKey) {
    // New lanes: every row's arrow moves, so start over.
    lanesKey = lanes.join('\n');
    rows.replaceChildren();
    rows.__keyed = null;
    drawLanes(root, laneX, width);
  }
  root.setAttribute('viewBox', `0 0 ${width} ${height}`);
  root.setAttribute('width', String(width));
  root.setAttribute('height', String(height));
  for (const line of $('message-lifelines').children) line.setAttribute('y2', String(height));
  keyed(rows, messages, (m) => m.index, (m) => row(m, laneX, width, go), (g, m) => {
    const i = messages.indexOf(m);
    setAttr(g, 'transform', `translate(0 ${TOP + i * ROW})`);
    setAttr(g, 'class', `${g.__base}${i === messages.length - 1 && m.step === view.step ? ' newest' : ''}`);
  });
  setText($('messages-count'), messages.length
    ? `the last ${messages.length} up to ${view.time}` : 'no message yet (or all filtered out)');
  scrollToEndSoon($('messages-wrap'));
}

function drawLanes(root, laneX, width) {
  const head = $('messages-head');
  head.setAttribute('viewBox', `0 0 ${width} ${HEAD}`);
  head.setAttribute('width', String(width));
  head.setAttribute('height', String(HEAD));
  head.replaceChildren(...[...laneX].map(([name, lx]) => svg('text',
    { x: lx, y: 16, 'text-anchor': 'middle', class: 'lane-name' }, name)));
  $('message-lifelines').replaceChildren(...[...laneX.values()].map((lx) => svg('line',
    { x1: lx, y1: 0, x2: lx, y2: 0, class: 'lifeline' })));
}

/** One message, drawn at y = 0 (its row is moved into place with a transform). */
function row(m, laneX, width, go) {
  const y = ROW / 2;
  const x1 = laneX.get(m.from);
  const x2 = laneX.get(m.to);
  const label = `${m.kind}${m.summary ? ` ${m.summary}` : ''}${m.dropped ? ` ✕ dropped: ${m.dropped}` : ''}`;
  const span = Math.max(Math.abs(x2 - x1) - 12, 60);
  const text = label.length * 6.2 > span ? `${label.slice(0, Math.max(4, Math.floor(span / 6.2) - 1))}…` : label;
  const base = `msg cat-${category(m)}${m.dropped ? ' dropped' : ''}`;
  const g = svg('g', { class: base, 'data-step': m.step, tabindex: 0, role: 'button' },
    svg('rect', { x: 0, y: 0, width, height: ROW, class: 'row-hit' }),
    svg('text', { x: 4, y: y + 4, class: 'msg-time' }, formatUs(m.at_us)),
    svg('line', { x1, y1: y + 3, x2: m.dropped ? (x1 + x2) / 2 : x2, y2: y + 3, class: 'arrow',
      'marker-end': m.dropped ? null : 'url(#arrow)' }),
    m.dropped && svg('text', { x: (x1 + x2) / 2, y: y + 7, 'text-anchor': 'middle', class: 'drop-mark' }, '✕'),
    svg('text', { x: (x1 + x2) / 2, y: y - 1, 'text-anchor': 'middle', class: 'msg-label' }, text),
    svg('title', {}, `${formatUs(m.at_us)} step ${m.step}: ${m.from} → ${m.to}: ${label} (click to go here)`));
  g.__base = base;
  g.addEventListener('click', () => go(m.step));
  g.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') go(m.step);
  });
  return g;
}
