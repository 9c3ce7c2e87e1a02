// Brokers, partitions (replicas with LEO/HW bars), producers: drawn from the view, keyed so that a frame only
// writes what changed.

import { $, el, keyed, setAttr, setStyle, setText, show } from './dom.js';

export const LIVENESS = {
  alive: { icon: '●', label: 'alive' },
  crashed: { icon: '✕', label: 'crashed' },
  stopped: { icon: '■', label: 'stopped' },
  paused: { icon: '❚❚', label: 'paused (GC)' },
};

const ROLE = {
  leader: '★ leader', follower: '● in sync', out_of_sync: '◌ out of sync', offline: '✕ offline',
};

// ---------- brokers ----------

export function renderBrokers(view, ui) {
  const controller = { key: 'controller', controller: view.controller };
  const items = [controller, ...view.brokers.map((b) => ({ key: `b${b.id}`, broker: b }))];
  keyed($('brokers'), items, (i) => i.key, createNode, (node, item) => updateNode(node, item, ui));
  const cut = view.cut_links.map(([a, b]) => `${a} → ${b}`);
  setText($('cut-links'), cut.length ? `Cut links (${cut.length}): ${cut.join(', ')}` : '');
  show($('cut-links'), cut.length > 0);
}

function createNode(item) {
  const parts = {
    shape: el('span', { class: 'shape', 'aria-hidden': 'true' }),
    name: el('span', { class: 'node-name' }),
    state: el('span', { class: 'node-state' }),
    badges: el('span', { class: 'badges' }),
  };
  const node = item.controller
    ? el('div', { class: 'node controller' }, parts.shape, parts.name, parts.state, parts.badges)
    : el('button', { type: 'button', class: 'node broker' }, parts.shape, parts.name, parts.state, parts.badges);
  node.__parts = parts;
  return node;
}

function updateNode(node, item, ui) {
  const p = node.__parts;
  if (item.controller) {
    setText(p.shape, '◆');
    setText(p.name, 'controller');
    setText(p.state, item.controller.paused ? 'paused' : 'active');
    setAttr(node, 'class', `node controller${item.controller.paused ? ' paused' : ''}`);
    badges(p.badges, [['', `metadata v${item.controller.metadata_version}`]]);
    return;
  }
  const b = item.broker;
  const live = LIVENESS[b.liveness] ?? { icon: '?', label: b.liveness };
  setText(p.shape, live.icon);
  setText(p.name, `broker ${b.id}`);
  setText(p.state, live.label);
  setAttr(node, 'class',
    `node broker ${b.liveness}${b.fenced ? ' fenced' : ''}${b.isolated ? ' isolated' : ''}`);
  setAttr(node, 'data-broker', b.id);
  setAttr(node, 'data-liveness', b.liveness);
  setAttr(node, 'aria-pressed', String(ui.selected?.kind === 'broker' && ui.selected.id === b.id));
  setAttr(node, 'title', `Broker ${b.id}: click to crash, restart, pause, isolate it or heal the network`);
  badges(p.badges, [
    b.fenced && ['fenced', '⊘ fenced'],
    b.isolated && ['isolated', '✂ cut off'],
    b.rack && ['', `rack ${b.rack}`],
    ['', `leads ${b.leading}`],
  ].filter(Boolean));
}

function badges(container, list) {
  keyed(container, list, ([cls, text]) => `${cls}|${text}`,
    ([cls, text]) => el('span', { class: `badge ${cls}` }, text), () => {});
}

// ---------- partitions ----------

/**
 * `owners`: partition name → { name, colour } of the consumer that owns it (client side), for the stripe that
 * ties a partition card to the group panel.
 */
export function renderPartitions(view, ui, owners) {
  const list = view.partitions;
  keyed($('partitions'), list, (p) => p.name, createPartition, (node, p) => {
    // A card out of sight is not updated; it catches up when it scrolls into view (`measureVisibleCards`). A
    // 300-partition cluster costs what the visible cards do.
    if (node.__visible || !node.__drawn) {
      updatePartition(node, p, owners);
      node.__drawn = true;
    } else {
      node.__stale = true;
    }
  });
  const hidden = view.hidden_internal ?? 0;
  setText($('internal-count'), hidden > 0 ? `(${hidden} of __consumer_offsets hidden)` : '');
  show($('partitions-empty'), list.length === 0);
}

/**
 * Which partition cards are in sight, measured when the page scrolls or resizes (not every frame: with 300 cards
 * an IntersectionObserver cost several milliseconds per animation frame).
 */
let measureQueued = false;
export function measureVisibleCards() {
  if (measureQueued) return;
  measureQueued = true;
  requestAnimationFrame(() => {
    measureQueued = false;
    const height = window.innerHeight;
    let stale = false;
    for (const card of $('partitions').children) {
      const r = card.getBoundingClientRect();
      const visible = r.bottom > -200 && r.top < height + 200 && r.width > 0;
      card.__visible = visible;
      stale ||= visible && card.__stale;
    }
    if (stale) document.dispatchEvent(new Event('kafkasim:redraw'));
  });
}

