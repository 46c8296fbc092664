// `dump --html`: the generated page as markup. Hostile values must stay data (escaped HTML,
// \u-escaped JSON, base64 chunks); the records, their spans and their bytes must all be there;
// nothing may point outside the file. Expected offsets come from the format facts (NODE_DATA:
// 16-byte fixed part, 4 bytes per permission, then path and value) and the capture's dump.

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { escapeHtml, jsonForScript } from '../src/cli/render/escape.js';
import { writeHtmlReport, type HtmlReportOptions } from '../src/cli/render/html-report.js';
import { recordFields, recordSpans } from '../src/cli/render/record.js';
import { globToRegExp } from '../src/cli/filters.js';
import { decodeStreamDetailed } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { StreamReader } from '../src/model/stream-reader.js';
import { CAPTURES, CLI, runCli } from './helpers/cli.js';
import { HOSTILE_PATH, HOSTILE_VALUE, hostileStream, parseReport, recordOf, scriptTags } from './helpers/html-report.js';

function report(bytes: Uint8Array, o: Partial<HtmlReportOptions> = {}): { html: string; result: ReturnType<typeof writeHtmlReport> } {
  const parts: string[] = [];
  const result = writeHtmlReport(bytes, { label: 'test.bin', maxBytes: 128, ...o }, (s) => parts.push(s));
  return { html: parts.join(''), result };
}

const capture = (name: string) => readFileSync(`${CAPTURES}${name}.bin`);
const CAPTURE_NAMES = ['417-basic', 'head-v2-basic', 'head-v2-depth-a', 'head-v2-quota'];

describe('escaping', () => {
  it('escapeHtml leaves no markup character', () => {
    expect(escapeHtml(`<img src=x onerror="a('b')">&amp;`)).toBe('&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;amp;');
  });

  it('jsonForScript cannot close a script element and stays plain ASCII', () => {
    const v = { s: '</script><script>alert(1)</script><!-- & \u2028\u2029 gr\u00fc\u00dfe \ud83d\ude00', n: 5n };
    const text = jsonForScript(v);
    expect(text).not.toMatch(/[<>&]/);
    expect(text).toMatch(/^[\x20-\x7e]*$/);
    expect(text).toContain('\\u003c/script\\u003e');
    expect(text).toContain('\\u2028\\u2029');
    expect(JSON.parse(text)).toEqual({ s: v.s, n: '5' });
  });
});

describe('dump --html markup with hostile values', () => {
  const bytes = encodeStream(hostileStream());
  const label = '<img src=x onerror=alert(4)>.bin';
  const { html } = report(bytes, { label, chunkRecords: 3 });
  const parsed = parseReport(html);

  it('has only its own script elements: data chunks, the config and the page script', () => {
    const tags = scriptTags(html);
    expect(parsed.config.chunks).toBe(3); // 8 records, 3 per chunk
    expect(tags).toHaveLength(3 * parsed.config.chunks + 3);
    expect((html.match(/<script\b/gi) ?? []).length).toBe(tags.length);
    for (const t of tags) {
      expect(t.open).toMatch(/^<script( type="application\/x-xsmig" data-part="(index|detail|bytes)" data-chunk="\d+"| type="application\/x-xsmig" data-part="findings"| type="application\/json" id="xsmig-config")?>$/);
      if (t.attrs.type === 'application/x-xsmig') expect(t.content).toMatch(/^[A-Za-z0-9+/=]+$/);
    }
  });

  it('lets no value through as markup', () => {
    // Every tag in the page is one of the skeleton's own, and no tag has an event handler.
    const tagNames = new Set([...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[1]!.toLowerCase()));
    const skeleton = ['html', 'head', 'meta', 'title', 'style', 'body', 'div', 'header', 'h1', 'span', 'noscript', 'details', 'summary', 'code', 'pre', 'main',
      'section', 'form', 'fieldset', 'legend', 'label', 'input', 'button', 'table', 'thead', 'tbody', 'tr', 'th', 'script'];
    expect([...tagNames].filter((t) => !skeleton.includes(t))).toEqual([]);
    expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
    expect(html).not.toContain('<!--');
    expect(html).toContain(`<title>xsmig: ${escapeHtml(label)}</title>`);
    expect(html).toContain('xsmig <span id="label">&lt;img src=x onerror=alert(4)&gt;.bin</span>');
    // info's summary names the deepest path: escaped inside its <pre>
    const pre = /<pre id="summary-text" hidden>([\s\S]*?)<\/pre>/.exec(html)![1]!;
    expect(pre).toContain(escapeHtml(HOSTILE_PATH));
    expect(pre).not.toContain('<');
  });

  it('keeps the hostile values as data: config JSON, index, details and bytes give them back', () => {
    const config = scriptTags(html).find((t) => t.attrs.id === 'xsmig-config')!.content;
    expect(config).not.toMatch(/[<>&]/);
    expect(parsed.config.label).toBe(label);
    // check's messages quote the path: in the findings, as data
    expect(parsed.config.findings!.some((f) => f.message.includes(HOSTILE_PATH))).toBe(true);
    const node = recordOf(parsed, 4);
    expect(node.chunk.index.p[node.j]).toBe('/evil');
    const value = node.detail.f.find((f) => f[0] === 'value')!;
    expect(value[1]).toBe(`"${HOSTILE_VALUE.replace(/"/g, '"')}"`);
    const evil = recordOf(parsed, 5);
    expect(evil.chunk.index.p[evil.j]).toBe(HOSTILE_PATH);
    const all = Buffer.concat(parsed.chunks.map((c) => c.bytes));
    expect(all.equals(Buffer.from(bytes).subarray(16, 16 + all.length))).toBe(true);
    expect(all.includes(Buffer.from(HOSTILE_VALUE, 'latin1'))).toBe(true);
  });
});

