// The timeline's markers, the event log and the invariant checkers.
//
// Markers come from the furthest copy of the run the explorer has computed (it explores ahead in the
// background), so the timeline shows what is still to come, lighter than what has happened. Each log line links
// to the book chapter that explains its kind of event.

import { $, el, formatUs, scrollToEndSoon, setText, show } from './dom.js';

/** Marker classes: colour, and a shape so that colour is never the only difference. */
export const MARKS = {
  fault: { colour: '#d55e00', shape: 'tall', label: 'fault' },
  election: { colour: '#0072b2', shape: 'diamond', label: 'election' },
  isr: { colour: '#e69f00', shape: 'short', label: 'ISR / truncation' },
  fencing: { colour: '#cc79a7', shape: 'short', label: 'fencing' },
  rebalance: { colour: '#009e73', shape: 'circle', label: 'rebalance' },
  client: { colour: '#5b6470', shape: 'short', label: 'client error' },
  violation: { colour: '#000000', shape: 'triangle', label: 'violation' },
  note: { colour: '#8c8c8c', shape: 'dot', label: 'note' },
};

// ---------- book links ----------

const ELECTION = 'leader-election.html';
/** Trace kind → the book page (and section) that explains it. */
export const BOOK = {
  Fault: 'failure-stories.html',
  Note: 'how-the-simulator-works.html#faults-are-data',
  BrokerRegistered: `${ELECTION}#the-controller-notices-a-failure-heartbeats-and-fencing`,
  BrokerFenced: `${ELECTION}#the-controller-notices-a-failure-heartbeats-and-fencing`,
  BrokerUnfenced: `${ELECTION}#the-controller-notices-a-failure-heartbeats-and-fencing`,
  ControlledShutdown: `${ELECTION}#controlled-shutdown`,
  LeaderElected: `${ELECTION}#clean-election`,
  PartitionOffline: `${ELECTION}#unclean-election`,
  IsrChanged: 'replication.html#the-isr-in-sync-replicas',
  BecomeLeader: 'replication.html',
  BecomeFollower: 'replication.html',
  Truncated: 'diverging-logs.html#leader-epochs-kip-101',
  LogTailLost: 'diverging-logs.html',
  ProduceAcked: 'producing.html#acks-when-the-leader-answers',
  ProduceFailed: 'producing.html#retries-and-timeouts',
  ProduceRetry: 'producing.html#retries-and-timeouts',
  Admin: 'topics-partitions-keys.html',
  Violation: 'how-the-simulator-works.html#determinism',
  RebalanceStarted: 'rebalancing.html#what-starts-a-rebalance',
  JoinCompleted: 'rebalancing.html#joining-step-by-step',
  GroupStable: 'rebalancing.html#joining-step-by-step',
  PartitionsAssigned: 'rebalancing.html#eager-and-cooperative-rebalancing',
  PartitionsRevoked: 'rebalancing.html#eager-and-cooperative-rebalancing',
  MemberRemoved: 'rebalancing.html#session-timeout-vs-maxpollintervalms',
  StaticMemberReplaced: 'rebalancing.html#static-membership',
  CoordinatorFound: 'consumer-groups.html',
  ConsumerCrashed: 'consumer-groups.html',
  ConsumerNote: 'client-configuration.html#consumer',
  Seeked: 'fetching.html',
  GroupEmpty: 'consumer-groups.html',
  CoordinatorLoaded: 'failure-stories.html#the-group-coordinators-broker-dies',
  CoordinatorUnloaded: 'failure-stories.html#the-group-coordinators-broker-dies',
  ConsumerLeft: 'consumer-groups.html',
  ConsumerError: 'consumer-groups.html',
  OffsetsCommitted: 'committing-offsets.html',
  OffsetsExpired: 'committing-offsets.html#moving-a-groups-committed-offsets',
  CommitFailed: 'committing-offsets.html',
  Consumed: 'fetching.html#the-long-poll',
  OffsetReset: 'committing-offsets.html#autooffsetreset-only-decides-where-a-group-starts',
};

/** The book link for a log line: elections link to the section of their kind. */
function bookLink(e) {
  let page = BOOK[e.type];
  if (!page) return null;
  if (e.type === 'LeaderElected') {
    if (e.text.includes('UNCLEAN')) page = `${ELECTION}#unclean-election`;
    else if (e.text.includes('preferred replica')) page = `${ELECTION}#preferred-leaders`;
    else if (e.text.includes('shutting down')) page = `${ELECTION}#controlled-shutdown`;
  }
  return `book/${page}`;
}

// ---------- markers ----------

