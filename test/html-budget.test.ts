// `dump --html` above its budget of record data (issue 16): the page keeps the overview, the
// records with anomalies or findings and what the filters select, and says what it left out.
// A 443 MB stream once gave a 502 MB page that no browser opened.

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeHtmlReport, type HtmlReportOptions } from '../src/cli/render/html-report.js';
import { decodeStream } from '../src/model/decode.js';
import { CAPTURES, runCli } from './helpers/cli.js';
import { parseReport } from './helpers/html-report.js';

const dir = mkdtempSync(join(tmpdir(), 'xsmig-html-budget-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function page(bytes: Uint8Array, o: Partial<HtmlReportOptions>): string {
  const parts: string[] = [];
  writeHtmlReport(bytes, { label: 'x', maxBytes: 128, ...o }, (s) => parts.push(s));
  return parts.join('');
}

const cap = readFileSync(`${CAPTURES}head-v2-quota.bin`);
const stream = decodeStream(cap);

describe('dump --html budget', () => {
  it('within the budget: every record, no note', () => {
    const r = parseReport(page(cap, {}));
    expect(r.config.kept).toBeNull();
    expect(r.config.reducedNote).toBeNull();
    expect(r.chunks.reduce((n, c) => n + c.index.t.length, 0)).toBe(stream.records.length);
  });

  it('above it, no filter: the first records up to the budget, and a note saying what is left out', () => {
    const html = page(cap, { budget: 2048 });
    const r = parseReport(html);
    const held = r.chunks.flatMap((c) => c.index.x!);
    expect(r.config.records).toBe(stream.records.length);
    expect(r.config.kept).toBe(held.length);
    expect(held.length).toBeLessThan(stream.records.length);
    expect(held).toEqual([...held].sort((a, b) => a - b));
    expect(held[0]).toBe(0);
    // Each chunk's `first` counts held records, and its bytes are those of its records.
    let pos = 0;
    for (const c of r.chunks) {
      expect(c.index.first).toBe(pos);
      pos += c.index.t.length;
      expect(c.bytes.length).toBe(c.index.w.reduce((a, b) => a + b, 0));
      expect(c.bytes.equals(cap.subarray(c.index.offset, c.index.offset + c.bytes.length))).toBe(true);
    }
    const note = r.config.reducedNote as string;
    expect(note).toContain(`leaves out ${stream.records.length - held.length} records`);
    expect(note).toContain('--type TYPES, --path GLOB, --conn ID or --domid ID');
    expect(html).toContain('<div id="budget-note"');
    // The overview is whole: the summary counts every record, findings are all there.
    expect(html).toMatch(new RegExp(`${stream.records.length} records`));
  });

  it('above it, with --type: the records of that type (and the marked ones)', () => {
    const r = parseReport(page(cap, { budget: 2048, filter: { types: ['DOMAIN_DATA'] } }));
    const held = r.chunks.flatMap((c) => c.index.x!.map((ix, j) => ({ ix, t: c.index.t[j]!, a: c.index.a[j]! })));
    const domains = stream.records.flatMap((rec, i) => (rec.type === 'DOMAIN_DATA' ? [i] : []));
    expect(held.filter((h) => h.t === 7).map((h) => h.ix)).toEqual(domains);
    const marked = new Set((r.marks?.r ?? []).filter((x) => x >= 0));
    for (const h of held) if (h.t !== 7) expect(h.a === 1 || marked.has(h.ix)).toBe(true);
    expect(r.config.reducedNote).toContain(`the ${domains.length} records that the filters select`);
  });

  it('a record range', () => {
    const r = parseReport(page(cap, { budget: 2048, range: [10, 14] }));
    const held = r.chunks.flatMap((c) => c.index.x!);
    for (const ix of [10, 11, 12, 13, 14]) expect(held).toContain(ix);
  });

  const CHROMIUM = '/usr/bin/chromium';
  it.skipIf(!existsSync(CHROMIUM))('a 40 MB stream: a page of a few MB that Chromium opens, with the note and real record numbers', async () => {
    const bin = join(dir, 'g.bin');
    expect(runCli(['gen', '--size', '40M', '--seed', '3', '-o', bin]).status).toBe(0);
    const out = join(dir, 'g.html');
    const r = runCli(['dump', '--html', '--type', 'domain', bin, '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(statSync(out).size).toBeLessThan(24 << 20);
    const pw = await import('playwright-core');
    const ctx = await pw.chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const p = await ctx.newPage();
      const errors: string[] = [];
      p.on('pageerror', (e) => errors.push(e.message));
      // (How fast it opens is for bench/scale, not a unit test: here only that it does.)
      await p.goto(pathToFileURL(out).href);
      await p.waitForSelector('body[data-selected]', { timeout: 60_000 });
      expect(errors).toEqual([]);
      expect(await p.textContent('#banner')).toContain("more than this page's budget");
      expect(await p.textContent('#f-count')).toMatch(/held \(\d+ in the stream\)/);
      // The selected record is a DOMAIN_DATA, titled by its index in the stream.
      expect(await p.textContent('#rec-title')).toMatch(/^#\d+ @\d+ .*DOMAIN_DATA/);
    } finally {
      await ctx.close();
    }
  }, 120_000);
});
