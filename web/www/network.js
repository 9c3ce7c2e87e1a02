// The network: the controller in the middle of a ring of brokers, every link between them drawn (a cut link is
// dashed, marked ✂, and says which way it is cut), and the clients along the bottom, joined to a broker only
// when a link of theirs is cut. Clicking a link cuts it both ways; clicking a cut link heals the network.

import { $, setAttr, setText, show, svg } from './dom.js';

const W = 640;
const H = 300;

let drawnFor = ''; // the node list the static part was drawn for

export function renderNetwork(view, ui) {
  const key = view.nodes.map((n) => n.name).join('\n');
  const root = $('network');
  if (key !== drawnFor) {
    draw(root, view, ui);
    drawnFor = key;
    fillLinkForm(view);
  }
  update(root, view);
}

/** Past this many clients, consumers are drawn one node per group (a row of 30 labels is unreadable). */
const MAX_CLIENT_NODES = 10;

/**
 * The client nodes to draw: each producer and consumer, or, when there are many, each producer and one node per
 * consumer group. Returns [{ name, label, kind, members }].
 */
function clientNodes(view) {
  const clients = view.nodes.filter((n) => n.kind === 'producer' || n.kind === 'consumer');
  if (clients.length <= MAX_CLIENT_NODES) return clients.map((n) => ({ ...n, label: n.name, members: [n.name] }));
  const out = view.nodes.filter((n) => n.kind === 'producer').map((n) => ({ ...n, label: n.name, members: [n.name] }));
  const groups = new Map();
  for (const c of view.consumers) {
    const key = c.group || '(assign)';
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(c.name);
  }
  for (const [group, members] of groups) {
    out.push({ name: `group:${group}`, label: `${group} (${members.length})`, kind: 'consumer', members });
  }
  return out;
}

/** Node name → [x, y] (a consumer drawn inside its group's node maps to that node). */
function layout(view) {
  const pos = new Map();
  const brokers = view.nodes.filter((n) => n.kind === 'broker');
  const clients = clientNodes(view);
  const cx = W / 2;
  const cy = clients.length ? 115 : 140;
  const rx = Math.min(250, 70 + 30 * brokers.length);
  const ry = clients.length ? 85 : 110;
  pos.set('controller', [cx, cy]);
  brokers.forEach((b, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, brokers.length);
    pos.set(b.name, [cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
  });
  const gap = W / (clients.length + 1);
  clients.forEach((c, i) => {
    for (const m of c.members) pos.set(m, [gap * (i + 1), H - 22]);
    pos.set(c.name, [gap * (i + 1), H - 22]);
  });
  return pos;
}

function draw(root, view, ui) {
  const pos = layout(view);
  root.replaceChildren();
  root.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const links = svg('g', { class: 'links' });
  const cutLayer = svg('g', { class: 'client-cuts' });
  const nodes = svg('g', { class: 'nodes' });
  const core = view.nodes.filter((n) => n.kind === 'controller' || n.kind === 'broker');
  for (let i = 0; i < core.length; i += 1) {
    for (let j = i + 1; j < core.length; j += 1) {
      links.append(link(core[i].name, core[j].name, pos, ui));
    }
  }
  const drawn = [...core.map((n) => ({ ...n, label: n.name, members: [n.name] })), ...clientNodes(view)];
  for (const n of drawn) {
    const [x, y] = pos.get(n.name);
    const label = svg('text', { x, y: n.kind === 'broker' || n.kind === 'controller' ? y + 31 : y + 19,
      'text-anchor': 'middle', class: 'net-label' }, n.label);
    const shape = n.kind === 'controller'
      ? svg('rect', { x: x - 15, y: y - 15, width: 30, height: 30, transform: `rotate(45 ${x} ${y})` })
      : n.kind === 'broker' ? svg('circle', { cx: x, cy: y, r: 17 })
        : svg('rect', { x: x - 9, y: y - 9, width: 18, height: 18, rx: 4 });
    const glyph = svg('text', { x, y: y + 5, 'text-anchor': 'middle', class: 'net-glyph' });
    nodes.append(svg('g', { class: `net-node ${n.kind}`, 'data-node': n.name }, shape, glyph, label,
      svg('title', {}, n.members.length > 1 ? `${n.label}: ${n.members.join(', ')}` : n.name)));
  }
  root.append(links, cutLayer, nodes);
  root.__pos = pos;
  root.__cutLayer = cutLayer;
}

function link(a, b, pos, ui) {
  const [x1, y1] = pos.get(a);
  const [x2, y2] = pos.get(b);
  const mx = (x1 + x2) / 2;
  const my = (y1 + y2) / 2;
  const g = svg('g', { class: 'net-link', 'data-a': a, 'data-b': b, tabindex: 0, role: 'button' },
    svg('line', { x1, y1, x2, y2, class: 'hit' }),
    svg('line', { x1, y1, x2, y2, class: 'wire' }),
    svg('text', { x: mx, y: my + 5, 'text-anchor': 'middle', class: 'scissors' }, ''),
    svg('title', {}, ''));
  const act = () => ui.onLink(a, b, g.classList.contains('cut'));
  g.addEventListener('click', act);
  g.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      act();
    }
  });
  return g;
}

