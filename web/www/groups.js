// Consumer groups: the members, generation, state, leader and protocol, and the partition assignment as chips
// that sit in the row of the consumer that owns them. Ownership is the client's own view (what `poll()` reads
// from), so an eager rebalance shows every chip leaving for the "nobody" row and coming back, and a cooperative
// one shows only the chips that move. A chip that changes rows glides there (a FLIP animation: measure, move,
// animate from the old place), so a rebalance can be followed by eye.

import { $, el, keyed, setAttr, setStyle, setText, show } from './dom.js';

/** Okabe-Ito colours (distinguishable with the common colour-vision deficiencies); past 8 a pattern is added. */
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#8c8c8c'];
const DARK_TEXT = new Set(['#e69f00', '#56b4e9', '#f0e442', '#cc79a7', '#8c8c8c']);
const PATTERNS = ['none', 'stripes', 'dots'];

const STATUS = {
  running: '● running', paused: '❚❚ paused (GC stall)', stopped: '■ stopped', 'not started': '○ not started',
};

/** A consumer's colour and pattern, by its position among all consumers (stable for a run). */
export function consumerStyle(index) {
  const colour = PALETTE[index % PALETTE.length];
  return {
    colour, ink: DARK_TEXT.has(colour) ? '#1b1f24' : '#ffffff',
    pattern: PATTERNS[Math.floor(index / PALETTE.length) % PATTERNS.length],
  };
}

/**
 * Partition name → the consumer (with its `index`) that reads it. A consumer's own list is what it believes; a
 * stopped one owns nothing, and a paused one (a GC stall) may still believe it owns partitions the group has
 * since given to a running member: the running member wins, and the paused one's belief is shown as stale.
 */
function resolveOwners(consumers) {
  const owners = new Map();
  for (const pass of ['running', 'paused']) {
    for (const c of consumers) {
      if (c.status !== pass) continue;
      for (const p of c.owned) if (!owners.has(p)) owners.set(p, c);
    }
  }
  return owners;
}

/**
 * Partition name → who reads it, for the partition cards: `{ name, colour }` of the one consumer, or, when several
 * groups read the partition, their names and no colour.
 */
export function ownersOf(view) {
  const owners = new Map();
  for (const g of groupsOf(view)) {
    for (const [p, c] of resolveOwners(g.consumers)) {
      const before = owners.get(p);
      owners.set(p, before
        ? { name: `${before.name}, ${c.name}`, colour: null }
        : { name: c.name, colour: consumerStyle(c.index).colour });
    }
  }
  return owners;
}

/** The groups to draw: every group a coordinator knows or a consumer names, plus assign() consumers. */
function groupsOf(view) {
  const names = new Set([...view.groups.map((g) => g.name), ...view.consumers.map((c) => c.group)]);
  return [...names].sort().map((name) => ({
    name,
    coordinator: view.groups.find((g) => g.name === name) ?? null,
    // Colours count within a group, so that each group's members are told apart by the first colours.
    consumers: view.consumers.filter((c) => c.group === name).map((c, index) => ({ ...c, index })),
  }));
}

const chips = new Map(); // group name → Map(partition → chip element)

export function renderGroups(view, ui) {
  const groups = groupsOf(view);
  show($('groups-section'), groups.length > 0);
  const hw = new Map(view.partitions.map((p) => [p.name, leaderHw(p)]));
  const moves = [];
  keyed($('groups'), groups, (g) => g.name, createGroup, (node, g) => updateGroup(node, g, view, ui, hw, moves));
  animate(moves);
}

function leaderHw(p) {
  const leader = p.replicas.find((r) => r.broker === p.leader);
  return leader ? leader.high_watermark : null;
}

function createGroup(g) {
  const parts = {
    title: el('h3', {}),
    facts: el('dl', { class: 'group-facts' }),
    compactNote: el('p', { class: 'hint compact-note' }),
    add: el('button', { type: 'button', class: 'quiet add-consumer', 'data-group': g.name }, '+ Add a consumer'),
    members: el('div', { class: 'members' }),
    table: el('table', { class: 'lag' },
      el('thead', {}, el('tr', {}, ...['partition', 'owner', 'position', 'committed', 'high watermark', 'lag']
        .map((h) => el('th', {}, h)))),
      el('tbody')),
  };
  parts.details = el('details', { class: 'lag-details' }, el('summary', {}, 'Offsets and lag per partition'),
    el('div', { class: 'table-wrap' }, parts.table));
  parts.details.addEventListener('toggle', () => document.dispatchEvent(new Event('kafkasim:redraw')));
  const node = el('article', { class: 'group', 'data-group': g.name },
    el('header', {}, parts.title, parts.add), parts.facts, parts.compactNote, parts.members, parts.details);
  node.__parts = parts;
  return node;
}

