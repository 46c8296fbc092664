// The static parts of the `dump --html` page: its style sheet, its body skeleton and its script.
// No data is spliced into any of them (the data arrives in script elements of their own, see
// html-report.ts); the one piece inserted is the source of globToRegExp, so that the page's
// path filter is the very function `dump --path` uses.
//
// The script is plain browser JavaScript kept in a raw string: it must contain no backtick, no
// dollar-brace and no "</script" (writeHtmlReport checks the last).

export const REPORT_CSS = String.raw`
:root { --fg: #1f2328; --dim: #656d76; --line: #d0d7de; --bg2: #f6f8fa; --sel: #dbe4ff; --hl: #1c3faa; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; color: var(--fg); background: #fff; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
code, pre, .mono, #list, #hex, #fields td.fv, #fields td.fb { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
#app { display: flex; flex-direction: column; height: 100vh; }
header#top { display: flex; align-items: baseline; gap: 1em; padding: 6px 12px; border-bottom: 1px solid var(--line); background: var(--bg2); }
header#top h1 { font-size: 16px; margin: 0; white-space: nowrap; }
#label { font-weight: normal; font-family: ui-monospace, monospace; }
#headline { color: var(--dim); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#banner { padding: 6px 12px; background: #ffebe9; color: #82071e; border-bottom: 1px solid #ff8182; }
#panels { display: flex; flex-wrap: wrap; gap: 0 16px; padding: 4px 12px; border-bottom: 1px solid var(--line); }
#panels details[open] { flex-basis: 100%; }
#panels details { min-width: 0; }
#panels summary { cursor: pointer; color: var(--dim); }
#summary-pre { max-height: 40vh; overflow: auto; margin: 4px 0; padding: 6px; background: var(--bg2); border: 1px solid var(--line); }
#findings-list { max-height: 40vh; overflow: auto; margin: 4px 0; }
.finding { padding: 1px 4px; cursor: default; }
.finding.link { cursor: pointer; }
.finding.link:hover { background: var(--sel); }
.sev { display: inline-block; min-width: 5.5em; font-weight: 600; }
.sev-error { color: #cf222e; } .sev-warning { color: #9a6700; } .sev-info { color: #0969da; }
main#panes { flex: 1; min-height: 0; display: grid; grid-template-columns: minmax(320px, 42%) 1fr; }
#left { display: flex; flex-direction: column; min-height: 0; border-right: 1px solid var(--line); }
#right { display: flex; flex-direction: column; min-height: 0; min-width: 0; }
#filters { padding: 6px 10px; border-bottom: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center; }
#filters fieldset { border: 0; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 2px 10px; width: 100%; }
#filters legend { float: left; margin-right: 6px; color: var(--dim); }
#filters label { white-space: nowrap; }
#filters input[type=text] { font: inherit; font-family: ui-monospace, monospace; padding: 1px 4px; }
#filters input.bad { background: #ffebe9; border-color: #cf222e; }
#f-path { width: 16em; }
#f-count { color: var(--dim); margin-left: auto; }
button { font: inherit; font-size: 12px; padding: 0 6px; }
.vscroll { position: relative; overflow: auto; flex: 1; min-height: 0; outline: none; }
.vscroll .rows { position: absolute; left: 0; right: 0; top: 0; will-change: transform; }
#list .row { height: 20px; line-height: 20px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; padding: 0 8px 0 4px; cursor: pointer; }
#list .row:hover { background: var(--bg2); }
#list .row.sel { background: var(--sel); }
#list .row > span { margin-right: 8px; }
.mk { display: inline-block; width: 1em; text-align: center; }
.mk.anom { color: #9a6700; }
.ix { display: inline-block; min-width: 4.5em; color: var(--dim); }
.of { color: var(--dim); }
.ty { display: inline-block; min-width: 8.5em; font-weight: 600; }
.ty.t5 { color: #1a7f37; } .ty.t2 { color: #8250df; } .ty.t3, .ty.t8 { color: #bc4c00; } .ty.t7, .ty.t6 { color: #0550ae; }
#rec-head { padding: 6px 12px; border-bottom: 1px solid var(--line); display: flex; gap: 10px; align-items: baseline; }
#rec-title { font-weight: 600; font-family: ui-monospace, monospace; }
#rec-notes:empty { display: none; }
#rec-notes { padding: 4px 12px; border-bottom: 1px solid var(--line); max-height: 22vh; overflow: auto; }
#rec-notes .anomaly { color: #9a6700; }
#fields-wrap { max-height: 45%; overflow: auto; border-bottom: 1px solid var(--line); }
table#fields { border-collapse: collapse; width: 100%; }
#fields th { text-align: left; font-weight: normal; color: var(--dim); position: sticky; top: 0; background: #fff; border-bottom: 1px solid var(--line); padding: 2px 6px; }
#fields td { padding: 1px 6px; vertical-align: top; }
#fields td.fl { white-space: nowrap; }
#fields td.fv { word-break: break-all; }
#fields td.fm { color: var(--dim); }
#fields td.fm.warn { color: #9a6700; }
#fields td.fb { color: var(--dim); white-space: nowrap; }
#fields tr.fr { cursor: pointer; }
#fields tr.fr:hover, #fields tr.hl { background: var(--sel); }
#fields tr.hl td.fl { font-weight: 600; }
#fields tr.note td { color: #9a6700; }
#fields tr.msg td { padding-left: 2.5em; color: var(--dim); font-family: ui-monospace, monospace; font-size: 12px; }
#fields tr.msg .mk { width: auto; color: #1a7f37; font-weight: 600; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px; border: 1px solid rgba(0,0,0,.15); vertical-align: middle; }
#status { padding: 3px 12px; min-height: 1.6em; color: var(--dim); border-bottom: 1px solid var(--line); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#hex .hr { height: 20px; line-height: 20px; white-space: pre; padding-left: 12px; }
#hex .ho { color: var(--dim); margin-right: 12px; }
#hex .hx { margin-right: 14px; }
#hex .b, #hex .c { display: inline-block; text-align: center; cursor: default; }
#hex .b { width: 2.6ch; margin-right: 1px; }
#hex .b.g { margin-left: 0.8ch; }
#hex .c { width: 1.1ch; }
#hex .e { background: none !important; color: transparent; }
#hex .hl { background: var(--hl) !important; color: #fff; }
.c0 { background: #ffd8a8; } .c1 { background: #a5d8ff; } .c2 { background: #b2f2bb; } .c3 { background: #fcc2d7; }
.c4 { background: #ffec99; } .c5 { background: #d0bfff; } .c6 { background: #99e9f2; } .c7 { background: #ffc9c9; }
.c8 { background: #c0eb75; } .c9 { background: #bac8ff; } .c10 { background: #eebefa; } .c11 { background: #96f2d7; }
`;