export class Markers {
  constructor(canvas, tooltip, go) {
    this.canvas = canvas;
    this.tooltip = tooltip;
    this.list = [];
    this.cursor = 0;
    this.drawnKey = '';
    this.endUs = 1;
    this.fork = null;
    // The width is read when the canvas is resized, not every frame: reading it in the frame, after the panels'
    // writes, forced a layout of the whole page (1-2 ms a frame on a big cluster).
    this.width = canvas.clientWidth;
    new ResizeObserver(() => {
      this.width = canvas.clientWidth;
    }).observe(canvas);
    canvas.addEventListener('mousemove', (e) => this.hover(e));
    canvas.addEventListener('mouseleave', () => show(this.tooltip, false));
    canvas.addEventListener('click', (e) => {
      const m = this.near(e);
      if (m) go(m);
    });
  }

  reset(endUs) {
    this.list = [];
    this.cursor = 0;
    this.endUs = Math.max(1, endUs);
    this.drawnKey = '';
  }

  /** Reads the markers the explorer learned since last time. */
  pull(x) {
    const len = x.known_trace_len();
    if (len < this.cursor) this.reset(this.endUs);
    if (len > this.cursor) {
      this.list.push(...JSON.parse(x.markers_json(this.cursor)));
      this.cursor = len;
    }
  }

  /** The first marker after step `step`, or the last one before it (`back`). */
  next(step, back = false) {
    if (back) return [...this.list].reverse().find((m) => m.step < step) ?? null;
    return this.list.find((m) => m.step > step) ?? null;
  }

  firstViolation() {
    return this.list.find((m) => m.class === 'violation') ?? null;
  }

  draw(nowUs, knownUs) {
    const c = this.canvas;
    const { width } = this;
    // Redraw when something moved by a pixel, not on every frame.
    const px = (us) => Math.round(((width - 16) * us) / this.endUs);
    const key = `${this.list.length}|${px(nowUs)}|${px(knownUs)}|${width}|${this.fork}`;
    if (key === this.drawnKey || width === 0) return;
    this.drawnKey = key;
    const ratio = window.devicePixelRatio || 1;
    const height = 18;
    // Resizing a canvas reallocates it: only when its size really changed.
    if (c.width !== Math.round(width * ratio) || c.height !== Math.round(height * ratio)) {
      c.width = Math.round(width * ratio);
      c.height = Math.round(height * ratio);
    }
    const g = c.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const xOf = (us) => 8 + ((width - 16) * us) / this.endUs;
    // The part of the run not computed yet is hatched; what has happened is on a light band.
    g.fillStyle = '#eef0f2';
    g.fillRect(xOf(0), 14, xOf(nowUs) - xOf(0), 3);
    if (knownUs < this.endUs) {
      g.fillStyle = '#d7dce2';
      for (let x = xOf(knownUs); x < width - 8; x += 6) g.fillRect(x, 15, 3, 1);
    }
    for (const m of this.list) {
      const style = MARKS[m.class] ?? MARKS.note;
      g.globalAlpha = m.at_us <= nowUs ? 1 : 0.35;
      g.fillStyle = style.colour;
      shape(g, style.shape, xOf(m.at_us));
    }
    g.globalAlpha = 1;
    if (this.fork !== null) {
      const x = xOf(this.fork);
      g.fillStyle = '#1b1f24';
      g.fillRect(x - 1, 0, 2, height);
      g.font = '10px system-ui, sans-serif';
      g.fillText('fork', Math.min(x + 3, width - 24), 9);
    }
  }

  near(e) {
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const width = rect.width;
    let best = null;
    let bestD = 6;
    for (const m of this.list) {
      const d = Math.abs(8 + ((width - 16) * m.at_us) / this.endUs - x);
      if (d < bestD || (d === bestD && m.class === 'violation')) {
        best = m;
        bestD = d;
      }
    }
    return best;
  }

  hover(e) {
    const m = this.near(e);
    show(this.tooltip, Boolean(m));
    if (!m) return;
    setText(this.tooltip, `${formatUs(m.at_us)} ${MARKS[m.class]?.label ?? m.class}: ${m.text.replace(/^(FAULT|NOTE) /, '')} (click to go there)`);
    const rect = this.canvas.getBoundingClientRect();
    this.tooltip.style.left = `${Math.max(0, Math.min(e.clientX - rect.left - 40, rect.width - 260))}px`;
  }
}

