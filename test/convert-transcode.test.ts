// The raw conversion path (transcodePass -> verifyInPlace, inputCheckOf) against the model path
// (planConversion, convertPass -> verifyPass): same bytes, same changes, same faults; the verify
// finds exactly the planned changes, and sees a tampered file; the check of the input it infers
// is the real check of the input whenever it infers one.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunks, puller } from './helpers/chunk-sources.js';
import { checkStream } from '../src/check/index.js';
import { ConvertError, planConversion, type ConvertOptions } from '../src/convert/convert.js';
import { deltaId, ItemKeyCounter, PairedKeyCounter } from '../src/convert/diff.js';
import {
  checkPass, convertPass, inputCheckOf, knownDomainsPass, transcodePass, verifyInPlace, verifyPass,
  type ChunkReader, type ChunkSource, type RandomAccess,
} from '../src/convert/streaming.js';
import { streamArbitrary } from '../src/model/arbitraries.js';
import { decodeStream, decodeStreamDetailed } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import type { Stream, XsRecord } from '../src/model/types.js';
import { DecodeError } from '../src/wire/errors.js';
import { loadGoldenVectors } from './helpers/annotated-hex.js';
import { MUTATIONS, mutateOnce, rngFrom, seedCorpus } from './helpers/hostile.js';

const CAPTURES = ['417-basic', 'head-v2-basic', 'head-v2-depth-a', 'head-v2-quota'];
const cap = (name: string): Buffer => readFileSync(join(__dirname, '..', 'fixtures', 'captures', `${name}.bin`));
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** `b` in chunks of `size` bytes, each handed in one reused buffer that is scribbled on afterwards. */
function reused(b: Uint8Array, size: number): ChunkSource {
  return (on) => {
    const scratch = Buffer.alloc(size);
    for (let i = 0; i < b.length; i += size) {
      const n = Math.min(size, b.length - i);
      scratch.set(b.subarray(i, i + n));
      on(scratch.subarray(0, n));
      scratch.fill(0xa5);
    }
  };
}
/** A ChunkReader of `b` giving at most `size` bytes a call (fewer than the buffer holds). */
function readerOf(b: Uint8Array, size: number): ChunkReader {
  let i = 0;
  return (into) => {
    const n = Math.min(size, into.length, b.length - i);
    into.set(b.subarray(i, i + n));
    i += n;
    return n;
  };
}
function fileOf(b: Uint8Array): RandomAccess {
  return {
    size: b.length,
    read: (into, at, length) => {
      const n = Math.max(0, Math.min(length, b.length - at));
      into.set(b.subarray(at, at + n));
      return n;
    },
  };
}

/** What a repair needs to know first: from a pass of its own over `input` (as the CLI makes it). */
const knownOf = (input: Uint8Array, opts: ConvertOptions): { known?: Set<number> } => (opts.repair ? { known: knownDomainsPass(reused(input, 29)) } : {});

function fast(input: Uint8Array, opts: ConvertOptions, size = 37): { out: Buffer; pass: ReturnType<typeof transcodePass> } {
  const parts: Buffer[] = [];
  const pass = transcodePass(reused(input, size), opts, (c) => parts.push(Buffer.from(c)), knownOf(input, opts));
  return { out: Buffer.concat(parts), pass };
}
function slow(input: Uint8Array, opts: ConvertOptions): Buffer {
  const parts: Buffer[] = [];
  convertPass(chunks(input, 64), opts, { sink: (c) => parts.push(Buffer.from(c)), ...knownOf(input, opts) });
  return Buffer.concat(parts);
}

