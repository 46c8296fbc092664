// dump's byte renderer (src/cli/render/dump-bytes.ts) must write exactly the text the general
// renderer (renderRecord, no colour) gives, record for record, for every record it covers, and
// write nothing for the ones it hands back: on the real captures, every golden vector, and
// generated streams (canonical and not, both byte orders), with --max-bytes 0, 128 and small.

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { palette } from '../src/cli/color.js';
import { completeRecord, DUMP_SELECTION, renderRecordBytes, renderSelectedRecordBytes, rendererSource, type ByteOut } from '../src/cli/render/dump-bytes.js';
import { renderRecord } from '../src/cli/render/record.js';
import { fc, streamBytesArbitrary } from '../src/model/arbitraries.js';
import { decodeStream, decodeStreamDetailed } from '../src/model/decode.js';
import { StreamReader } from '../src/model/stream-reader.js';
import { encodeStream } from '../src/model/encode.js';
import type { NodeData, RecordLocation, Stream, XsRecord } from '../src/model/types.js';
import { LAYOUTS } from '../src/wire/layout.js';
import { loadGoldenVectors } from './helpers/annotated-hex.js';
import { CAPTURES } from './helpers/cli.js';

/** A ByteOut over a buffer of `size` bytes whose unused part holds a marker (to see stray writes). */
class TestOut implements ByteOut {
  readonly buffer: Buffer;
  committed: number | undefined;
  reserved = 0;
  constructor(readonly size = 1 << 16, readonly at = 5) {
    this.buffer = Buffer.alloc(size, 0xee);
  }
  reserve(n: number): number {
    this.reserved = n;
    return this.at + n > this.size ? -1 : this.at;
  }
  commit(end: number): void {
    this.committed = end;
  }
  /** Ready for the next record: no commit, marker bytes again where the last one could write. */
  reset(): this {
    this.buffer.fill(0xee, 0, Math.min(this.size, this.at + this.reserved + 64));
    this.committed = undefined;
    this.reserved = 0;
    return this;
  }
  text(): string | undefined {
    return this.committed === undefined ? undefined : this.buffer.latin1Slice(this.at, this.committed);
  }
}

/** What dump prints for a record the general way: a blank line, then the record's lines. */
function general(r: XsRecord, loc: RecordLocation, own: Uint8Array, order: 'little' | 'big', maxBytes: number): string {
  return `\n${renderRecord(r, loc, own, { order, maxBytes, hex: false, color: palette(false) }).join('\n')}\n`;
}

interface Tally {
  covered: Map<string, number>;
  handedBack: Map<string, number>;
}
const newTally = (): Tally => ({ covered: new Map(), handedBack: new Map() });
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/**
 * The records as dump reads them without a filter: through the StreamReader with
 * DUMP_SELECTION (strings as spans of the chunk), in chunks of `chunk` bytes read into one
 * reused buffer, one location object for all; each record is handed to `visit` during its
 * onRecord call (its spans and location are valid only then).
 */
function readSelected(bytes: Uint8Array, chunk: number, visit: (r: XsRecord, loc: RecordLocation) => void): void {
  const reader = new StreamReader({ onRecord: (r, loc) => visit(r, loc) }, { select: DUMP_SELECTION, reuseLocation: true, chunksReused: true });
  const one = Buffer.alloc(chunk);
  for (let at = 0; at < bytes.length; at += chunk) {
    const n = Math.min(chunk, bytes.length - at);
    one.set(bytes.subarray(at, at + n));
    reader.push(one.subarray(0, n));
    one.fill(0x5a); // what the next read would leave there
  }
  reader.end();
}

function compare(bytes: Uint8Array, maxBytes: number, tally = newTally()): Tally {
  const { stream, locations } = decodeStreamDetailed(bytes);
  compareRecords(bytes, stream.header.byteOrder, maxBytes, tally, (visit) => stream.records.forEach((r, i) => visit(r, locations[i]!, r)), renderRecordBytes);
  // The same records read with DUMP_SELECTION: the span renderer, and completeRecord for the
  // records it hands back (which must give the whole record the plain decoder gives).
  const whole = decodeStream(bytes).records;
  compareRecords(bytes, stream.header.byteOrder, maxBytes, newTally(), (visit) => {
    let n = 0;
    readSelected(bytes, 97, (r, loc) => {
      expect(completeRecord(r, loc, stream.header.byteOrder), `record #${loc.index}`).toEqual(whole[loc.index]);
      visit(r, loc, stream.records[loc.index]!);
      n++;
    });
    expect(n).toBe(whole.length);
  }, (r, loc, out, m) => renderSelectedRecordBytes(r, loc, out, m, stream.header.byteOrder));
  return tally;
}

