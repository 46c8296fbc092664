// Hostile inputs, time-boxed for the normal suite (a few thousand cases, fixed seed; rerun
// with XSMIG_SEED=N, or for long runs `npm run fuzz -- --minutes N`). Every input must pass
// the oracle of test/helpers/hostile.ts: decode succeeds or throws DecodeError, never another
// error; what decodes re-encodes byte for byte (also through the JSON text); the chunked
// reader agrees. The CLI answers a refused input with exit 2 and one line, no stack trace.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeStream, decodeStreamDetailed } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { StreamReader } from '../src/model/stream-reader.js';
import { fc, streamArbitrary } from '../src/model/arbitraries.js';
import { DecodeError } from '../src/wire/errors.js';
import { LAYOUTS } from '../src/wire/layout.js';
import { walkSpans } from '../src/wire/spans.js';
import { recordTypeName } from '../src/wire/constants.js';
import { captureSeeds, crashFixtures, frames, mutate, oracle, rngFrom, seedCorpus, type Seed } from './helpers/hostile.js';

const SEED = Number(process.env.XSMIG_SEED ?? 20261122);
const corpus = seedCorpus(SEED, 3);
const artifacts = new URL('../test-artifacts/hostile/', import.meta.url).pathname;

interface Failure { case: string; kind: string; detail: string }

/** Runs the oracle on each input; failing inputs are saved under test-artifacts/hostile/. */
function check(inputs: Iterable<{ name: string; bytes: Uint8Array }>): { failures: Failure[]; decoded: number; refused: number; cases: number } {
  const failures: Failure[] = [];
  let decoded = 0;
  let refused = 0;
  let cases = 0;
  for (const { name, bytes } of inputs) {
    cases++;
    const v = oracle(bytes);
    if (v.decoded) decoded++;
    else refused++;
    if (v.finding) {
      mkdirSync(artifacts, { recursive: true });
      const file = join(artifacts, `${failures.length}.bin`);
      writeFileSync(file, bytes);
      failures.push({ case: `${name} (seed ${SEED}, saved as ${file})`, kind: v.finding.kind, detail: v.finding.detail.split('\n').slice(0, 3).join(' | ') });
    }
  }
  return { failures, decoded, refused, cases };
}