/** The whole raw path on `input`, held to planConversion; returns the verify's result and the plan. */
function agree(input: Uint8Array, opts: ConvertOptions, size = 37) {
  const s = decodeStream(input);
  const whole = planConversion(s, opts);
  const { out, pass } = fast(input, opts, size);
  expect(hex(out)).toBe(hex(encodeStream(whole.stream)));
  expect(pass.records).toBe(s.records.length);
  const v = pass.planner.keepsPlaces()
    ? verifyInPlace(readerOf(out, size * 3 + 1), fileOf(input), opts.target)
    : verifyPass(chunks(out, 53), puller(input, 29), opts.target, { reencode: false, dropped: pass.dropped });
  const plan = pass.planner.finish(v.check?.losses ?? []);
  expect(plan.changes).toEqual(whole.changes);
  expect(plan.losses).toEqual(whole.losses);
  expect(plan.targetLosses).toEqual(whole.targetLosses);
  expect(v.decodeError).toBeUndefined();
  expect((v as { inputMismatch?: string }).inputMismatch).toBeUndefined();
  const seen = [...v.diff!.semantic, ...v.diff!.bytes].map(deltaId).sort();
  expect(seen).toEqual(plan.changes.map(deltaId).sort());
  // The check of the written file is that of the planned stream.
  expect(v.check!.findings.map((f) => f.message)).toEqual(checkStream(whole.stream, opts.target ? { target: opts.target } : {}).findings.map((f) => f.message));
  // The inferred check of the input, when there is one, is the real one.
  const real = checkStream(s, { locations: decodeStreamDetailed(input).locations });
  const inferred = inputCheckOf(v);
  if (inferred) expect(inferred.findings).toEqual(real.findings);
  // Where records change places, the first pass checks the input on the way.
  if (!pass.planner.keepsPlaces()) expect(pass.inputCheck!.findings).toEqual(real.findings);
  else expect(pass.inputCheck).toBeUndefined();
  expect(checkPass(chunks(input, 41)).findings).toEqual(real.findings);
  return { v, plan, out, pass, inferred };
}

const OPTION_SETS: ConvertOptions[] = [
  { byteOrder: 'big' },
  { byteOrder: 'little' },
  { toVersion: 1, force: true },
  { toVersion: 2, byteOrder: 'big', force: true },
  { target: 'xen-4.17', force: true },
  { target: 'spec-v2', byteOrder: 'big' },
  // A repair: records change places (canonical framing, short headers rewritten), domains a
  // 4.21+ reader would abort on are dropped, and so are the bytes after END.
  { repair: true, assumeDepth: 'unlimited', force: true },
  { repair: true, assumeDepth: 3, toVersion: 1, byteOrder: 'big', force: true },
];