type Renderer = typeof renderRecordBytes;
const shared = new TestOut();

/** Renders each record `each` gives with `render`, against the general text of `full` (the whole record). */
function compareRecords(
  bytes: Uint8Array,
  order: 'little' | 'big',
  maxBytes: number,
  tally: Tally,
  each: (visit: (r: XsRecord, loc: RecordLocation, full: XsRecord) => void) => void,
  render: Renderer,
): void {
  each((r, loc, full) => {
    const own = bytes.subarray(loc.offset, loc.offset + loc.wireLen);
    const out = shared.reset();
    const done = render(r, loc, out, maxBytes);
    if (!done) {
      // Handed back: nothing committed.
      expect(out.committed).toBeUndefined();
      bump(tally.handedBack, r.type);
      return;
    }
    bump(tally.covered, r.type);
    expect(out.text(), `record #${loc.index} ${r.type}, max-bytes ${maxBytes}`).toBe(general(full, loc, own, order, maxBytes));
    // Nothing written before the room it reserved, nor after it.
    expect(out.buffer[out.at - 1]).toBe(0xee);
    expect(out.committed! - out.at).toBeLessThanOrEqual(out.reserved);
    expect(out.buffer.subarray(out.at + out.reserved, out.at + out.reserved + 64).every((b) => b === 0xee)).toBe(true);
  });
}

const MAX_BYTES = [0, 128, 4, 1];