function updateGroup(node, g, view, ui, hw, moves) {
  const parts = node.__parts;
  const c = g.coordinator;
  const assigned = g.name === '';
  setText(parts.title, assigned ? 'Consumers without a group (assign())' : `Group ${g.name}`);
  show(parts.add, !assigned && g.consumers.length > 0 && !ui.finished);
  const protocol = c?.protocol ?? '—';
  const rebalance = g.consumers.length > 0 && g.consumers.every((x) => x.rebalance === 'cooperative')
    ? 'cooperative' : 'eager';
  const facts = assigned ? [] : [
    ['state', c?.state ?? 'unknown to any coordinator', `state-${c?.state ?? 'none'}`],
    ['generation', c ? String(c.generation) : '—'],
    ['assignor', `${protocol} (${rebalance} rebalancing)`],
    ['leader', c?.leader ?? '—'],
    ['coordinator', c ? `broker ${c.coordinator}` : '—'],
    ['members', c ? (c.members.map((m) => m.client + (m.joining ? ' (joining)' : '')).join(', ') || 'none') : '—'],
  ];
  keyed(parts.facts, facts, ([k]) => k,
    ([k]) => el('div', {}, el('dt', {}, k), el('dd', {})),
    (div, [, v, cls]) => {
      setText(div.lastChild, v);
      setAttr(div.lastChild, 'class', cls ?? null);
    });
  setAttr(node, 'data-state', c?.state ?? 'none');
  setAttr(node, 'data-generation', c?.generation ?? -1);

  // Every partition of the subscribed topics, so that one nobody owns shows in the "nobody" row.
  const topics = new Set(g.consumers.flatMap((x) => x.topics));
  const owned = resolveOwners(g.consumers);
  const all = view.partitions.filter((p) => topics.has(p.topic) || owned.has(p.name)).map((p) => p.name);
  const allSet = new Set(all);
  const mine = chips.get(g.name) ?? new Map();
  chips.set(g.name, mine);
  const rows = g.consumers.map((x) => ({
    key: x.name, consumer: x, partitions: x.owned.filter((p) => owned.get(p) === x),
    stale: x.status === 'running' || x.status === 'paused' ? x.owned.filter((p) => owned.get(p) !== x) : [],
  }));
  if (!assigned) {
    rows.push({ key: ' nobody', consumer: null, partitions: all.filter((p) => !owned.has(p)) });
  }
  // Measure the chips that change rows before anything moves.
  for (const r of rows) {
    for (const name of r.partitions) {
      const chip = mine.get(name);
      if (chip?.isConnected && chip.parentNode.__rowKey !== r.key) {
        moves.push({ node: chip, from: chip.getBoundingClientRect() });
      }
    }
  }
  // A big topic's chips show only the partition number (the topic is in the title) so that 300 of them fit.
  const compact = all.length > 24 ? (topics.size === 1 ? 'number' : 'short') : null;
  setAttr(parts.members, 'data-compact', compact);
  setText(parts.compactNote, compact === 'number' ? `partitions of ${[...topics][0]}, by number` : '');
  keyed(parts.members, rows, (r) => r.key, createMember, (row, r) => updateMember(row, r, ui, mine, compact));
  for (const [p, chip] of mine) if (!allSet.has(p)) { chip.remove(); mine.delete(p); }

  // The table is long for a big topic: it is only kept up to date while it is open.
  if (!parts.details.open) return;
  const offsets = new Map((c?.offsets ?? []).map(([p, o]) => [p, o]));
  const rowsData = all.map((p) => {
    const owner = owned.get(p);
    const position = owner?.partitions.find((q) => q.partition === p)?.position ?? null;
    const committed = offsets.get(p) ?? null;
    const high = hw.get(p) ?? null;
    return { p, owner, position, committed, high, lag: high !== null && committed !== null ? high - committed : null };
  });
  keyed(parts.table.tBodies[0], rowsData, (r) => r.p,
    () => el('tr', {}, el('td'), el('td'), el('td', { class: 'num' }), el('td', { class: 'num' }),
      el('td', { class: 'num' }), el('td', { class: 'num' })),
    (tr, r) => {
      const cells = tr.cells;
      setText(cells[0], r.p);
      setText(cells[1], r.owner?.name ?? 'nobody');
      setText(cells[2], r.position ?? '—');
      setText(cells[3], r.committed ?? '—');
      setText(cells[4], r.high ?? '—');
      setText(cells[5], r.lag ?? '—');
      setAttr(cells[5], 'class', `num${r.lag > 0 ? ' lagging' : ''}`);
    });
}

function createMember(r) {
  const parts = {
    swatch: el('span', { class: 'swatch-member', 'aria-hidden': 'true' }),
    name: el('span', { class: 'member-name' }),
    state: el('span', { class: 'member-state' }),
    chips: el('div', { class: 'chips' }),
  };
  const who = r.consumer
    ? el('button', { type: 'button', class: 'member-who', 'data-consumer': r.key,
      title: `${r.key}: click to stop, crash, restart, pause or resume it` }, parts.swatch, parts.name, parts.state)
    : el('div', { class: 'member-who' }, parts.swatch, parts.name, parts.state);
  const row = el('div', { class: r.consumer ? 'member' : 'member nobody' }, who, parts.chips);
  row.__parts = parts;
  row.__who = who;
  return row;
}