describe('raw conversion path = model path', () => {
  for (const name of CAPTURES) {
    for (const opts of OPTION_SETS) {
      it(`${name} ${JSON.stringify(opts)}`, () => {
        const input = cap(name);
        const { pass } = agree(input, opts);
        // The bulk really goes raw (every node) where records keep their places; elsewhere
        // every record is decoded, to check the input on the way.
        const nodes = decodeStream(input).records.filter((r) => r.type === 'NODE_DATA').length;
        if (pass.planner.keepsPlaces()) expect(pass.rawRecords).toBeGreaterThanOrEqual(nodes);
        else expect(pass.rawRecords).toBe(0);
        expect(hex(fast(input, opts, 4096).out)).toBe(hex(slow(input, opts)));
      });
    }
  }

  it('a byte-order conversion of a clean capture infers the check of its input (one checker pass)', () => {
    const { inferred, pass } = agree(cap('head-v2-basic'), { byteOrder: 'big' });
    expect(inferred).toEqual({ findings: [], ok: true });
    // Pending wire messages are swapped by the planner: connections are decoded, nodes are not.
    expect(pass.rawRecords).toBeLessThan(pass.records);
  });

  it('a version-1 stream holding an extended watch (Xen 4.22 -v 1): converted in place of version, it shrinks', () => {
    const s: Stream = {
      header: { version: 1, byteOrder: 'little', reservedFlags: 0 },
      records: [
        { type: 'CONNECTION_DATA', connId: 5, connType: 0, fields: 0, connSpec: { domid: 1, tdomid: 0x7ff4, evtchn: 3 }, outRespLen: 0, inData: new Uint8Array(0), outData: new Uint8Array(0) },
        { type: 'WATCH_DATA_EXTENDED', connId: 5, depth: 2, wpath: '/local/domain/1', token: 'tok' },
        { type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: [{ perm: 'n', flags: 0, domid: 0 }], path: '/', value: new Uint8Array(0) },
        { type: 'END' },
      ],
    };
    const { pass, v } = agree(encodeStream(s), { byteOrder: 'big', force: true });
    expect(pass.planner.keepsPlaces()).toBe(false);
    expect(v.diff!.semantic.map((d) => d.field)).toContain('record');
  });

  it('golden vectors, to the other byte order and to version 1', () => {
    let n = 0;
    for (const v of loadGoldenVectors()) {
      let s: Stream;
      try {
        s = decodeStream(v.hex.bytes);
      } catch {
        continue;
      }
      agree(v.hex.bytes, { byteOrder: v.order === 'little' ? 'big' : 'little', force: true }, 5);
      if (s.header.version === 2) agree(v.hex.bytes, { toVersion: 1, force: true }, 11);
      n++;
    }
    expect(n).toBeGreaterThan(30);
  });

  it('generated streams, canonical and not (odd len, padding, unterminated strings, trailing bytes, short headers)', () => {
    const optsArb = fc.constantFrom<ConvertOptions>(...OPTION_SETS, { byteOrder: 'little', toVersion: 2, force: true });
    let trailingDropped = 0;
    fc.assert(
      fc.property(fc.oneof(streamArbitrary(), streamArbitrary({ nonCanonical: true })), optsArb, fc.integer({ min: 1, max: 200 }), (s, opts, size) => {
        const { pass } = agree(encodeStream(s), opts, size);
        if (opts.repair && pass.trailingCount) trailingDropped++;
      }),
      { numRuns: 200 },
    );
    // (A repair dropped the bytes after END of some of them.)
    expect(trailingDropped).toBeGreaterThan(0);
  });

  it('a repair that drops DOMAIN_DATA records (domains that show up nowhere else) and the bytes after END', () => {
    const ring = (connId: number, domid: number): XsRecord => ({
      type: 'CONNECTION_DATA', connId, connType: 0, fields: 0, connSpec: { domid, tdomid: 0x7ff4, evtchn: 3 }, outRespLen: 0, inData: new Uint8Array(0), outData: new Uint8Array(0),
    });
    const node = (path: string, owner: number): XsRecord => ({ type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: [{ perm: 'n', flags: 0, domid: owner }], path, value: new Uint8Array(0) });
    const domain = (domainId: number): XsRecord => ({ type: 'DOMAIN_DATA', domainId, features: 0, quotas: [] });
    const s: Stream = {
      header: { version: 2, byteOrder: 'little', reservedFlags: 0 },
      records: [ring(1, 1), domain(9), node('/', 0), node('/local', 0), node('/local/domain/2', 2), domain(1), domain(7), domain(2), domain(8), { type: 'END' }],
      trailing: Uint8Array.from([1, 2, 3]),
    };
    for (const opts of [{ repair: true, force: true }, { repair: true, force: true, byteOrder: 'big' as const }, { repair: true, force: true, toVersion: 1 as const }]) {
      for (const size of [3, 37, 4096]) {
        const { pass, v, plan } = agree(encodeStream(s), opts, size);
        expect(pass.dropped).toEqual([1, 6, 8]);
        expect(v.diff!.semantic.filter((d) => d.field === 'exists').map((d) => d.key)).toEqual(['domain 9', 'domain 7', 'domain 8']);
        expect(plan.changes.some((c) => c.field === 'trailing')).toBe(true);
      }
    }
  });
});

describe('raw conversion path: faults', () => {
  const outcome = (f: () => Uint8Array): unknown => {
    try {
      return { ok: hex(f()) };
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      return { offset: e.offset, recordIndex: e.recordIndex, recordType: e.recordType, field: e.field, message: e.message };
    }
  };
  it('hostile mutations: the DecodeError of convertPass (offset, record index, field), or its bytes', () => {
    const corpus = seedCorpus(13, 2);
    const r = rngFrom(13);
    let failed = 0;
    for (let i = 0; i < 400; i++) {
      const seed = corpus[i % corpus.length]!;
      const donor = corpus[(i * 5 + 1) % corpus.length]!;
      const { bytes } = mutateOnce(seed.bytes, donor.bytes, r, MUTATIONS[i % MUTATIONS.length]!);
      let got: unknown;
      try {
        got = outcome(() => fast(bytes, { byteOrder: 'big', force: true }, 1 + (i % 97)).out);
      } catch (e) {
        // No plan for this header (a version other than 1 and 2): the CLI then takes the model
        // path (convertPass), which reads on and reports the plan's failure or a fault.
        if (!(e instanceof ConvertError)) throw e;
        expect(() => convertPass(chunks(bytes, 64), { byteOrder: 'big' }).planError).not.toThrow(ConvertError);
        continue;
      }
      const want = outcome(() => slow(bytes, { byteOrder: 'big', force: true }));
      if (!('ok' in (want as object))) failed++;
      expect(got).toEqual(want);
    }
    expect(failed).toBeGreaterThan(80);
  });
});

