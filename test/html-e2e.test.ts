// `dump --html` opened in a real browser: Debian's headless Chromium driven by playwright-core.
// The report of a real capture is filtered, a NODE_DATA field is clicked and its bytes must be
// the ones highlighted (offsets from the format facts, bytes from the file), a byte hovered must
// light its field; a stream whose node value holds <script> must run nothing. Screenshots go to
// test-artifacts/ (gitignored) for a person to look at.
//
// Skips, saying why, when /usr/bin/chromium is absent (`apt-get install -y chromium`).

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeStream } from '../src/model/encode.js';
import { CAPTURES, ROOT, runCli } from './helpers/cli.js';
import { HOSTILE_PATH, HOSTILE_VALUE, hostileStream, parseReport } from './helpers/html-report.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');

async function loadPlaywright(): Promise<typeof import('playwright-core') | undefined> {
  try {
    return await import('playwright-core');
  } catch {
    return undefined;
  }
}
const pw = existsSync(CHROMIUM) ? await loadPlaywright() : undefined;
const skipReason = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is absent: apt-get install -y chromium`
  : !pw
    ? 'playwright-core is not installed: npm ci'
    : '';
if (skipReason) console.warn(`html e2e tests skipped: ${skipReason}`);

interface Opened {
  page: Page;
  requests: string[];
  dialogs: string[];
  errors: string[];
}

describe.skipIf(skipReason !== '')(`dump --html in headless Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let dir: string;
  let ctx: BrowserContext;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xsmig-e2e-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    ctx = await pw!.chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 900 },
    });
  });
  afterAll(async () => {
    await ctx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(htmlPath: string, hash = ''): Promise<Opened> {
    const page = await ctx.newPage();
    const o: Opened = { page, requests: [], dialogs: [], errors: [] };
    page.on('request', (r) => o.requests.push(r.url()));
    page.on('dialog', (d) => {
      o.dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => o.errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') o.errors.push(m.text());
    });
    await page.goto(pathToFileURL(htmlPath).href + hash);
    await page.waitForSelector('body[data-selected]');
    return o;
  }

  function report(streamFile: string, name: string): string {
    const out = join(dir, `${name}.html`);
    const r = runCli(['dump', '--html', streamFile, '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    return out;
  }

  it('a real capture: filter to a node, click its path field, its bytes light up (and back)', async () => {
    const file = `${CAPTURES}head-v2-quota.bin`;
    const bytes = readFileSync(file);
    const html = report(file, 'quota');
    const { page, requests, errors } = await open(html);

    await page.fill('#f-path', '/local/domain/1/name');
    await page.waitForFunction(() => document.getElementById('f-count')!.textContent === '1 of 61 records');
    await page.click('#list .row');
    await page.waitForSelector('body[data-selected="25"]');
    expect(await page.textContent('#rec-title')).toBe('#25 @1208 (0x4b8) NODE_DATA len 56');

    await page.click('#fields tbody tr.fr:has(td.fl:text-is("path"))');
    // NODE_DATA @0x4b8: 8 envelope + 16 fixed + 2 permissions of 4 bytes, then path (21 bytes with its NUL)
    const start = 0x4b8 + 8 + 16 + 2 * 4;
    const lit = await page.$$eval('#hex .hx .b.hl', (els) => els.map((e) => [Number((e as HTMLElement).dataset.o), e.textContent]));
    expect(lit).toEqual([...bytes.subarray(start, start + 21)].map((b, k) => [start + k, b.toString(16).padStart(2, '0')]));
    expect(await page.$$eval('#hex .tx .c.hl', (els) => els.map((e) => e.textContent).join(''))).toBe('/local/domain/1/name.');
    expect(await page.$$eval('#fields tr.hl td.fl', (els) => els.map((e) => e.textContent))).toEqual(['path']);
    // the other fields' bytes are coloured, but not highlighted
    expect(await page.$$eval('#hex .hx .b:not(.e)', (els) => els.length)).toBe(64);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'html-report-head-v2-quota.png') });

    // the reverse: a byte of the value lights its field (and only its bytes)
    await page.hover(`#hex .hx .b[data-o="${start + 21 + 2}"]`);
    expect(await page.$$eval('#fields tr.hl td.fl', (els) => els.map((e) => e.textContent))).toEqual(['value']);
    expect(await page.$$eval('#hex .tx .c.hl', (els) => els.map((e) => e.textContent).join(''))).toBe('guest1');
    expect(await page.textContent('#status')).toMatch(/^value {2}@0x4ed\.\.0x4f3 \(6 bytes\)/);
    // moving away returns to the clicked field
    await page.hover('#rec-title');
    expect(await page.$$eval('#fields tr.hl td.fl', (els) => els.map((e) => e.textContent))).toEqual(['path']);

    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(html).href]);
    await page.close();
  });

  it('a node value holding <script> runs nothing and shows as text', async () => {
    const streamFile = join(dir, 'hostile.bin');
    writeFileSync(streamFile, encodeStream(hostileStream()));
    const html = report(streamFile, 'hostile');
    const chunks = parseReport(readFileSync(html, 'utf8')).config.chunks;
    const { page, requests, dialogs, errors } = await open(html, '#r4');
    await page.waitForSelector('body[data-selected="4"]');
    expect(await page.textContent('#fields tbody tr.fr:has(td.fl:text-is("value")) td.fv')).toBe(`"${HOSTILE_VALUE}"`);
    // every row of the list, the hostile path and watch token among them, as text
    const rows = await page.$$eval('#list .row .ds', (els) => els.map((e) => e.textContent));
    expect(rows.some((t) => t!.startsWith(HOSTILE_PATH))).toBe(true);
    expect(rows.some((t) => t!.includes('<!--<script>alert(5)</script>'))).toBe(true);
    await page.click('#list .row[data-i="5"]');
    await page.waitForSelector('body[data-selected="5"]');
    // check's findings on that node (its path holds characters xenstored refuses) are marked
    expect(await page.getAttribute('#list .row[data-i="5"] .mk', 'class')).toBe('mk sev-error');
    const notes = await page.$$eval('#rec-notes .finding', (els) => els.map((e) => e.textContent!));
    expect(notes.some((n) => n.startsWith('warningstrings.path-syntax: ') && n.includes(`"${HOSTILE_PATH}"`)), notes.join('\n')).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'html-report-hostile.png') });

    const dom = await page.evaluate(() => ({
      xss: (window as unknown as { __xss?: number }).__xss,
      imgs: document.querySelectorAll('img').length,
      bold: document.querySelectorAll('b').length,
      scripts: document.querySelectorAll('script').length,
    }));
    expect(dom).toEqual({ xss: undefined, imgs: 0, bold: 0, scripts: 3 * chunks + 3 }); // chunks, findings, config, page script
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(html).href]);
    await page.close();
  });
});