function createPartition(p) {
  const parts = {
    name: el('strong', {}, p.name),
    leader: el('span', { class: 'leader-name' }),
    epoch: el('span', {}),
    isr: el('span', {}),
    owner: el('span', { class: 'owner' }),
    rows: el('div', { class: 'replicas' }),
  };
  const node = el('article', { class: 'partition', 'data-partition': p.name },
    el('header', {}, parts.name, parts.leader, parts.epoch, parts.isr, parts.owner), parts.rows);
  node.__parts = parts;
  node.__visible = true; // until measured
  measureVisibleCards();
  return node;
}

function updatePartition(node, p, owners) {
  node.__stale = false;
  const parts = node.__parts;
  setAttr(node, 'class', `partition${p.leader < 0 ? ' offline' : ''}`);
  setAttr(node, 'data-leader', p.leader);
  setText(parts.leader, p.leader >= 0 ? `leader ${p.leader}` : 'OFFLINE: no leader');
  setAttr(parts.leader, 'class', p.leader >= 0 ? 'leader-name' : 'leader-name none');
  setText(parts.epoch, `epoch ${p.leader_epoch}`);
  setText(parts.isr, `ISR [${p.isr.join(', ')}]`);
  const owner = owners.get(p.name);
  setText(parts.owner, owner ? `read by ${owner.name}` : '');
  setStyle(parts.owner, '--owner', owner?.colour ?? 'var(--muted)');
  setStyle(node, '--owner', owner?.colour ?? 'var(--line)');
  setAttr(node, 'data-owner', owner?.name ?? null);
  const scale = Math.max(1, ...p.replicas.map((r) => r.log_end_offset));
  keyed(parts.rows, p.replicas, (r) => r.broker, createReplica, (row, r) => updateReplica(row, r, scale));
}

function createReplica(r) {
  const parts = {
    role: el('span', { class: 'role' }),
    broker: el('span', { class: 'replica-broker' }, `broker ${r.broker}`),
    leo: el('span', { class: 'leo' }),
    hw: el('span', { class: 'hw' }),
    offsets: el('span', { class: 'offsets' }),
    zombie: el('span', { class: 'badge zombie', hidden: true }, '⚠ still believes it leads'),
  };
  parts.bar = el('span', { class: 'bar', role: 'img' }, parts.leo, parts.hw);
  const row = el('div', { class: 'replica', 'data-broker': r.broker },
    parts.role, parts.broker, parts.bar, parts.offsets, parts.zombie);
  row.__parts = parts;
  return row;
}

function updateReplica(row, r, scale) {
  const p = row.__parts;
  setAttr(row, 'class', `replica ${r.role}`);
  setAttr(row, 'data-role', r.role);
  setText(p.role, ROLE[r.role] ?? r.role);
  setAttr(p.role, 'class', `role ${r.role}`);
  setStyle(p.leo, 'width', `${(100 * r.log_end_offset) / scale}%`);
  setStyle(p.hw, 'width', `${(100 * Math.min(r.high_watermark, r.log_end_offset)) / scale}%`);
  setAttr(p.bar, 'aria-label', `HW ${r.high_watermark}, LEO ${r.log_end_offset}`);
  setText(p.offsets, `HW ${r.high_watermark} · LEO ${r.log_end_offset}`);
  show(p.zombie, r.believes_leader && r.role !== 'leader');
}

// ---------- producers ----------

export function renderProducers(view) {
  const body = $('producers').tBodies[0];
  keyed(body, view.producers, (p) => p.name, () => el('tr', {},
    el('td'), el('td'), el('td'), el('td', { class: 'num' }), el('td', { class: 'num' }), el('td', { class: 'num' })),
  (row, p) => {
    const c = row.cells;
    setText(c[0], p.name);
    setText(c[1], p.client);
    setText(c[2], p.acks === -1 ? 'all' : String(p.acks));
    setText(c[3], p.acked);
    setText(c[4], p.failed);
    setAttr(c[4], 'class', `num${p.failed > 0 ? ' bad' : ''}`);
    setText(c[5], p.queued);
  });
  show($('producers-section'), view.producers.length > 0);
}

// ---------- the broker actions panel ----------

export function renderBrokerActions(view, ui, finished) {
  const panel = $('broker-actions');
  const b = ui.selected?.kind === 'broker' ? view.brokers.find((x) => x.id === ui.selected.id) : null;
  show(panel, Boolean(b));
  if (!b) return;
  const up = b.liveness === 'alive' || b.liveness === 'paused';
  const allowed = {
    crash: up, restart: !up, pause: b.liveness === 'alive', resume: b.liveness === 'paused',
    isolate: up && !b.isolated, heal: view.cut_links.length > 0, close: true,
  };
  const states = [LIVENESS[b.liveness]?.label ?? b.liveness, b.fenced && 'fenced', b.isolated && 'cut off'];
  setText($('broker-actions-title'), finished
    ? `Broker ${b.id}: the run has ended; step back to break something.`
    : `Broker ${b.id} (${states.filter(Boolean).join(', ')}):`);
  for (const button of panel.querySelectorAll('button')) {
    button.disabled = !allowed[button.dataset.action] || (finished && button.dataset.action !== 'close');
  }
}