export const REPORT_BODY = String.raw`<div id="banner" hidden></div>
<div id="panels">
<details id="summary"><summary>Summary (as <code>xsmig info</code> shows it)</summary><pre id="summary-pre"></pre></details>
<details id="findings"><summary id="findings-title">Findings</summary><div id="findings-list"></div></details>
</div>
<main id="panes">
<section id="left">
<form id="filters" autocomplete="off">
<fieldset id="f-types"><legend>type</legend></fieldset>
<label>conn-id <input type="text" id="f-conn" size="5" spellcheck="false"></label>
<label>domain <input type="text" id="f-domid" size="5" spellcheck="false"></label>
<label>path <input type="text" id="f-path" placeholder="/local/domain/1/**" spellcheck="false" title="* within a path element, ** across elements, ? one character"></label>
<label><input type="checkbox" id="f-marked"> marked only</label>
<button type="button" id="f-clear">clear</button>
<span id="f-count"></span>
</form>
<div id="list" class="vscroll" tabindex="0"><div class="spacer"></div><div class="rows"></div></div>
</section>
<section id="right">
<div id="rec-head"><span id="rec-title">no record selected</span><button type="button" id="prev" title="previous shown record (k, up arrow)">prev</button><button type="button" id="next" title="next shown record (j, down arrow)">next</button></div>
<div id="rec-notes"></div>
<div id="fields-wrap"><table id="fields"><thead><tr><th></th><th>field</th><th>value</th><th>meaning</th><th>bytes</th></tr></thead><tbody></tbody></table></div>
<div id="status">hover or click a field or a byte</div>
<div id="hex" class="vscroll" tabindex="0"><div class="spacer"></div><div class="rows"></div></div>
</section>
</main>`;