function header(order: 'little' | 'big', version = 2): Buffer {
  const h = Buffer.alloc(16);
  h.write('xenstore', 0, 'latin1');
  h.writeUInt32BE(version, 8);
  h.writeUInt32BE(order === 'big' ? 1 : 0, 12);
  return h;
}
function u32(v: number, order: 'little' | 'big'): Buffer {
  const b = Buffer.alloc(4);
  if (order === 'little') b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

describe('mutations of valid streams', () => {
  it('3000 random stacked mutations: DecodeError or a lossless decode; the reader agrees', () => {
    const r = rngFrom(SEED);
    function* cases() {
      for (let i = 0; i < 3000; i++) {
        const input = corpus[Math.floor(r() * corpus.length)]!;
        const donor = corpus[Math.floor(r() * corpus.length)]!;
        const m = mutate(input.bytes, donor.bytes, r);
        yield { name: `case ${i}: ${input.name}: ${m.how}`, bytes: m.bytes };
      }
    }
    const res = check(cases());
    expect(res.failures).toEqual([]);
    // Both outcomes are well represented (the mutations are neither all fatal nor all harmless).
    expect(res.decoded).toBeGreaterThan(res.cases * 0.1);
    expect(res.refused).toBeGreaterThan(res.cases * 0.3);
  });

  it('truncation at every offset: refused with an offset inside the input, until only trailing bytes go', () => {
    const smallest = captureSeeds().sort((a, b) => a.bytes.length - b.bytes.length)[0]!;
    const gen: Seed[] = (['little', 'big'] as const).flatMap((byteOrder) =>
      fc.sample(streamArbitrary({ byteOrder, version: 2, nonCanonical: true, counts: { nodes: 8, connections: 2 } }), { seed: SEED, numRuns: 2 })
        .map((s) => ({ name: `generated ${byteOrder}`, bytes: encodeStream(s) })),
    );
    const wrong: string[] = [];
    let cases = 0;
    for (const s of [smallest, ...gen]) {
      const { locations } = decodeStreamDetailed(s.bytes);
      const endOfEnd = locations.at(-1)!.offset + locations.at(-1)!.wireLen;
      for (let cut = 0; cut < s.bytes.length; cut++) {
        cases++;
        const bytes = s.bytes.subarray(0, cut);
        const v = oracle(bytes);
        if (v.finding) wrong.push(`${s.name} cut at ${cut}: ${v.finding.kind}: ${v.finding.detail.split('\n')[0]}`);
        else if (cut < endOfEnd && (v.decoded || v.error!.offset > cut)) wrong.push(`${s.name} cut at ${cut}: ${v.decoded ? 'decoded' : v.error!.message}`);
        else if (cut >= endOfEnd && !v.decoded) wrong.push(`${s.name} cut at ${cut} (only trailing bytes lost): ${v.error!.message}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(cases).toBeGreaterThan(5000);
  });

  it('len and every inner length or count set to 0, odd and huge values', () => {
    const bases = [corpus.find((s) => s.name.startsWith('capture head-v2-quota'))!, ...corpus.filter((s) => s.name === 'v2 big odd').slice(0, 1)];
    function* cases() {
      for (const base of bases) {
        const { little, frames: fs } = frames(base.bytes);
        const order = little ? 'little' : 'big';
        for (const f of fs.slice(0, 40)) {
          for (const v of [0, 1, 3, 7, 9, f.len - 1, f.len + 1, f.len + 8, 0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff]) {
            if (v < 0) continue;
            const b = Uint8Array.from(base.bytes);
            new DataView(b.buffer).setUint32(f.offset + 4, v, little);
            yield { name: `${base.name}: len of record at ${f.offset} = 0x${v.toString(16)}`, bytes: b };
          }
          const name = recordTypeName(f.typeCode);
          if (!name) continue;
          let spans;
          try {
            spans = walkSpans(LAYOUTS[name], base.bytes, f.offset + 8, f.offset + 8 + f.len, order, { recordIndex: 0 }).spans;
          } catch {
            continue; // (Xen 4.22 short-header record: not this layout)
          }
          for (const s of spans.filter((x) => /len|count|^n-/.test(x.name) && x.value !== undefined)) {
            const size = s.end - s.start;
            const max = size === 2 ? 0xffff : 0xffffffff;
            const old = Number(s.value);
            for (const v of [0, 1, 3, old - 1, old + 1, old + 7, max >>> 1, (max >>> 1) + 1, max]) {
              if (v < 0 || v > max) continue;
              const b = Uint8Array.from(base.bytes);
              const view = new DataView(b.buffer);
              if (size === 2) view.setUint16(s.start, v, little);
              else view.setUint32(s.start, v, little);
              yield { name: `${base.name}: ${s.name} at ${s.start} = 0x${v.toString(16)}`, bytes: b };
            }
          }
        }
      }
    }
    const res = check(cases());
    expect(res.failures).toEqual([]);
    expect(res.cases).toBeGreaterThan(1000);
  });

  it('every record given every type code (and 0xFFFFFFFF)', () => {
    const bases = corpus.filter((s) => s.name === 'v2 little odd' || s.name === 'v1 big').slice(0, 3);
    function* cases() {
      for (const base of bases) {
        const { little, frames: fs } = frames(base.bytes);
        for (const f of fs) {
          for (const t of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xffffffff]) {
            if (t === f.typeCode) continue;
            const b = Uint8Array.from(base.bytes);
            new DataView(b.buffer).setUint32(f.offset, t, little);
            yield { name: `${base.name}: record at ${f.offset} as type ${t}`, bytes: b };
          }
        }
      }
    }
    const res = check(cases());
    expect(res.failures).toEqual([]);
    expect(res.cases).toBeGreaterThan(300);
  });

  it('records spliced between streams (either byte order) at every record boundary', () => {
    const a = corpus.find((s) => s.name === 'v2 little odd')!;
    const b = corpus.find((s) => s.name === 'v2 big')!;
    function* cases() {
      for (const [into, from] of [[a, b], [b, a]] as const) {
        const at = frames(into.bytes).frames;
        const recs = frames(from.bytes).frames.filter((f) => f.next <= from.bytes.length).slice(0, 12);
        for (const f of at) {
          for (const rec of recs) {
            const bytes = Buffer.concat([into.bytes.subarray(0, f.offset), from.bytes.subarray(rec.offset, rec.next), into.bytes.subarray(f.offset)]);
            yield { name: `${from.name} record at ${rec.offset} into ${into.name} at ${f.offset}`, bytes };
          }
        }
      }
    }
    const res = check(cases());
    expect(res.failures).toEqual([]);
    expect(res.cases).toBeGreaterThan(100);
  });
});

describe('untrusted lengths allocate nothing', () => {
  it('a len of 0xFFFFFFFF (and other huge ones) fails fast with DecodeError on len, without growing memory', () => {
    const before = process.memoryUsage().arrayBuffers;
    let cases = 0;
    for (const order of ['little', 'big'] as const) {
      for (const type of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x1234, 0xffffffff]) {
        for (const len of [0xffffffff, 0xfffffff8, 0x80000000, 0x7fffffff, 0x10000000]) {
          const bytes = Buffer.concat([header(order), u32(type, order), u32(len, order), Buffer.alloc(64, 0x2f)]);
          cases++;
          let err: unknown;
          try {
            decodeStream(bytes);
          } catch (e) {
            err = e;
          }
          expect(err, `type ${type} len 0x${len.toString(16)}`).toBeInstanceOf(DecodeError);
          expect((err as DecodeError).field).toBe('len');
          expect((err as DecodeError).offset).toBe(20);
          // The chunked reader waits for the bytes len promises, then refuses the same way.
          const reader = new StreamReader({});
          for (let at = 0; at < bytes.length; at += 16) reader.push(bytes.subarray(at, at + 16));
          expect(() => reader.end()).toThrow(DecodeError);
        }
      }
    }
    expect(cases).toBe(120);
    // Nothing near the declared sizes was allocated (garbage included, no GC forced).
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
  });

  it('inner lengths and counts far beyond the record fail on the field that overruns', () => {
    const order = 'little';
    const node = (permCount: number, pathLen: number, valueLen: number) => {
      const body = Buffer.alloc(24);
      body.writeUInt16LE(pathLen, 8);
      body.writeUInt16LE(valueLen, 10);
      body.writeUInt16LE(permCount, 14);
      body.write('n\0\0\0/\0', 16, 'latin1');
      return Buffer.concat([u32(5, order), u32(24, order), body]);
    };
    const conn = (inLen: number, outLen: number) => {
      const body = Buffer.alloc(24);
      body.writeUInt32LE(1, 0);
      body.writeUInt16LE(inLen, 16);
      body.writeUInt32LE(outLen, 20);
      return Buffer.concat([u32(2, order), u32(24, order), body]);
    };
    const quota = (nDom: number, nGlob: number) => {
      const body = Buffer.alloc(16);
      body.writeUInt16LE(nDom, 0);
      body.writeUInt16LE(nGlob, 2);
      return Buffer.concat([u32(6, order), u32(16, order), body]);
    };
    const cases: [Buffer, string][] = [
      [node(0xffff, 2, 0), 'perms[2].perm'], // (8 bytes after the fixed part: room for two)
      [node(1, 0xffff, 0), 'path'],
      [node(1, 2, 0xffff), 'value'],
      [conn(0xffff, 0), 'inData'],
      [conn(0, 0xffffffff), 'outData'],
      [quota(0xffff, 0xffff), 'quotaVal[3]'],
    ];
    for (const [rec, field] of cases) {
      const bytes = Buffer.concat([header(order), rec, u32(0, order), u32(0, order)]);
      let err: unknown;
      try {
        decodeStream(bytes);
      } catch (e) {
        err = e;
      }
      expect(err, field).toBeInstanceOf(DecodeError);
      expect((err as DecodeError).field, field).toBe(field);
      expect(oracle(bytes).finding, field).toBeUndefined();
    }
  });
});

describe('fixtures/crashes: every input a run once found keeps passing the oracle', () => {
  const fixtures = crashFixtures();
  it('has the fixtures', () => expect(fixtures.length).toBeGreaterThan(0));
  for (const f of fixtures) {
    it(f.name, () => {
      const v = oracle(f.bytes, { memoryLimit: 64 << 20 });
      expect(v.finding).toBeUndefined();
    });
  }
});

describe('the oracle itself', () => {
  const good = corpus.find((s) => s.name === 'v2 little')!.bytes;
  it('reports an error other than DecodeError as a crash', () => {
    const v = oracle(good, { codec: { decode: () => { throw new TypeError('boom'); }, encode: encodeStream } });
    expect(v.finding?.kind).toBe('crash');
  });
  it('reports a decode that does not re-encode to the input as lossy', () => {
    const v = oracle(good, { codec: { decode: decodeStream, encode: (s) => encodeStream(s).subarray(1) } });
    expect(v.finding?.kind).toBe('lossy');
  });
  it('passes the real codec on a valid stream', () => {
    expect(oracle(good).finding).toBeUndefined();
  });
});

describe('the CLI on hostile files', () => {
  const main = new URL('../dist/cli/main.js', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'xsmig-hostile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A sample of refused and accepted mutants, the crash fixtures, and the classic traps.
  const r = rngFrom(SEED + 1);
  const refused: Uint8Array[] = [];
  const accepted: Uint8Array[] = [];
  while (refused.length < 5 || accepted.length < 2) {
    const m = mutate(corpus[Math.floor(r() * corpus.length)]!.bytes, corpus[0]!.bytes, r);
    const v = oracle(m.bytes, { reader: false });
    if (v.decoded && accepted.length < 2) accepted.push(m.bytes);
    else if (!v.decoded && refused.length < 5) refused.push(m.bytes);
  }
  const capture = captureSeeds()[0]!.bytes;
  refused.push(capture.subarray(0, 1000), Buffer.concat([header('little'), u32(5, 'little'), u32(0xffffffff, 'little')]), Buffer.from('not a stream at all\n'), new Uint8Array(0));
  for (const f of crashFixtures()) (oracle(f.bytes, { reader: false }).decoded ? accepted : refused).push(f.bytes);

  it('answers each refused file with exit 2 and exactly one line on stderr, no stack trace', () => {
    refused.forEach((bytes, i) => {
      const file = join(dir, `refused-${i}.bin`);
      writeFileSync(file, bytes);
      const p = spawnSync(process.execPath, [main, 'decode', file], { encoding: 'utf8' });
      expect(p.status, `${file}: ${p.stderr}`).toBe(2);
      expect(p.stderr).toMatch(/^xsmig: [^\n]+: not a decodable stream: at byte \d+ [^\n]+\n$/);
      expect(p.stderr).not.toMatch(/\bat .+:\d+:\d+/);
      expect(p.stdout).toBe('');
    });
  });

  it('the same on standard input', () => {
    const p = spawnSync(process.execPath, [main, 'decode', '-'], { input: refused[0], encoding: 'utf8' });
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(/^xsmig: <stdin>: not a decodable stream: [^\n]+\n$/);
  });

  it('prints the JSON form of each accepted mutant (exit 0)', () => {
    accepted.forEach((bytes, i) => {
      const file = join(dir, `accepted-${i}.bin`);
      writeFileSync(file, bytes);
      const p = spawnSync(process.execPath, [main, 'decode', file], { encoding: 'utf8' });
      expect(p.status, p.stderr).toBe(0);
      expect(JSON.parse(p.stdout).format).toBe('xsmig-stream/1');
    });
  });
});
