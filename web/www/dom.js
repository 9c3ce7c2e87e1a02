// Small DOM helpers. Every string reaches the page as a text node or an attribute value, never as HTML, so a
// scenario's names and descriptions cannot inject markup.
//
// The page redraws from a fresh view every animation frame. Rebuilding every element each frame is too slow for
// a big cluster (300 partitions, 900 replica rows), so lists are *keyed*: an element is made once per key and
// then only the properties that changed are written (`setText`, `setAttr`, `setStyle` remember the last value).

export const $ = (id) => document.getElementById(id);

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An element with attributes and children; strings become text nodes (never HTML). */
export function el(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, the same way. */
export function svg(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(node, attrs, children) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.setAttribute('class', v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k in node && !(node instanceof SVGElement) && k !== 'style' && k !== 'list') node[k] = v;
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return node;
}

/** Sets the text of `node` if it changed. */
export function setText(node, text) {
  const t = String(text);
  if (node.__text !== t) {
    node.textContent = t;
    node.__text = t;
  }
}

/** Sets (or removes, for null/false) an attribute if it changed. */
export function setAttr(node, name, value) {
  const v = value === null || value === undefined || value === false ? null : String(value);
  const key = `__a_${name}`;
  if (node[key] === v) return;
  node[key] = v;
  if (v === null) node.removeAttribute(name);
  else node.setAttribute(name, v);
}

/** Sets one style property if it changed. */
export function setStyle(node, prop, value) {
  const key = `__s_${prop}`;
  if (node[key] === value) return;
  node[key] = value;
  node.style.setProperty(prop, value);
}

/** Shows or hides a node. */
export function show(node, visible) {
  if (node.hidden === !visible) return;
  node.hidden = !visible;
}

/**
 * Makes the children of `container` one element per item, in order, reusing the element made for the same key
 * last time. `create(item)` makes a new element; `update(node, item)` writes what changed; `removed(node)` hears
 * of an element that left. The container must hold nothing else.
 */
export function keyed(container, items, keyOf, create, update, removed = null) {
  const old = container.__keyed ?? new Map();
  const next = new Map();
  let cursor = container.firstChild;
  for (const item of items) {
    const k = keyOf(item);
    let node = old.get(k);
    if (!node || next.has(k)) node = create(item, k);
    update(node, item);
    next.set(k, node);
    if (node === cursor) cursor = cursor.nextSibling;
    else container.insertBefore(node, cursor);
  }
  for (const [k, node] of old) {
    if (next.get(k) !== node) {
      node.remove();
      removed?.(node);
    }
  }
  container.__keyed = next;
}

/** `1234567` → `1,234,567` (tabular numbers read better with separators). */
export function formatCount(n) {
  return Math.round(n).toLocaleString('en-US');
}

/** Milliseconds as `12.345s`. */
export function formatMs(ms) {
  return `${(Math.floor(ms) / 1000).toFixed(3)}s`;
}

/** Microseconds as `12.345s`. */
export function formatUs(us) {
  return formatMs(us / 1000);
}

const toScroll = new Set();
/**
 * Scrolls `node` to its end at the start of the next animation frame. Done at once, after a frame's writes, it
 * would force a layout of the page in the middle of the frame; at the start of the next one the layout is clean
 * and the scroll costs nothing.
 */
export function scrollToEndSoon(node) {
  if (toScroll.size === 0) {
    requestAnimationFrame(() => {
      for (const n of toScroll) n.scrollTop = n.scrollHeight;
      toScroll.clear();
    });
  }
  toScroll.add(node);
}