/** The page script, with the source of the path-glob function used by `dump --path`. */
export function reportScript(globToRegExpSource: string): string {
  return CLIENT.replace('/*GLOB_TO_REGEXP*/', () => `const globToRegExp = ${globToRegExpSource};`);
}

const CLIENT = String.raw`
(function () {
'use strict';
const $ = (id) => document.getElementById(id);
const CFG = JSON.parse($('xsmig-config').textContent);
/*GLOB_TO_REGEXP*/
// Positions in the page's list: every record, or (a stream above the page's budget) the
// records it holds, whose record indexes are then realIx[i] (ascending).
const N = CFG.kept === null ? CFG.records : CFG.kept;
const realIx = CFG.kept === null ? null : new Float64Array(N);
function rx(i) { return realIx ? realIx[i] : i; }
/** The position of record index r, or -1 when the page does not hold it. */
function posOfReal(r) {
  if (!realIx) return r >= 0 && r < N ? r : -1;
  let lo = 0, hi = N - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (realIx[mid] === r) return mid;
    if (realIx[mid] < r) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}
const COLORS = 12;
const ROW = 20;
const SEV = { error: 3, warning: 2, info: 1 };
const OFFW = Math.max(6, CFG.bytes.toString(16).length);

// The record index, filled from the index chunks (columns, one entry per record).
const typeCode = new Uint32Array(N), off = new Float64Array(N), wlen = new Float64Array(N), declLen = new Float64Array(N);
const conn = new Float64Array(N), dom = new Float64Array(N), anomalous = new Uint8Array(N), chunkOf = new Uint32Array(N);
const paths = new Array(N), descs = new Array(N);
const chunkParts = [], chunkFirst = [], chunkOffset = [];
const findingsBy = new Map();

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}
function hex(n, w) { let s = n.toString(16); while (s.length < w) s = '0' + s; return s; }
function typeName(code) { return CFG.typeNames[code] || ('type 0x' + code.toString(16)); }
function typeKey(code) { return CFG.typeNames[code] || 'UNKNOWN'; }
function worst(list) { let w = 'info'; for (const f of list) if ((SEV[f.severity] || 0) > SEV[w]) w = f.severity; return w; }

// Chunk data: base64 of gzip, unpacked by the browser itself (no network, no library).
async function unpack(node) {
  const bin = atob(node.textContent.trim());
  const u8 = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
  const stream = new Blob([u8]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
async function unpackJson(node) { return JSON.parse(new TextDecoder().decode(await unpack(node))); }

async function loadIndex() {
  for (const node of document.querySelectorAll('script[type="application/x-xsmig"][data-chunk]')) {
    const k = Number(node.dataset.chunk);
    (chunkParts[k] = chunkParts[k] || {})[node.dataset.part] = node;
  }
  // Unpacked a batch at a time (the browser inflates them in parallel), filled in order.
  const BATCH = 32;
  for (let b = 0; b < chunkParts.length; b += BATCH) {
    const batch = await Promise.all(chunkParts.slice(b, b + BATCH).map((p) => unpackJson(p.index)));
    batch.forEach((c, n) => {
      const k = b + n;
      chunkFirst[k] = c.first;
      chunkOffset[k] = c.offset;
      let o = c.offset;
      for (let j = 0; j < c.t.length; j++) {
        const i = c.first + j;
        typeCode[i] = c.t[j]; off[i] = o; wlen[i] = c.w[j]; declLen[i] = c.l[j]; o += c.w[j];
        conn[i] = c.c[j] === null ? -1 : c.c[j];
        dom[i] = c.d[j] === null ? -1 : c.d[j];
        paths[i] = c.p[j]; descs[i] = c.s[j]; anomalous[i] = c.a[j]; chunkOf[i] = k;
        if (realIx) realIx[i] = c.x[j];
      }
    });
    $('headline').textContent = 'loading the record index: ' + Math.min(chunkParts.length, b + BATCH) + ' of ' + chunkParts.length + ' chunks';
  }
}

// Details and bytes of a chunk, unpacked on demand; the last few are kept.
const chunkCache = new Map();
function loadChunk(k) {
  let p = chunkCache.get(k);
  if (!p) {
    p = Promise.all([unpackJson(chunkParts[k].detail), unpack(chunkParts[k].bytes)]).then(([detail, bytes]) => ({ detail, bytes, first: chunkFirst[k], offset: chunkOffset[k] }));
    chunkCache.set(k, p);
    if (chunkCache.size > 6) chunkCache.delete(chunkCache.keys().next().value);
  }
  return p;
}

// A virtualised list: DOM rows only for what is visible. Past a few million pixels the
// scroll range is scaled, so that any number of rows fits the browser's size limits.
function VList(box, renderRow) {
  const spacer = box.querySelector('.spacer'), rows = box.querySelector('.rows');
  const MAXH = 4000000;
  let count = 0, raf = 0;
  const api = {
    get count() { return count; },
    setCount(n) { count = n; spacer.style.height = Math.min(n * ROW, MAXH) + 'px'; api.render(); },
    first() {
      const h = box.clientHeight, st = box.scrollTop;
      if (count * ROW <= MAXH) return Math.floor(st / ROW);
      const fit = Math.max(1, Math.floor(h / ROW));
      return Math.floor(Math.min(1, st / Math.max(1, MAXH - h)) * Math.max(0, count - fit));
    },
    render() {
      const h = box.clientHeight || 600;
      const first = api.first();
      const top = count * ROW <= MAXH ? first * ROW : box.scrollTop;
      rows.style.transform = 'translateY(' + top + 'px)';
      const frag = document.createDocumentFragment();
      const last = Math.min(count, first + Math.ceil(h / ROW) + 1);
      for (let k = first; k < last; k++) frag.appendChild(renderRow(k));
      rows.replaceChildren(frag);
    },
    scrollTo(k, center) {
      const h = box.clientHeight;
      if (count * ROW <= MAXH) {
        const y = k * ROW;
        if (center) box.scrollTop = Math.max(0, y - h / 3);
        else if (y < box.scrollTop) box.scrollTop = y;
        else if (y + ROW > box.scrollTop + h) box.scrollTop = y + ROW - h;
      } else {
        const fit = Math.max(1, Math.floor(h / ROW));
        const back = center ? Math.floor(fit / 3) : 0;
        box.scrollTop = (Math.max(0, k - back) / Math.max(1, count - fit)) * (MAXH - h);
      }
      api.render();
    },
  };
  box.addEventListener('scroll', () => { if (!raf) raf = requestAnimationFrame(() => { raf = 0; api.render(); }); });
  window.addEventListener('resize', () => api.render());
  return api;
}

// ---- filters and the record list ----
let shown = new Int32Array(0);
let cur = -1;
const typeBoxes = [];

function parseNum(input) {
  const v = input.value.trim();
  input.classList.remove('bad');
  if (v === '') return null;
  if (/^(0x[0-9a-f]+|\d+)$/i.test(v)) return Number(v);
  input.classList.add('bad');
  return null;
}

function applyFilters() {
  const types = new Set(typeBoxes.filter((b) => b.checked).map((b) => b.value));
  const c = parseNum($('f-conn')), d = parseNum($('f-domid'));
  const pathIn = $('f-path');
  const glob = pathIn.value;
  const re = glob === '' ? null : globToRegExp(glob);
  const onlyMarked = $('f-marked').checked;
  const out = new Int32Array(N);
  let n = 0;
  for (let i = 0; i < N; i++) {
    if (!types.has(typeKey(typeCode[i]))) continue;
    if (c !== null && conn[i] !== c) continue;
    if (d !== null && dom[i] !== d) continue;
    if (re && (paths[i] === null || !re.test(paths[i]))) continue;
    if (onlyMarked && !anomalous[i] && !findingsBy.has(i)) continue;
    out[n++] = i;
  }
  shown = out.subarray(0, n);
  $('f-count').textContent = (n === N ? N + ' records' : n + ' of ' + N + ' records') + (realIx ? ' held (' + CFG.records + ' in the stream)' : '');
  list.setCount(n);
  const pos = posOf(cur);
  if (pos >= 0) list.scrollTo(pos, false);
}

/** Position of record i in the shown list, or -1. */
function posOf(i) {
  let lo = 0, hi = shown.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (shown[mid] === i) return mid;
    if (shown[mid] < i) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

function listRow(k) {
  const i = shown[k];
  const row = el('div', 'row' + (i === cur ? ' sel' : ''));
  row.dataset.i = i;
  const f = findingsBy.get(i);
  const mark = el('span', 'mk' + (f ? ' sev-' + worst(f) : anomalous[i] ? ' anom' : ''), f ? '\u25cf' : anomalous[i] ? '\u25b2' : '');
  if (f) mark.title = f.map((x) => x.severity + ' ' + x.rule + ': ' + x.message).join('\n');
  else if (anomalous[i]) mark.title = 'the decoder kept an anomaly (non-canonical framing, padding or string)';
  const name = typeName(typeCode[i]);
  row.append(mark, el('span', 'ix', '#' + rx(i)), el('span', 'of', hex(off[i], OFFW)), el('span', 'ty t' + typeCode[i], name.replace(/_DATA(_|$)/, '$1')), el('span', 'ds', descs[i]));
  row.title = name + ' @' + off[i];
  return row;
}

// ---- the selected record: fields and hex ----
let det = null;
let hover = -1, pinned = -1;
const active = () => (hover >= 0 ? hover : pinned);

function spanAt(rel) {
  const s = det.spans;
  let lo = 0, hi = s.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rel < s[mid][0]) hi = mid - 1;
    else if (rel >= s[mid][0] + s[mid][1]) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/**
 * A record's details as html-report.ts compacts them (see recordDetail there), expanded to
 * spans [start, length, name id, value] and fields [label, value, meaning, flags, spans, messages].
 */
function expand(d) {
  let at = 0;
  const spans = d.s.map((x, k) => {
    const start = d.o ? d.o[k] : at;
    at = start + x[0];
    return [start, x[0], x[1], x.length > 2 ? x[2] : null];
  });
  const fields = d.f.map((x) => {
    const list = typeof x[4] === 'number' ? [x[4]] : x[4];
    const label = typeof x[0] === 'number' ? CFG.spanNames[x[0]][0] : x[0];
    const value = x[1] === 0 ? String(spans[list[0]][3]) : x[1];
    const meaning = typeof x[2] === 'number' ? (x[2] ? CFG.meanings[x[2]] : null) : x[2];
    return [label, value, meaning, x[3], list, x[5] || null];
  });
  return { s: spans, f: fields, a: d.a, n: d.n };
}

async function select(i, scrollList) {
  if (!(i >= 0 && i < N)) return;
  cur = i;
  const pos = posOf(i);
  if (scrollList && pos >= 0) list.scrollTo(pos, true); else list.render();
  try { history.replaceState(null, '', '#r' + rx(i)); } catch (e) { /* some file: pages refuse it: only the address is lost */ }
  const ch = await loadChunk(chunkOf[i]);
  if (cur !== i) return;
  const d = expand(ch.detail[i - ch.first]);
  const start = off[i] - ch.offset;
  det = { i, base: off[i], bytes: ch.bytes.subarray(start, start + wlen[i]), spans: d.s, fields: d.f, anomalies: d.a || [], nonCanonicalLen: d.n };
  det.spanField = new Int32Array(d.s.length).fill(-1);
  d.f.forEach((f, fi) => f[4].forEach((si) => { det.spanField[si] = fi; }));
  det.row0 = Math.floor(det.base / 16) * 16;
  hover = -1; pinned = -1;
  renderHead();
  renderFields();
  hexView.setCount(Math.ceil((det.base + det.bytes.length - det.row0) / 16));
  $('hex').scrollTop = 0;
  hexView.render();
  status(null);
  document.body.dataset.selected = String(i);
}

function renderHead() {
  const i = det.i;
  $('rec-title').textContent = '#' + rx(i) + ' @' + off[i] + ' (0x' + off[i].toString(16) + ') ' + typeName(typeCode[i]) + ' len ' + declLen[i] + (det.nonCanonicalLen ? '  (non-canonical len)' : '');
  const notes = $('rec-notes');
  notes.replaceChildren();
  for (const f of findingsBy.get(i) || []) {
    const line = el('div', 'finding');
    line.append(el('span', 'sev sev-' + f.severity, f.severity), el('span', null, f.rule + ': ' + f.message));
    notes.appendChild(line);
  }
  for (const a of det.anomalies) notes.appendChild(el('div', 'anomaly', '\u25b2 ' + a));
}

const spanName = (sp) => CFG.spanNames[sp[2]][0];
const spanDoc = (sp) => CFG.spanNames[sp[2]][1];

function fieldBytes(f) {
  if (!f[4].length) return '';
  let n = 0;
  for (const si of f[4]) n += det.spans[si][1];
  const s0 = det.spans[f[4][0]];
  return '0x' + (det.base + s0[0]).toString(16) + ' +' + n;
}

function renderFields() {
  const body = document.querySelector('#fields tbody');
  const frag = document.createDocumentFragment();
  det.fields.forEach((f, fi) => {
    const tr = el('tr', 'fr' + (f[3] & 2 ? ' note' : ''));
    tr.dataset.f = fi;
    const sw = el('td', 'sw');
    if (f[4].length) sw.appendChild(el('span', 'swatch c' + (fi % COLORS)));
    const label = el('td', 'fl', f[0]);
    label.title = f[4].map((si) => spanName(det.spans[si]) + ': ' + spanDoc(det.spans[si])).join('\n');
    tr.append(sw, label, el('td', 'fv', f[1]), el('td', 'fm' + (f[3] & 1 ? ' warn' : ''), f[2]), el('td', 'fb', fieldBytes(f)));
    frag.appendChild(tr);
    for (const m of f[5] || []) {
      const sub = el('tr', 'msg');
      sub.dataset.f = fi;
      const td = el('td');
      td.colSpan = 4;
      td.append(el('span', 'mk', m[0]), document.createTextNode(m[1]));
      sub.append(el('td'), td);
      frag.appendChild(sub);
    }
  });
  body.replaceChildren(frag);
}

function hexRow(k) {
  const a0 = det.row0 + k * 16;
  const row = el('div', 'hr');
  row.appendChild(el('span', 'ho', hex(a0, 8)));
  const hx = el('span', 'hx'), tx = el('span', 'tx');
  const act = active();
  for (let j = 0; j < 16; j++) {
    const a = a0 + j, rel = a - det.base;
    const g = j === 8 ? ' g' : '';
    if (rel < 0 || rel >= det.bytes.length) {
      hx.appendChild(el('span', 'b e' + g, '  '));
      tx.appendChild(el('span', 'c e', ' '));
      continue;
    }
    const si = spanAt(rel), fi = si < 0 ? -1 : det.spanField[si];
    const cls = (fi < 0 ? '' : ' c' + (fi % COLORS)) + (fi >= 0 && fi === act ? ' hl' : '');
    const v = det.bytes[rel];
    const b = el('span', 'b' + g + cls, hex(v, 2));
    const c = el('span', 'c' + cls, v >= 0x20 && v < 0x7f ? String.fromCharCode(v) : '.');
    b.dataset.o = a; c.dataset.o = a;
    hx.appendChild(b); tx.appendChild(c);
  }
  row.append(hx, tx);
  return row;
}

function status(si) {
  const s = $('status');
  if (si === null || si < 0 || !det) { s.textContent = det ? 'hover or click a field or a byte' : ''; return; }
  const sp = det.spans[si];
  const a = det.base + sp[0];
  s.textContent = spanName(sp) + '  @0x' + a.toString(16) + '..0x' + (a + sp[1]).toString(16) + ' (' + sp[1] + ' byte' + (sp[1] === 1 ? '' : 's') + ')' + (sp[3] === null ? '' : ' = ' + sp[3]) + '  ' + spanDoc(sp);
}

function refreshHighlight() {
  const act = active();
  for (const tr of document.querySelectorAll('#fields tbody tr')) tr.classList.toggle('hl', Number(tr.dataset.f) === act);
  hexView.render();
}
function setHover(fi) { if (fi !== hover) { hover = fi; refreshHighlight(); } }
function pin(fi, scrollHex) {
  pinned = pinned === fi && !scrollHex ? -1 : fi;
  hover = -1;
  refreshHighlight();
  if (scrollHex && fi >= 0 && det.fields[fi][4].length) {
    const s0 = det.spans[det.fields[fi][4][0]];
    hexView.scrollTo(Math.floor((det.base + s0[0] - det.row0) / 16), false);
    status(det.fields[fi][4][0]);
  }
}

// ---- wiring ----
const list = VList($('list'), listRow);
const hexView = VList($('hex'), (k) => (det ? hexRow(k) : el('div')));

function step(delta) {
  if (!shown.length) return;
  let pos = posOf(cur);
  if (pos < 0) {
    // the current record is filtered out: go to the nearest shown one
    pos = 0;
    while (pos < shown.length && shown[pos] < cur) pos++;
    if (delta < 0) pos--;
  } else pos += delta;
  pos = Math.max(0, Math.min(shown.length - 1, pos));
  select(shown[pos], true);
}

function wire() {
  $('filters').addEventListener('submit', (e) => e.preventDefault());
  $('list').addEventListener('click', (e) => {
    const row = e.target.closest('.row');
    if (row) select(Number(row.dataset.i), false);
  });
  const fields = document.querySelector('#fields tbody');
  fields.addEventListener('mouseover', (e) => {
    const tr = e.target.closest('tr');
    if (tr) setHover(Number(tr.dataset.f));
  });
  fields.addEventListener('mouseleave', () => setHover(-1));
  fields.addEventListener('click', (e) => {
    const tr = e.target.closest('tr');
    if (tr) pin(Number(tr.dataset.f), true);
  });
  const hexBox = $('hex');
  const byteField = (e) => {
    const t = e.target.closest('[data-o]');
    if (!t || !det) return null;
    const si = spanAt(Number(t.dataset.o) - det.base);
    return { si, fi: si < 0 ? -1 : det.spanField[si] };
  };
  hexBox.addEventListener('mouseover', (e) => {
    const b = byteField(e);
    if (!b) return;
    status(b.si);
    setHover(b.fi);
  });
  hexBox.addEventListener('mouseleave', () => { setHover(-1); status(null); });
  hexBox.addEventListener('click', (e) => {
    const b = byteField(e);
    if (!b || b.fi < 0) return;
    pinned = b.fi;
    refreshHighlight();
    const tr = document.querySelector('#fields tbody tr[data-f="' + b.fi + '"]');
    if (tr) tr.scrollIntoView({ block: 'nearest' });
  });
  // Typing filters a million records per key stroke: wait for a pause first.
  let timer = 0;
  const later = () => { clearTimeout(timer); timer = setTimeout(applyFilters, N > 50000 ? 200 : 0); };
  for (const id of ['f-conn', 'f-domid', 'f-path']) $(id).addEventListener('input', later);
  $('f-marked').addEventListener('change', applyFilters);
  $('f-clear').addEventListener('click', () => {
    for (const b of typeBoxes) b.checked = true;
    for (const id of ['f-conn', 'f-domid', 'f-path']) $(id).value = '';
    $('f-marked').checked = false;
    applyFilters();
  });
  $('prev').addEventListener('click', () => step(-1));
  $('next').addEventListener('click', () => step(1));
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'ArrowDown' || e.key === 'j') { step(1); e.preventDefault(); }
    else if (e.key === 'ArrowUp' || e.key === 'k') { step(-1); e.preventDefault(); }
  });
}

function setupTypes() {
  const counts = new Map();
  for (let i = 0; i < N; i++) { const k = typeKey(typeCode[i]); counts.set(k, (counts.get(k) || 0) + 1); }
  const order = Object.keys(CFG.typeNames).map(Number).sort((a, b) => a - b).map((c) => CFG.typeNames[c]).concat(['UNKNOWN']);
  const want = CFG.filter.types ? new Set(CFG.filter.types) : null;
  const box = $('f-types');
  for (const k of order) {
    if (!counts.has(k)) continue;
    const cb = el('input');
    cb.type = 'checkbox';
    cb.value = k;
    cb.checked = !want || want.has(k);
    cb.addEventListener('change', applyFilters);
    typeBoxes.push(cb);
    const label = el('label');
    label.append(cb, document.createTextNode(' ' + k.replace(/_DATA(_|$)/, '$1') + ' ' + counts.get(k)));
    box.appendChild(label);
  }
  if (CFG.filter.conn !== undefined && CFG.filter.conn !== null) $('f-conn').value = String(CFG.filter.conn);
  if (CFG.filter.domid !== undefined && CFG.filter.domid !== null) $('f-domid').value = String(CFG.filter.domid);
  if (CFG.filter.path !== undefined && CFG.filter.path !== null) $('f-path').value = CFG.filter.path;
}

async function setupFindings() {
  const title = $('findings-title'), out = $('findings-list');
  if (CFG.findings === null) {
    title.textContent = 'Findings: not available';
    out.textContent = CFG.findingsNote || 'the checker did not run';
    return;
  }
  // Every finding as record, rule and severity; the first ones also with their message.
  const m = await unpackJson(document.querySelector('script[type="application/x-xsmig"][data-part="findings"]'));
  const NAMES = ['', 'info', 'warning', 'error'];
  const counts = { error: 0, warning: 0, info: 0 };
  for (let k = 0; k < m.r.length; k++) {
    const severity = NAMES[m.s[k]];
    counts[severity]++;
    const at = m.r[k] < 0 ? -1 : posOfReal(m.r[k]);
    if (at < 0) continue;
    const rule = m.rules[m.k[k]];
    const full = CFG.findings[k];
    const f = full || { rule: rule[0], severity, message: rule[1] + ' (message not in this page: xsmig check lists every one)', recordIndex: m.r[k] };
    if (!findingsBy.has(at)) findingsBy.set(at, []);
    findingsBy.get(at).push(f);
  }
  title.textContent = 'Findings: ' + counts.error + ' errors, ' + counts.warning + ' warnings, ' + counts.info + ' notes' + (CFG.findingsNote ? ' (' + CFG.findingsNote + ')' : '');
  if (!CFG.findingsTotal) out.textContent = 'check found nothing to report';
  const LIMIT = 2000;
  for (const f of CFG.findings.slice(0, LIMIT)) {
    const line = el('div', 'finding' + (f.recordIndex !== null ? ' link' : ''));
    line.append(el('span', 'sev sev-' + f.severity, f.severity), el('span', null, (f.recordIndex !== null ? '#' + f.recordIndex + ' ' : '') + f.rule + ': ' + f.message));
    if (f.recordIndex !== null && posOfReal(f.recordIndex) >= 0) line.addEventListener('click', () => select(posOfReal(f.recordIndex), true));
    out.appendChild(line);
  }
  if (CFG.findingsTotal > LIMIT) out.appendChild(el('div', 'finding', (CFG.findingsTotal - LIMIT) + ' more: the list marks them on their records, and xsmig check lists every one'));
}

async function main() {
  $('summary-pre').textContent = $('summary-text').textContent;
  if (CFG.error) {
    const b = $('banner');
    b.hidden = false;
    b.textContent = 'This stream does not decode to the end: ' + CFG.error.message + '. The records before the fault are shown.';
  }
  if (CFG.reducedNote) {
    // (the same note is at the end of the page, for a reader without the script)
    const b = $('banner');
    b.hidden = false;
    b.textContent = (CFG.error ? b.textContent + ' ' : '') + CFG.reducedNote;
  }
  if (typeof DecompressionStream === 'undefined') {
    $('headline').textContent = 'This browser cannot unpack the report (it lacks DecompressionStream); use a current Chromium, Firefox or Safari.';
    return;
  }
  wire();
  await loadIndex();
  await setupFindings();
  setupTypes();
  const h = CFG.header;
  $('headline').textContent = (h ? 'version ' + h.version + ', ' + h.byteOrder + '-endian records' + (h.reservedFlags ? ', reserved flags 0x' + h.reservedFlags.toString(16) : '') + ' \u00b7 ' : '') +
    CFG.records + ' records' + (realIx ? ' (' + N + ' in this page)' : '') + ' \u00b7 ' + CFG.bytes + ' bytes' + (CFG.trailing ? ' (' + CFG.trailing + ' after END)' : '') +
    (CFG.findingsTotal !== null ? ' \u00b7 ' + CFG.findingsTotal + ' findings' : '');
  applyFilters();
  const m = /^#r(\d+)$/.exec(location.hash);
  const want = m && posOfReal(Number(m[1])) >= 0 ? posOfReal(Number(m[1])) : shown.length ? shown[0] : 0;
  document.body.dataset.ready = '1';
  window.addEventListener('hashchange', () => {
    const h = /^#r(\d+)$/.exec(location.hash);
    if (h && posOfReal(Number(h[1])) >= 0 && posOfReal(Number(h[1])) !== cur) select(posOfReal(Number(h[1])), true);
  });
  if (N) await select(want, true);
}

main().catch((e) => { $('headline').textContent = 'The report could not be shown: ' + e; });
})();
`;