function updateMember(row, r, ui, mine, compact) {
  const p = row.__parts;
  const x = r.consumer;
  if (x) {
    const style = consumerStyle(x.index);
    setStyle(row, '--member', style.colour);
    setStyle(row, '--member-ink', style.ink);
    setAttr(row, 'data-pattern', style.pattern);
    setText(p.name, x.name);
    const idle = x.status === 'running' && x.member_state === 'Stable' && x.owned.length === 0;
    const bits = [STATUS[x.status] ?? x.status];
    if (x.group && x.status !== 'stopped' && x.status !== 'not started') bits.push(x.member_state);
    if (x.generation >= 0 && x.group) bits.push(`gen ${x.generation}`);
    if (x.leader) bits.push('★ group leader');
    if (idle) bits.push('idle: no partition to read');
    if (r.stale.length) bits.push(`still believes it owns ${r.stale.join(', ')} (the group gave them away)`);
    setText(p.state, bits.join(' · '));
    setAttr(row, 'class', `member status-${x.status.replace(' ', '-')}${idle ? ' idle' : ''}`);
    setAttr(row, 'data-consumer', x.name);
    setAttr(row, 'data-owned', r.partitions.join(' '));
    setAttr(row.__who, 'aria-pressed', String(ui.selected?.kind === 'consumer' && ui.selected.name === x.name));
  } else {
    setText(p.name, 'nobody');
    setText(p.state, r.partitions.length
      ? 'revoked or not yet assigned: no consumer reads these now'
      : 'every partition has an owner');
    setAttr(row, 'data-owned', r.partitions.join(' '));
  }
  const nodes = r.partitions.map((name) => {
    let chip = mine.get(name);
    if (!chip) {
      chip = el('span', { class: 'chip', 'data-partition': name, title: name });
      mine.set(name, chip);
    }
    setText(chip, compact === 'number' ? name.slice(name.lastIndexOf('-') + 1) : name);
    return chip;
  });
  p.chips.__rowKey = r.key;
  place(p.chips, nodes);
  setAttr(p.chips, 'data-count', nodes.length);
}

/** Makes `nodes` the children of `container`, in order (taking them from other rows). */
function place(container, nodes) {
  let cursor = container.firstChild;
  for (const node of nodes) {
    if (node === cursor) cursor = cursor.nextSibling;
    else container.insertBefore(node, cursor);
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
}

/** Glides every moved chip from where it was to where it is now. */
function animate(moves) {
  if (moves.length === 0 || matchMedia('(prefers-reduced-motion: reduce)').matches) return;
  // Every position is read before anything is written: a write between two reads (the ring's class) made each
  // read lay the page out again, hundreds of layouts in the frame where a group's 300 chips moved.
  const height = window.innerHeight;
  const inSight = (r) => r.bottom > 0 && r.top < height;
  const glides = moves.map(({ node, from }) => {
    const to = node.getBoundingClientRect();
    // A chip that is out of sight where it starts and where it lands is not animated: nobody would see the
    // glide, and each animated chip is a compositor layer for its duration (900 of them when three groups of
    // 300 partitions are assigned at once made those frames the slowest of the page).
    return { node, dx: from.left - to.left, dy: from.top - to.top, seen: inSight(from) || inSight(to) };
  });
  for (const { node, dx, dy, seen } of glides) {
    if (!seen || Math.abs(dx) + Math.abs(dy) < 1) continue;
    // Only the transform is animated, so the compositor moves the chips without a style or paint pass per frame
    // (animating the ring as well cost 15 ms a frame when a big group's 300 chips moved at once); the ring is a
    // class for the glide's duration.
    node.classList.add('moving');
    node.animate([{ transform: `translate(${dx}px, ${dy}px)` }, { transform: 'none' }],
      { duration: 900, easing: 'ease-in-out' }).finished.then(() => node.classList.remove('moving'), () => {});
  }
}

// ---------- the consumer actions panel ----------

export function renderConsumerActions(view, ui) {
  const panel = $('consumer-actions');
  const c = ui.selected?.kind === 'consumer' ? view.consumers.find((x) => x.name === ui.selected.name) : null;
  show(panel, Boolean(c));
  if (!c) return;
  const allowed = {
    start_consumer: c.status === 'not started',
    stop_consumer: c.status === 'running' || c.status === 'paused',
    crash_consumer: c.status === 'running' || c.status === 'paused',
    restart_consumer: c.status === 'stopped',
    pause: c.status === 'running',
    resume: c.status === 'paused',
    close: true,
  };
  setText($('consumer-actions-title'), ui.finished
    ? `${c.name}: the run has ended; step back to change something.`
    : `${c.name} (${STATUS[c.status] ?? c.status}):`);
  for (const button of panel.querySelectorAll('button')) {
    button.disabled = !allowed[button.dataset.action] || (ui.finished && button.dataset.action !== 'close');
  }
}