describe('verifyInPlace sees a written file that is not the input', () => {
  const input = cap('head-v2-basic');
  const { out } = fast(input, { byteOrder: 'big' }, 4096);
  // (A node whose first permission's domid reads differently swapped: not 0, not 0x0101...)
  const nodeAt = (b: Uint8Array): number =>
    decodeStreamDetailed(b).locations[decodeStream(b).records.findIndex((x) => x.type === 'NODE_DATA' && x.perms.length > 0 && (x.perms[0]!.domid & 0xff) !== x.perms[0]!.domid >> 8)]!.offset;

  it('a permission domid left unswapped shows as a changed permission', () => {
    const bad = Buffer.from(out);
    const at = nodeAt(bad) + 8 + 16 + 2; // first permission's domid (u16)
    const t = bad[at]!;
    bad[at] = bad[at + 1]!;
    bad[at + 1] = t;
    const v = verifyInPlace(readerOf(bad, 1000), fileOf(input));
    const unplanned = v.diff!.semantic.filter((d) => d.field !== 'byte-order');
    expect(bad[at]).not.toBe(bad[at + 1]);
    expect(unplanned).toHaveLength(1);
    expect(unplanned[0]).toMatchObject({ section: 'node', field: 'perms' });
  });

  it('a changed padding byte shows as a framing difference', () => {
    const bad = Buffer.from(out);
    const s = decodeStreamDetailed(bad);
    const i = s.stream.records.findIndex((x, k) => x.type === 'NODE_DATA' && s.locations[k]!.wireLen > 8 + 16 + 4 * x.perms.length + x.path.length + 1 + x.value.length);
    const loc = s.locations[i]!;
    bad[loc.offset + loc.wireLen - 1] = 0x55;
    const v = verifyInPlace(readerOf(bad, 1000), fileOf(input));
    expect(v.diff!.bytes.map((d) => d.field)).toEqual(['padding']);
  });

  it('a written file cut short does not decode; records of another size do not match', () => {
    const v = verifyInPlace(readerOf(out.subarray(0, out.length - 8), 1000), fileOf(input));
    expect(v.decodeError).toBeInstanceOf(DecodeError);
    const other = fast(input, { toVersion: 1, force: true }, 4096).out;
    const w = verifyInPlace(readerOf(other, 1000), fileOf(input));
    expect(w.inputMismatch ?? w.diff!.semantic.filter((d) => d.field !== 'version').length).toBeTruthy();
  });

  it('bytes after END are compared', () => {
    const longer = Buffer.concat([out, Buffer.from([1, 2, 3])]);
    const v = verifyInPlace(readerOf(longer, 1000), fileOf(input));
    expect(v.diff!.bytes).toMatchObject([{ field: 'trailing', old: null, new: '010203' }]);
  });
});

describe('PairedKeyCounter = two ItemKeyCounters', () => {
  it('gives the keys two counters give, also after pairs part (repeated watches, changed tokens)', () => {
    const w = (connId: number, wpath: string, token: string): XsRecord => ({ type: 'WATCH_DATA', connId, wpath, token });
    const a = [w(1, '/a', 't'), w(1, '/a', 't'), w(2, '/a', 't'), w(1, '/a', 't'), w(1, '/a', 'u'), w(1, '/a', 't'), w(1, '/a b', 'c')];
    const b = [w(1, '/a', 't'), w(1, '/a', 't'), w(2, '/a', 't'), w(1, '/a', 'x'), w(1, '/a', 'u'), w(1, '/a', 't'), w(1, '/a', 'b c')];
    const p = new PairedKeyCounter();
    const ka = new ItemKeyCounter(false);
    const kb = new ItemKeyCounter(false);
    a.forEach((x, i) => {
      const y = b[i]!;
      const want = [ka.next(x), kb.next(y)];
      if (i < 3) {
        p.same(x);
        return;
      }
      expect(p.keys(x, y)).toEqual(want);
    });
    // Records on one side only (a written file cut short, or longer).
    const q = new PairedKeyCounter();
    const qa = new ItemKeyCounter(false);
    const qb = new ItemKeyCounter(false);
    q.same(a[0]!);
    qa.next(a[0]!);
    qb.next(a[0]!);
    expect(q.one(0, a[1]!)).toEqual(qa.next(a[1]!));
    expect(q.one(1, a[1]!)).toEqual(qb.next(a[1]!));
    expect(q.one(1, a[1]!)).toEqual(qb.next(a[1]!));
    expect(q.keys(a[1]!, a[1]!)).toEqual([qa.next(a[1]!), qb.next(a[1]!)]);
  });
});