function shape(g, kind, x) {
  switch (kind) {
    case 'tall': g.fillRect(x - 1, 0, 3, 14); break;
    case 'diamond': g.beginPath(); g.moveTo(x, 1); g.lineTo(x + 4, 6); g.lineTo(x, 11); g.lineTo(x - 4, 6); g.fill(); break;
    case 'circle': g.beginPath(); g.arc(x, 9, 3.5, 0, 2 * Math.PI); g.fill(); break;
    case 'triangle': g.beginPath(); g.moveTo(x, 0); g.lineTo(x + 5, 12); g.lineTo(x - 5, 12); g.fill(); break;
    case 'dot': g.fillRect(x - 1, 11, 2, 2); break;
    default: g.fillRect(x - 1, 5, 2, 8);
  }
}

/** The legend under the timeline. */
export function markerLegend() {
  return Object.entries(MARKS).filter(([k]) => k !== 'note' && k !== 'fencing').map(([k, m]) => el('span',
    { class: `mark-key ${k}` }, el('span', { class: `mark-swatch ${m.shape}`, style: `--c:${m.colour}` }), m.label));
}

// ---------- the event log ----------

const MAX_LOG_LINES = 600;

export class Log {
  constructor(list) {
    this.list = list;
    this.cursor = 0;
    this.hidden = 0;
    // Whether the reader is at the bottom (new lines then keep the newest in sight). Tracked on scroll, because
    // measuring it every frame after the panels' writes forced a layout of the page.
    this.stick = true;
    list.addEventListener('scroll', () => {
      this.stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    }, { passive: true });
  }

  reset() {
    this.list.replaceChildren();
    this.cursor = 0;
    this.hidden = 0;
  }

  /** Appends the new readable events; after a step back, drops the ones the replay has not reached. */
  update(x) {
    const len = x.trace_len();
    if (len < this.cursor) {
      if (this.hidden > 0) {
        this.reset(); // lines dropped earlier may be needed again: redraw from the start
      } else {
        while (this.list.lastElementChild && Number(this.list.lastElementChild.dataset.index) >= len) {
          this.list.lastElementChild.remove();
        }
        this.cursor = len;
      }
    }
    if (len > this.cursor) {
      const events = JSON.parse(x.events_json(this.cursor));
      this.cursor = len;
      this.list.append(...events.map(line));
      while (this.list.childElementCount > MAX_LOG_LINES) {
        this.list.firstElementChild.remove();
        this.hidden += 1;
      }
      if (this.stick) scrollToEndSoon(this.list);
    }
    return this.list.childElementCount + this.hidden;
  }
}

function line(e) {
  // The type label already says Fault or Note; the trace text's own prefix would repeat it.
  const words = e.text.replace(/^(FAULT|NOTE) /, '');
  const href = bookLink(e);
  const injected = e.type === 'Note' && words === 'injected in the explorer';
  return el('li', {
    class: `event ${e.mark ?? ''} t-${e.type}${injected ? ' injected' : ''}`, 'data-index': e.index,
    'data-type': e.type, 'data-step': e.step,
  },
  el('time', {}, e.at),
  el('span', { class: 'type' }, e.type,
    href && el('a', { class: 'book', href, target: '_blank', rel: 'noopener', title: `Read about ${e.type} in the book` },
      'book ↗')),
  el('span', { class: 'text' }, words));
}

// ---------- the checkers ----------

export function renderCheckers(x, go) {
  const list = JSON.parse(x.checkers_json());
  const failed = list.filter((c) => c.violation).sort((a, b) => a.violation.step - b.violation.step);
  const first = failed[0]?.name;
  const items = list.map((c) => {
    const v = c.violation;
    const li = el('li', {
      class: `checker${v ? ' violated' : ''}${c.name === first ? ' first' : ''}`, 'data-checker': c.name,
    },
    el('span', { class: 'verdict', 'aria-hidden': 'true' }, v ? '✗' : '✓'),
    el('span', { class: 'checker-name' }, c.name),
    v ? el('span', { class: 'checker-text' }, `${c.name === first ? 'FIRST VIOLATION' : 'violated'} at `,
      el('button', { type: 'button', class: 'link', onclick: () => go(v.step) }, formatUs(v.at_us)),
      `: ${v.message}`)
      : el('span', { class: 'checker-text' }, 'holds so far'));
    return li;
  });
  const key = JSON.stringify(list);
  const root = $('checkers');
  if (root.__key !== key) {
    root.replaceChildren(...items);
    root.__key = key;
  }
  setText($('checkers-summary'), failed.length
    ? `${failed.length} of ${list.length} violated` : `all ${list.length} hold so far`);
  $('checkers-panel').classList.toggle('violated', failed.length > 0);
}
