// convert's threaded verify (a large file converted in place of its records): pass 1 compares
// what it writes with what it read (WrittenComparer), a second thread reads the file back,
// checks it and sums it (VerifyThread), and verifyAsWritten puts the two together. Held to the
// serial verify (verifyInPlace): the same result wherever every record agrees; no result (so
// the serial verify runs) where one does not; and a file that is not what was written, or a
// thread that fails, is seen.

import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckReader } from '../src/check/check-reader.js';
import type { ConvertOptions } from '../src/convert/convert.js';
import { transcodePass, verifyAsWritten, verifyInPlace, type ChunkReader, type ChunkSource, type RandomAccess } from '../src/convert/streaming.js';
import { trailingText } from '../src/convert/trailing.js';
import type { WrittenFileCheck } from '../src/convert/verify-thread.js';
import { WrittenComparer } from '../src/convert/written-compare.js';
import { streamArbitrary } from '../src/model/arbitraries.js';
import { decodeStreamFastDetailed, viewOf } from '../src/model/fast-decode.js';
import { encodeStream } from '../src/model/encode.js';
import { DecodeError } from '../src/wire/errors.js';
import { loadGoldenVectors } from './helpers/annotated-hex.js';
import { CAPTURES, ROOT, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'xsmig-verify-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NAMES = ['417-basic', 'head-v2-basic', 'head-v2-depth-a', 'head-v2-quota'];
const cap = (name: string): Buffer => readFileSync(`${CAPTURES}${name}.bin`);

function chunksOf(b: Uint8Array, size: number): ChunkSource {
  return (on) => {
    for (let i = 0; i < b.length; i += size) on(b.subarray(i, Math.min(b.length, i + size)));
  };
}
function readerOf(b: Uint8Array): ChunkReader {
  let i = 0;
  return (into) => {
    const n = Math.min(into.length, b.length - i);
    into.set(b.subarray(i, i + n));
    i += n;
    return n;
  };
}
function fileOf(b: Uint8Array): RandomAccess {
  return { size: b.length, read: (into, at, length) => { const n = Math.max(0, Math.min(length, b.length - at)); into.set(b.subarray(at, at + n)); return n; } };
}

/** What the worker finds in `file` (its loop, in this thread): the check of the bytes and their count. */
function workerFinds(file: Uint8Array, target: ConvertOptions['target']): WrittenFileCheck {
  const reader = new CheckReader(target ? { target } : {}, 1 << 12, { locations: false });
  const found: WrittenFileCheck = { records: 0, bytes: file.length, trailing: '' };
  try {
    reader.push(file);
    const done = reader.finish();
    found.header = done.header;
    found.records = done.records;
    found.check = done.report;
    if (done.trailing) found.trailing = trailingText(file.subarray(file.length - done.trailing), done.trailing);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    found.decodeError = e;
  }
  return found;
}

/** Pass 1 with the comparer, and the written bytes. */
function pass1(input: Uint8Array, opts: ConvertOptions, size = 53) {
  const parts: Buffer[] = [];
  const pass = transcodePass(chunksOf(input, size), opts, (c) => parts.push(Buffer.from(c)), { compare: true });
  return { pass, out: Buffer.concat(parts) };
}

/** The threaded verify's result equals the serial one's, for a conversion whose records all agree. */
function same(input: Uint8Array, opts: ConvertOptions): void {
  const { pass, out } = pass1(input, opts);
  expect(pass.planner.keepsPlaces()).toBe(true);
  const comparer = pass.comparer!;
  expect(comparer.differsAt).toBeUndefined();
  expect(comparer.records).toBe(pass.records);
  const threaded = verifyAsWritten(workerFinds(out, opts.target), pass)!;
  const serial = verifyInPlace(readerOf(out), fileOf(input), opts.target);
  expect(threaded).toEqual(serial);
}

// (A xen-* target no longer keeps places: it writes every WATCH_DATA_EXTENDED as a plain watch.)
const BYTE_ORDER: ConvertOptions[] = [{ byteOrder: 'big' }, { byteOrder: 'little' }, { target: 'spec-v2', byteOrder: 'big' }, { target: 'spec-v2' }];

describe('verifyAsWritten = verifyInPlace where every record agrees', () => {
  // (417-basic is version 1: converted in its version, records keep their places only in version 2.)
  for (const name of NAMES.filter((n) => n !== '417-basic')) {
    for (const opts of BYTE_ORDER) {
      it(`${name} ${JSON.stringify(opts)}`, () => same(cap(name), opts));
    }
  }

  it('golden vectors that decode, both byte orders', () => {
    let n = 0;
    for (const v of loadGoldenVectors()) {
      const bytes = v.hex.bytes;
      try {
        decodeStreamFastDetailed(bytes);
      } catch {
        continue;
      }
      const to = v.order === 'little' ? 'big' : 'little';
      const { pass } = pass1(bytes, { byteOrder: to });
      if (!pass.planner.keepsPlaces()) continue;
      // (A vector the comparer does not take whole goes to the serial verify: nothing to hold.)
      if (pass.comparer!.differsAt !== undefined) continue;
      same(bytes, { byteOrder: to });
      n++;
    }
    expect(n).toBeGreaterThan(5);
  });

  it('generated version-2 streams, canonical and not (pending data, trailing bytes, short headers)', () => {
    let agreed = 0;
    fc.assert(
      fc.property(fc.oneof(streamArbitrary({ version: 2 }), streamArbitrary({ version: 2, nonCanonical: true })), fc.constantFrom<'little' | 'big'>('little', 'big'), (s, to) => {
        const input = encodeStream(s);
        const { pass, out } = pass1(input, { byteOrder: to, force: true });
        const serial = verifyInPlace(readerOf(out), fileOf(input));
        const threaded = verifyAsWritten(workerFinds(out, undefined), pass);
        if (threaded === undefined) {
          // A record did not agree: the serial verify, which runs then, has something to say.
          expect(pass.comparer!.differsAt).toBeDefined();
          const entries = [...serial.diff!.semantic, ...serial.diff!.bytes];
          expect(entries.some((e) => !(e.section === 'header' && e.field === 'byte-order'))).toBe(true);
          return;
        }
        agreed++;
        expect(threaded).toEqual(serial);
      }),
      { numRuns: 120 },
    );
    expect(agreed).toBeGreaterThan(30);
  });
});

describe('WrittenComparer sees a written record that does not say what was read', () => {
  const input = cap('head-v2-quota');
  const d = decodeStreamFastDetailed(input);
  const header = d.stream.header;
  const bigHeader = { ...header, byteOrder: 'big' as const };
  const { out } = pass1(input, { byteOrder: 'big' });
  const outLocs = decodeStreamFastDetailed(out).locations;

  /** Offers record `i` as read and as written (with `tamper` applied to the written copy). */
  function offer(i: number, tamper: (b: Buffer, at: number) => void): WrittenComparer {
    const c = new WrittenComparer(header, bigHeader);
    const a = d.locations[i]!;
    const b = outLocs[i]!;
    const written = Buffer.from(out.subarray(b.offset, b.offset + b.wireLen));
    tamper(written, 0);
    c.onWritten(input, viewOf(input), a.offset, a.wireLen, written, viewOf(written), 0, written.length, i, 1, undefined);
    return c;
  }

  it('an untouched record agrees; one with a bit changed does not (nodes, watches, connections, domains)', () => {
    for (const type of ['NODE_DATA', 'WATCH_DATA', 'CONNECTION_DATA', 'DOMAIN_DATA', 'GLOBAL_QUOTA_DATA']) {
      const i = d.stream.records.findIndex((r) => r.type === type);
      expect(i, type).toBeGreaterThan(0);
      expect(offer(i, () => undefined).differsAt, type).toBeUndefined();
      expect(offer(i, () => undefined).records, type).toBe(1);
      // The last byte of the first field after the type and len: an integer of every layout.
      expect(offer(i, (b) => { b[8 + 3] ^= 0x10; }).differsAt, type).toBe(i);
    }
  });

  it('a record written in the wrong byte order does not agree', () => {
    const i = d.stream.records.findIndex((r) => r.type === 'NODE_DATA');
    const a = d.locations[i]!;
    expect(offer(i, (b) => { input.copy(b, 0, a.offset, a.offset + a.wireLen); }).differsAt).toBe(i);
  });

  it('once a record does not agree, nothing more is compared and there is no diff', () => {
    const c = offer(d.stream.records.findIndex((r) => r.type === 'NODE_DATA'), (b) => { b[8 + 3] ^= 1; });
    expect(() => c.finish('', '')).toThrow(/no diff/);
  });
});

describe('verifyAsWritten: what the thread found decides', () => {
  const input = cap('head-v2-basic');
  const { pass, out } = pass1(input, { byteOrder: 'big' });

  it('a file read back with other bytes or another record count: not as written', () => {
    const found = workerFinds(out, undefined);
    expect(verifyAsWritten({ ...found, notAsWritten: 'x' }, pass)!.notAsWritten).toBe('x');
    expect(verifyAsWritten({ ...found, records: found.records - 1 }, pass)!.notAsWritten).toMatch(/records were read back/);
  });

  it('a file that does not decode: its DecodeError, and no diff', () => {
    const cut = workerFinds(out.subarray(0, out.length - 20), undefined);
    const v = verifyAsWritten(cut, pass)!;
    expect(v.decodeError).toBeInstanceOf(DecodeError);
    expect(v.diff).toBeUndefined();
  });
});

// The worker itself, from the build (it runs compiled JavaScript only).
describe('VerifyThread (dist)', async () => {
  const { VerifyThread } = (await import(`${ROOT}dist/convert/verify-thread.js`)) as typeof import('../src/convert/verify-thread.js');
  const input = cap('head-v2-quota');
  const { out } = pass1(input, { byteOrder: 'big' });

  /** Writes `onDisk` to a file, tells the thread it was written as `written` (in pieces), returns what it found. */
  function follow(onDisk: Buffer, written: Buffer, target?: ConvertOptions['target']) {
    const path = join(dir, `f-${Math.random().toString(36).slice(2)}.bin`);
    writeFileSync(path, onDisk);
    const t = VerifyThread.spawn()!;
    expect(t).toBeDefined();
    t.begin(path, target, written.length);
    for (let i = 0; i < written.length; i += 1000) t.wrote(written.subarray(i, i + 1000));
    t.end();
    return t.result();
  }

  it('a file as written: its check, header, records and bytes, as the worker loop in this thread finds them', () => {
    const found = follow(out, out, 'xen-4.17')!;
    const here = workerFinds(out, 'xen-4.17');
    expect(found.notAsWritten).toBeUndefined();
    expect(found).toEqual(here);
    expect(found.check!.losses!.length).toBeGreaterThan(0); // (4.17 refuses big-endian)
  });

  it('a file whose bytes are not those written (one bit), or not all of them: not as written', () => {
    const flipped = Buffer.from(out);
    flipped[out.length >> 1] ^= 4;
    expect(follow(flipped, out)!.notAsWritten).toBe(`the byte read back at offset ${out.length >> 1} (0x${(out.length >> 1).toString(16)}) is not the byte written there`);
    // (Written longer than the file: the worker finds the file ends early, and gives no result.)
    expect(follow(out.subarray(0, out.length - 8), out)).toBeUndefined();
  });

  it('a file that does not decode: the DecodeError, rebuilt with its offset and record', () => {
    const bad = Buffer.from(out);
    bad.writeUInt32BE(0xffff, 16 + 4); // (the first record's len runs past the file)
    const found = follow(bad, bad)!;
    // (The build's own DecodeError class: told by its name.)
    expect(found.decodeError!.name).toBe('DecodeError');
    expect(found.decodeError!.recordIndex).toBe(0);
    expect(found.decodeError!.message).toBe(workerFinds(bad, undefined).decodeError!.message);
  });

  it('a thread that cannot open its file gives no result (the serial verify runs)', () => {
    const t = VerifyThread.spawn()!;
    t.begin(join(dir, 'no-such-file.bin'), undefined, 10);
    t.end();
    expect(t.result()).toBeUndefined();
  });
});

describe('xsmig convert: the threaded verify says and writes what the serial one does', () => {
  const threaded = { XSMIG_VERIFY_THREAD_MIN: '0' };
  const serial = { XSMIG_VERIFY_THREAD_MIN: String(2 ** 50) };
  // (Each writes out.bin in a directory of its own: the reports differ only by that directory.)
  const tDir = join(dir, 't');
  const sDir = join(dir, 's');
  mkdirSync(tDir);
  mkdirSync(sDir);
  const report = (s: string, where: string): string => s.replaceAll(where, 'DIR').replace(/\.xsmig-\d+-\w+\.tmp/g, 'TMP');
  const big = join(dir, 'realistic.bin');
  runCli(['gen', '--size', '3M', '--seed', '5', '-o', big]);

  for (const [name, file] of [...NAMES.map((n) => [n, `${CAPTURES}${n}.bin`]), ['a realistic 3 MB stream', big]] as const) {
    for (const args of [['--byte-order', 'big'], ['--target', 'xen-4.17', '--force'], ['--to-version', '1', '--force'], ['--json', '--byte-order', 'little']]) {
      it(`${name} ${args.join(' ')}`, () => {
        const a = join(tDir, 'out.bin');
        const b = join(sDir, 'out.bin');
        const t = runCli(['convert', file, '-o', a, ...args], { env: threaded });
        const s = runCli(['convert', file, '-o', b, ...args], { env: serial });
        expect(t.status, t.stderr).toBe(s.status);
        expect(report(t.stdout, tDir)).toBe(report(s.stdout, sDir));
        expect(report(t.stderr, tDir)).toBe(report(s.stderr, sDir));
        if (s.status === 0) expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
      });
    }
  }

  it('a refusal and an injected verify failure end the same way, nothing written', () => {
    const file = `${CAPTURES}head-v2-quota.bin`;
    for (const [args, env] of [[['--target', 'xen-4.17'], {}], [['--byte-order', 'big'], { XSMIG_TEST_FAIL_VERIFY: '1' }]] as const) {
      const a = join(tDir, 'refused.bin');
      const b = join(sDir, 'refused.bin');
      const t = runCli(['convert', file, '-o', a, ...args], { env: { ...threaded, ...env } });
      const s = runCli(['convert', file, '-o', b, ...args], { env: { ...serial, ...env } });
      expect(t.status).not.toBe(0);
      expect(t.status).toBe(s.status);
      expect(report(t.stderr, tDir)).toBe(report(s.stderr, sDir));
      expect(() => readFileSync(a)).toThrow();
      expect(readdirSync(tDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }
  });
});