describe('dump byte renderer = general renderer', () => {
  const captures = readdirSync(CAPTURES).filter((n) => n.endsWith('.bin'));
  it('finds the four captures', () => expect(captures.length).toBe(4));
  for (const f of captures) {
    it(`capture ${f}`, () => {
      const bytes = readFileSync(`${CAPTURES}${f}`);
      for (const m of MAX_BYTES) {
        const t = compare(bytes, m);
        // Every node, the global records and the quiet connections are covered.
        expect(t.covered.get('NODE_DATA')).toBeGreaterThan(25);
        expect(t.covered.get('GLOBAL_DATA')).toBe(1);
        expect(t.covered.get('END')).toBe(1);
        expect(t.covered.get('CONNECTION_DATA')).toBeGreaterThan(0);
        expect(t.handedBack.get('NODE_DATA')).toBeUndefined();
      }
    });
  }

  it('every golden vector', () => {
    const vectors = loadGoldenVectors();
    expect(vectors.length).toBeGreaterThanOrEqual(40);
    const all = newTally();
    for (const v of vectors) for (const m of MAX_BYTES) compare(v.hex.bytes, m, all);
    // The canonical vectors of each type are covered ...
    for (const t of ['END', 'GLOBAL_DATA', 'CONNECTION_DATA', 'WATCH_DATA', 'TRANSACTION_DATA', 'NODE_DATA', 'GLOBAL_QUOTA_DATA', 'DOMAIN_DATA', 'WATCH_DATA_EXTENDED']) {
      expect(all.covered.get(t), t).toBeGreaterThan(0);
    }
    // ... and the anomalies, unknown types and pending data go the general way.
    expect(all.handedBack.get('UNKNOWN')).toBeGreaterThan(0);
    expect(all.handedBack.get('CONNECTION_DATA')).toBeGreaterThan(0);
    expect(all.handedBack.get('WATCH_DATA_EXTENDED')).toBeGreaterThan(0);
    expect(all.handedBack.get('NODE_DATA')).toBeGreaterThan(0);
  });

  for (const nonCanonical of [false, true]) {
    for (const byteOrder of ['little', 'big'] as const) {
      it(`generated streams, ${nonCanonical ? 'non-canonical' : 'canonical'}, ${byteOrder}-endian`, () => {
        const all = newTally();
        fc.assert(
          fc.property(streamBytesArbitrary({ nonCanonical, byteOrder, maxValueSize: 300 }), fc.constantFrom(...MAX_BYTES, 200), (bytes, maxBytes) => {
            compare(bytes, maxBytes, all);
          }),
          { seed: 20261122 + (nonCanonical ? 1 : 0) + (byteOrder === 'big' ? 2 : 0), numRuns: 60 },
        );
        expect(all.covered.get('NODE_DATA')).toBeGreaterThan(100);
        expect(all.covered.get('CONNECTION_DATA')).toBeGreaterThan(10);
        expect(all.covered.get('DOMAIN_DATA')).toBeGreaterThan(10);
        if (nonCanonical) expect(all.handedBack.get('NODE_DATA')).toBeGreaterThan(0);
        else expect([...all.handedBack.keys()].filter((k) => k !== 'CONNECTION_DATA')).toEqual([]);
      });
    }
  }

  it('escapes every byte value as the general renderer does (paths, tokens, values, quota names)', () => {
    const every = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1)).join('');
    // A value mostly printable (shown as escaped text) and one mostly not (shown as hex).
    const text = Buffer.from(`${'abc'.repeat(200)}${every}`, 'latin1');
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const stream: Stream = {
      header: { version: 2, byteOrder: 'little', reservedFlags: 0 },
      records: [
        { type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: [{ perm: 'b', flags: 0, domid: 0 }], path: `/${every}`, value: text },
        { type: 'NODE_DATA', connId: 3, txId: 7, access: 2, perms: [{ perm: '\x07', flags: 3, domid: 0x7ff5 }, { perm: 'r', flags: 1, domid: 5 }], path: '/b', value: binary },
        { type: 'WATCH_DATA', connId: 1, wpath: every, token: every },
        { type: 'DOMAIN_DATA', domainId: 0x7ff2, features: 0xffffffff, quotas: [{ name: every, value: 0 }, { name: 'nodes', value: 0xffffffff }] },
        { type: 'GLOBAL_DATA', rwSocketFd: -0x80000000, evtchnFd: -1 },
        { type: 'END' },
      ],
    };
    const all = newTally();
    for (const m of [...MAX_BYTES, 700]) compare(encodeStream(stream), m, all);
    expect([...all.handedBack.keys()]).toEqual([]);
  });

  it('numbers the header line right however the index and offset move (carries, jumps, going back)', () => {
    const end: XsRecord = { type: 'END' };
    const out = new TestOut();
    const values = [0, 1, 9, 10, 15, 16, 99, 100, 255, 256, 4095, 4096, 65535, 65536, 65536 + 65535, 999999, 1000000, 5, 2 ** 32 - 1, 2 ** 32 + 8, 2 ** 45, 7];
    for (const v of values) {
      for (const w of [v, v + 8, v + 0x1000, v + 0xfff8]) {
        const loc: RecordLocation = { index: w, offset: w, typeCode: 0, len: 0, wireLen: 8 };
        expect(renderRecordBytes(end, loc, out.reset(), 128)).toBe(true);
        expect(out.text()).toBe(`\n#${w} @${w} (0x${w.toString(16)}) END len 0\n`);
      }
    }
  });

  it('hands back a record larger than the output buffer, writing nothing', () => {
    const bytes = readFileSync(`${CAPTURES}head-v2-basic.bin`);
    const { stream, locations } = decodeStreamDetailed(bytes);
    const i = stream.records.findIndex((r) => r.type === 'NODE_DATA');
    const out = new TestOut(64, 0);
    expect(renderRecordBytes(stream.records[i]!, locations[i]!, out, 0)).toBe(false);
    expect(out.committed).toBeUndefined();
  });

  it('asks the reader for the strings of nodes and watches as spans, and renders those', () => {
    expect(DUMP_SELECTION).toEqual({ NODE_DATA: ['connId', 'txId', 'valueLen', 'access', 'permCount', 'path:span'], WATCH_DATA: ['connId', 'wpath:span', 'token:span'] });
    const bytes = readFileSync(`${CAPTURES}head-v2-basic.bin`);
    let spans = 0;
    readSelected(bytes, 1 << 16, (r, loc) => {
      if (r.type !== 'NODE_DATA' || !('source' in r)) return;
      spans++;
      expect('path' in r || 'perms' in r || 'value' in r).toBe(false);
      const out = new TestOut();
      expect(renderSelectedRecordBytes(r, loc, out, 128, 'little')).toBe(true);
      expect(out.text()).toContain(`  path: "${(completeRecord(r, loc, 'little') as NodeData).path}"\n`);
    });
    expect(spans).toBeGreaterThan(25);
    expect(rendererSource(LAYOUTS.NODE_DATA, true)).toContain('putEscBytes(o, dv, p, r.source, r.pathStart, r.pathEnd)');
    expect(rendererSource(LAYOUTS.NODE_DATA, true)).toContain('(r.pathStart - (r.permCount * 4))');
    expect(rendererSource(LAYOUTS.NODE_DATA, true)).toContain('(r.pathEnd + 1 + 0)');
  });

  it('is generated for every layout from its declaration', () => {
    for (const layout of Object.values(LAYOUTS)) {
      const src = rendererSource(layout);
      expect(src, layout.type).toBeDefined();
      // Each field's format name appears in the constant text the renderer writes.
      for (const f of layout.fields) if (f.kind === 'int') expect(src).toContain(`  ${f.name}: `);
    }
  });
});