describe('dump --html content', () => {
  const bytes = capture('head-v2-quota');
  const { html, result } = report(bytes, { chunkRecords: 16 });
  const parsed = parseReport(html);
  const { locations } = decodeStreamDetailed(bytes);

  it('embeds every record in the index: type, offset, len, in stream order', () => {
    expect(result.records).toBe(61);
    expect(parsed.config.records).toBe(61);
    expect(parsed.chunks.length).toBe(4);
    const seen: { index: number; offset: number; type: number; len: number }[] = [];
    for (const c of parsed.chunks) {
      let o = c.index.offset;
      c.index.t.forEach((t, j) => {
        seen.push({ index: c.index.first + j, offset: o, type: t, len: c.index.l[j]! });
        o += c.index.w[j]!;
      });
    }
    expect(seen).toEqual(locations.map((l) => ({ index: l.index, offset: l.offset, type: l.typeCode, len: l.len })));
  });

  it("embeds every byte: each chunk holds its records' bytes", () => {
    for (const c of parsed.chunks) {
      const end = c.index.offset + c.index.w.reduce((a, b) => a + b, 0);
      expect(c.bytes.equals(bytes.subarray(c.index.offset, end))).toBe(true);
    }
    expect(parsed.chunks[0]!.index.offset).toBe(16);
  });

  it('gives the spans and fields of a NODE_DATA at the offsets of the format', () => {
    // #25 @0x4b8: /local/domain/1/name = guest1, perms b1 w2 (the capture's setperms)
    const i = locations.findIndex((l) => l.offset === 0x4b8);
    const { detail, chunk, j } = recordOf(parsed, i);
    expect(chunk.index.p[j]).toBe('/local/domain/1/name');
    expect(chunk.index.t[j]).toBe(5);
    const name = (row: (typeof detail.s)[number]) => parsed.config.spanNames[row[2]]![0];
    const span = (label: string) => detail.s.find((s) => name(s) === label)!;
    // envelope 8, conn-id +0, tx-id +4, path-len +8, value-len +10, access +12, perm-count +14, perms +16
    expect([span('type').slice(0, 2), span('len').slice(0, 2)]).toEqual([[0, 4], [4, 4]]);
    expect(span('path-len').slice(0, 2)).toEqual([16, 2]);
    expect(span('path-len')[3]).toBe(21);
    expect(span('perm-count')[3]).toBe(2);
    expect(span('perms[1].domid').slice(0, 2)).toEqual([8 + 16 + 4 + 2, 2]);
    expect(span('path').slice(0, 2)).toEqual([8 + 16 + 8, 21]);
    expect(span('value').slice(0, 2)).toEqual([8 + 16 + 8 + 21, 6]);
    expect(span('padding').slice(0, 2)).toEqual([8 + 16 + 8 + 27, 5]);
    const field = (label: string) => detail.f.find((f) => f[0] === label)!;
    expect(field('value').slice(0, 3)).toEqual(['value', '"guest1"', '6 bytes']);
    expect(field('perms[0]').slice(0, 3)).toEqual(['perms[0]', 'b1', 'owner; others: both']);
    expect(field('perms[0]')[4].map((si) => name(detail.s[si]!))).toEqual(['perms[0].perm', 'perms[0].flags', 'perms[0].domid']);
    expect(field('path')[4].map((si) => detail.s[si]![0])).toEqual([32]);
    expect(chunk.bytes.subarray(0x4b8 - chunk.index.offset + 32, 0x4b8 - chunk.index.offset + 32 + 21).toString('latin1')).toBe('/local/domain/1/name\0');
  });

  it('carries the info summary and the header', () => {
    const pre = /<pre id="summary-text" hidden>([\s\S]*?)<\/pre>/.exec(html)![1]!;
    const info = runCli(['info', `${CAPTURES}head-v2-quota.bin`]).stdout;
    // the same lines as `xsmig info`, but for the label
    expect(pre.split('\n').slice(1)).toEqual(info.trimEnd().split('\n').slice(1).map(escapeHtml));
    expect(parsed.config.header).toEqual({ version: 2, byteOrder: 'little', reservedFlags: 0 });
  });

  it('marks check findings on their records', () => {
    const depth = capture('head-v2-depth-a');
    const p = parseReport(report(depth).html);
    const check = JSON.parse(runCli(['check', '--json', `${CAPTURES}head-v2-depth-a.bin`]).stdout);
    expect(check.findings.length).toBeGreaterThan(0);
    expect(p.config.findings!.map((f) => [f.rule, f.recordIndex])).toEqual(check.findings.map((f: { rule: string; recordIndex?: number }) => [f.rule, f.recordIndex ?? null]));
    expect(p.config.findings!.some((f) => f.recordIndex !== null)).toBe(true);
    // all of them also as compact marks (record, rule, severity)
    const sev = { error: 3, warning: 2, info: 1 } as Record<string, number>;
    expect(p.marks!.r.map((r, k) => [r, p.marks!.rules[p.marks!.k[k]!]![0], p.marks!.s[k]])).toEqual(
      check.findings.map((f: { rule: string; severity: string; recordIndex?: number }) => [f.recordIndex ?? -1, f.rule, sev[f.severity]]));
    expect(p.config.findingsTotal).toBe(check.findings.length);
    const unchecked = parseReport(report(depth, { check: false }).html);
    expect(unchecked.config.findings).toBeNull();
    expect(unchecked.marks).toBeUndefined();
  });

  it('a stream broken throughout: every finding marked, messages for the first 5000 only', () => {
    // 6000 nodes whose parent never appears: one error each
    const s = hostileStream();
    const nodes = Array.from({ length: 6000 }, (_, i) => ({ type: 'NODE_DATA' as const, connId: 0, txId: 0, access: 0, perms: [{ perm: 'n', flags: 0, domid: 0 }], path: `/orphan/${i}/x`, value: new Uint8Array() }));
    s.records.splice(4, 0, ...nodes);
    const p = parseReport(report(encodeStream(s)).html);
    expect(p.config.findingsTotal).toBeGreaterThan(6000);
    expect(p.config.findings).toHaveLength(5000);
    expect(p.marks!.r).toHaveLength(p.config.findingsTotal!);
    expect(p.marks!.r.filter((r) => r >= 4 && r < 6004).length).toBeGreaterThanOrEqual(6000);
  });

  it('points nowhere outside the file', () => {
    const noScriptData = html.replace(/<script type="application\/x-xsmig"[^>]*>[^<]*<\/script>/g, '');
    for (const bad of [/https?:/i, /ftp:/i, /\/\/[a-z0-9-]+\.[a-z]{2,}/i, /\bsrc\s*=/i, /\bhref\s*=/i, /<link\b/i, /<iframe\b/i, /@import/i, /url\(/i,
      /\bfetch\(/, /XMLHttpRequest/, /WebSocket/, /EventSource/, /sendBeacon/, /\bimport\(/, /\beval\(/, /new Function/]) {
      expect(noScriptData, String(bad)).not.toMatch(bad);
    }
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)![1]!.replace(/&#39;/g, "'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'none'");
    const hash = createHash('sha256').update(parsed.script, 'utf8').digest('base64');
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
  });

  it("uses dump --path's own glob function in the page", () => {
    const src = /const globToRegExp = (function[\s\S]*?\n\});/.exec(parsed.script)![1]!;
    const pageGlob = new Function(`return (${src})`)() as (g: string) => RegExp;
    for (const [glob, path] of [['/local/domain/*/name', '/local/domain/1/name'], ['/local/**', '/local/domain/1/device/vif/0'], ['/a/?', '/a/b'], ['/local/*', '/local/domain/1']]) {
      expect(pageGlob(glob!).test(path!), `${glob} ${path}`).toBe(globToRegExp(glob!).test(path!));
    }
  });

  it('a stream cut part-way: the records before the fault and the error', () => {
    const cut = bytes.subarray(0, 0x4b8 + 20); // inside record #25
    const { html: h, result: r } = report(cut);
    const p = parseReport(h);
    expect(r.error?.offset).toBeGreaterThanOrEqual(0x4b8);
    expect(p.config.records).toBe(25);
    expect(p.config.error!.message).toContain('record #25');
    expect(p.config.findingsNote).toMatch(/before the decode error/);
  });
});

describe('record fields (shared by dump and the report)', () => {
  it('every span of every record belongs to exactly one field the report shows', () => {
    const streams = [...CAPTURE_NAMES.map(capture), encodeStream(hostileStream())];
    let checked = 0;
    for (const bytes of streams) {
      let order: 'little' | 'big' = 'little';
      const reader = new StreamReader({
        onHeader: (h) => { order = h.byteOrder; },
        onRecord: (r, loc, b) => {
          const spans = recordSpans(r, loc, b, order);
          const owners = new Array<number>(spans.length).fill(0);
          for (const f of recordFields(r, loc, b, order, 128, spans)) if (f.only !== 'text') for (const si of f.spans) owners[si]!++;
          expect(owners.every((n) => n === 1), `record #${loc.index}`).toBe(true);
          // and the spans cover the record's bytes one after another
          expect(spans[0]!.start).toBe(loc.offset);
          for (let k = 1; k < spans.length; k++) expect(spans[k]!.start).toBe(spans[k - 1]!.end);
          expect(spans.at(-1)!.end).toBe(loc.offset + loc.wireLen);
          checked++;
        },
      });
      reader.push(bytes);
      reader.end();
    }
    expect(checked).toBeGreaterThan(200);
  });
});

describe('xsmig dump --html (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xsmig-html-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = `${CAPTURES}head-v2-quota.bin`;

  it('-o writes the page; without -o into a pipe it goes to stdout, the same page', () => {
    const out = join(dir, 'r.html');
    const r = runCli(['dump', '--html', file, '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const page = readFileSync(out, 'utf8');
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page.trimEnd().endsWith('</html>')).toBe(true);
    expect(parseReport(page).config.records).toBe(61);
    expect(runCli(['dump', '--html', file]).stdout).toBe(page);
  });

  it('presets the page filters from --type, --path, --conn, --domid', () => {
    const page = runCli(['dump', '--html', '--type', 'node,watch', '--path', '/local/**', '--conn', '3', '--domid', '1', file]).stdout;
    expect(parseReport(page).config.filter).toEqual({ types: ['NODE_DATA', 'WATCH_DATA'], path: '/local/**', conn: 3, domid: 1 });
  });

  it('usage errors: a terminal without -o, --html with --json or --hex, -o without --html, a bad --type', () => {
    for (const args of [['--html', '--json'], ['--html', '--hex'], ['-o', join(dir, 'x.html')], ['--html', '--type', 'bogus']]) {
      const r = runCli(['dump', ...args, file]);
      expect(r.status, args.join(' ')).toBe(64);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
  });

  it.skipIf(!existsSync('/usr/bin/script'))('refuses to write the page to a terminal (usage error 64)', () => {
    // util-linux script gives the command a pseudo-terminal as stdout and returns its status
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} dump --html ${JSON.stringify(file)}`;
    const t = spawnSync('/usr/bin/script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(t.status).toBe(64);
    expect(t.stdout).toContain('give -o FILE.html');
    expect(t.stdout).not.toContain('<html');
  });

  it('a stream cut part-way: the page of the records before the fault, then exit 2', () => {
    const cut = join(dir, 'cut.bin');
    writeFileSync(cut, capture('head-v2-quota').subarray(0, 0x4b8 + 20));
    const out = join(dir, 'cut.html');
    const r = runCli(['dump', '--html', cut, '-o', out]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('record #25');
    expect(parseReport(readFileSync(out, 'utf8')).config.records).toBe(25);
  });

  it('73 when the page cannot be created', () => {
    const r = runCli(['dump', '--html', file, '-o', join(dir, 'no', 'such', 'dir', 'r.html')]);
    expect(r.status).toBe(73);
  });
});