function update(root, view) {
  const cuts = new Set(view.cut_links.map(([a, b]) => `${a}\n${b}`));
  for (const g of root.querySelectorAll('.net-link')) {
    const { a, b } = g.dataset;
    const ab = cuts.has(`${a}\n${b}`);
    const ba = cuts.has(`${b}\n${a}`);
    const cut = ab || ba;
    setAttr(g, 'class', `net-link${cut ? ' cut' : ''}${ab !== ba ? ' one-way' : ''}`);
    setText(g.querySelector('.scissors'), !cut ? '' : ab && ba ? '✂ cut' : ab ? `✂ → ${shortName(b)}` : `✂ → ${shortName(a)}`);
    setText(g.querySelector('title'), !cut ? `${a} ↔ ${b}: click to cut this link both ways`
      : `${a} ↔ ${b} is cut${ab && ba ? ' both ways' : ab ? ` (${a} → ${b} only)` : ` (${b} → ${a} only)`}: `
        + 'click to heal the network');
  }
  // Client links are drawn only while cut.
  const pos = root.__pos;
  const extra = view.cut_links.filter(([a, b]) => isClient(view, a) || isClient(view, b));
  const seen = new Set();
  const lines = [];
  for (const [a, b] of extra) {
    const k = [pos.get(a)?.join(','), pos.get(b)?.join(',')].sort().join('\n');
    if (seen.has(k) || !pos.has(a) || !pos.has(b)) continue;
    seen.add(k);
    const [x1, y1] = pos.get(a);
    const [x2, y2] = pos.get(b);
    lines.push(svg('g', { class: 'net-link cut client' }, svg('line', { x1, y1, x2, y2, class: 'wire' }),
      svg('text', { x: (x1 + x2) / 2, y: (y1 + y2) / 2 + 5, 'text-anchor': 'middle', class: 'scissors' }, '✂ cut'),
      svg('title', {}, `${a} ↔ ${b} is cut`)));
  }
  const key = [...seen].join('|');
  if (root.__cutLayer.__key !== key) {
    root.__cutLayer.replaceChildren(...lines);
    root.__cutLayer.__key = key;
  }
  const state = new Map();
  for (const b of view.brokers) {
    state.set(`broker ${b.id}`, [b.liveness, b.fenced && 'fenced', b.isolated && 'isolated'].filter(Boolean));
  }
  state.set('controller', [view.controller.paused ? 'paused' : 'alive']);
  for (const c of view.consumers) state.set(c.name, [c.status.replace(' ', '-')]);
  for (const n of clientNodes(view)) {
    if (n.members.length > 1 || n.name !== n.members[0]) {
      const states = n.members.map((m) => state.get(m)?.[0] ?? 'alive');
      state.set(n.name, [states.every((x) => x === states[0]) ? states[0] : 'mixed']);
    }
  }
  for (const g of root.querySelectorAll('.net-node')) {
    const s = state.get(g.dataset.node) ?? ['alive'];
    setAttr(g, 'class', `net-node ${g.classList[1]} ${s.join(' ')}`);
    setText(g.querySelector('.net-glyph'), s.includes('crashed') ? '✕' : s.includes('paused') ? '❚❚'
      : s.includes('stopped') ? '■' : '');
  }
}

function isClient(view, name) {
  const n = view.nodes.find((x) => x.name === name);
  return n && n.kind !== 'broker' && n.kind !== 'controller';
}

function shortName(name) {
  return name.replace('broker ', 'b');
}

/** The "cut any link" form: every node in both lists. */
function fillLinkForm(view) {
  for (const id of ['cut-from', 'cut-to']) {
    const select = $(id);
    const before = select.value;
    select.replaceChildren(...view.nodes.filter((n) => n.kind !== 'admin')
      .map((n) => new Option(n.name, n.name)));
    if ([...select.options].some((o) => o.value === before)) select.value = before;
  }
  if ($('cut-from').value === $('cut-to').value && $('cut-to').options.length > 1) $('cut-to').selectedIndex = 1;
  show($('cut-form'), true);
}
