// Hostile inputs: structure-aware mutations of valid streams, and the oracle every input must
// pass. Shared by test/hostile.test.ts (a short run with a fixed seed) and scripts/fuzz.ts
// (long runs).
//
// The oracle: decoding either succeeds or throws DecodeError (never another error); what
// decodes re-encodes to the same bytes, also through the JSON text; the chunked StreamReader
// agrees with the in-memory decoder; no case allocates much more than its input.

import { readFileSync, readdirSync } from 'node:fs';
import { fc, streamArbitrary } from '../../src/model/arbitraries.js';
import { decodeStream } from '../../src/model/decode.js';
import { encodeStream } from '../../src/model/encode.js';
import { streamFromJson, streamToJsonText } from '../../src/model/json.js';
import { generateRealistic, mulberry32 } from '../../src/model/realistic.js';
import { StreamReader } from '../../src/model/stream-reader.js';
import type { Stream, XsRecord } from '../../src/model/types.js';
import { recordTypeName, roundUp8 } from '../../src/wire/constants.js';
import { DecodeError } from '../../src/wire/errors.js';
import { LAYOUTS } from '../../src/wire/layout.js';
import { walkSpans } from '../../src/wire/spans.js';
import { comparable } from './model-eq.js';

// ---------------------------------------------------------------------------------------------
// Randomness (mulberry32: fast, and the same sequence for the same seed)

export type Rng = () => number;
export function rngFrom(seed: number): Rng {
  return mulberry32(seed);
}
const below = (r: Rng, n: number) => Math.floor(r() * n);
const choose = <T>(r: Rng, xs: readonly T[]): T => xs[below(r, xs.length)]!;

// ---------------------------------------------------------------------------------------------
// Seed corpus

export interface Seed {
  name: string;
  bytes: Uint8Array;
}

const capturesDir = new URL('../../fixtures/captures/', import.meta.url);
const crashesDir = new URL('../../fixtures/crashes/', import.meta.url);

export function captureSeeds(): Seed[] {
  return readdirSync(capturesDir)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => ({ name: `capture ${f}`, bytes: new Uint8Array(readFileSync(new URL(f, capturesDir))) }));
}

/** Inputs that once broke a rule of the oracle (kept as regression fixtures). */
export function crashFixtures(): Seed[] {
  let files: string[];
  try {
    files = readdirSync(crashesDir);
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(new URL(f, crashesDir))) }));
}

/** Small valid and non-canonical streams of every version and byte order, and the captures. */
export function seedCorpus(seed: number, perKind = 6): Seed[] {
  const out: Seed[] = [...captureSeeds()];
  let k = 0;
  for (const version of [1, 2] as const) {
    for (const byteOrder of ['little', 'big'] as const) {
      for (const nonCanonical of [false, true]) {
        const arb = streamArbitrary({ version, byteOrder, nonCanonical, counts: { nodes: 12, connections: 3 }, maxValueSize: 24 });
        for (const s of fc.sample(arb, { seed: seed + k++, numRuns: perKind })) {
          out.push({ name: `v${version} ${byteOrder}${nonCanonical ? ' odd' : ''}`, bytes: encodeStream(s) });
        }
      }
    }
  }
  const parts: Uint8Array[] = [];
  generateRealistic({ domains: 3, seed, byteOrder: 'big' }, (c) => parts.push(c));
  out.push({ name: 'realistic 3 guests', bytes: Buffer.concat(parts) });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Structure found leniently (also in mutated inputs): record frames and the int fields in them

export interface Frame {
  offset: number;
  typeCode: number;
  len: number;
  /** Offset of the next frame per len (may be past the end). */
  next: number;
}

export function frames(b: Uint8Array): { little: boolean; frames: Frame[] } {
  const out: Frame[] = [];
  if (b.length < 16) return { little: true, frames: out };
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const little = (view.getUint32(12, false) & 1) === 0;
  let at = 16;
  while (at + 8 <= b.length && out.length < 100000) {
    const typeCode = view.getUint32(at, little);
    const len = view.getUint32(at + 4, little);
    const next = at + 8 + roundUp8(len);
    out.push({ offset: at, typeCode, len, next });
    if (next > b.length) break;
    at = next;
  }
  return { little, frames: out };
}

interface IntSpan { start: number; size: number; name: string }

/** The integer fields of a record, per its layout, as far as they fit. */
function intSpans(b: Uint8Array, f: Frame, little: boolean): IntSpan[] {
  const name = recordTypeName(f.typeCode);
  if (name === undefined) return [];
  const start = f.offset + 8;
  const limit = Math.min(b.length, start + f.len);
  try {
    const { spans } = walkSpans(LAYOUTS[name], b, start, limit, little ? 'little' : 'big', { recordIndex: 0 });
    return spans.filter((s) => s.value !== undefined && s.end - s.start <= 4).map((s) => ({ start: s.start, size: s.end - s.start, name: s.name }));
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Mutations

const I8 = [0, 1, 0x7f, 0x80, 0xff];
const I16 = [0, 1, 2, 3, 7, 8, 9, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff];
const I32 = [0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffff8, 0xfffffffe, 0xffffffff];

function interesting(r: Rng, size: number, old: number): number {
  const max = size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  switch (below(r, 4)) {
    case 0: return choose(r, size === 1 ? I8 : size === 2 ? I16 : I32);
    case 1: return Math.max(0, Math.min(max, old + choose(r, [-8, -7, -4, -1, 1, 3, 4, 7, 8, 64, 4096])));
    case 2: return below(r, max + 1);
    default: return Math.min(max, old * 2 + 1);
  }
}

function writeInt(b: Uint8Array, at: number, size: number, v: number, little: boolean): void {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (size === 1) view.setUint8(at, v);
  else if (size === 2) view.setUint16(at, v, little);
  else view.setUint32(at, v >>> 0, little);
}
function readInt(b: Uint8Array, at: number, size: number, little: boolean): number {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return size === 1 ? view.getUint8(at) : size === 2 ? view.getUint16(at, little) : view.getUint32(at, little);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

export type MutationName =
  | 'bitflip' | 'byte' | 'truncate' | 'len' | 'field' | 'type' | 'splice-record' | 'delete-record'
  | 'duplicate-record' | 'swap-records' | 'splice-bytes' | 'insert-bytes' | 'delete-bytes' | 'header' | 'trailing';

export const MUTATIONS: MutationName[] = [
  'bitflip', 'byte', 'truncate', 'len', 'field', 'type', 'splice-record', 'delete-record',
  'duplicate-record', 'swap-records', 'splice-bytes', 'insert-bytes', 'delete-bytes', 'header', 'trailing',
];

/** One mutation of `input` (a copy is returned); `donor` supplies spliced bytes. */
export function mutateOnce(input: Uint8Array, donor: Uint8Array, r: Rng, kind: MutationName): { bytes: Uint8Array; how: string } {
  const b = Uint8Array.from(input);
  const { little, frames: fs } = frames(b);
  const anyFrame = () => (fs.length ? choose(r, fs) : undefined);
  switch (kind) {
    case 'bitflip': {
      const n = 1 + below(r, 4);
      const at: number[] = [];
      for (let i = 0; i < n && b.length; i++) {
        const p = below(r, b.length);
        b[p] ^= 1 << below(r, 8);
        at.push(p);
      }
      return { bytes: b, how: `bitflip at ${at.join(',')}` };
    }
    case 'byte': {
      if (!b.length) break;
      const p = below(r, b.length);
      b[p] = choose(r, I8);
      return { bytes: b, how: `byte ${p} = ${b[p]}` };
    }
    case 'truncate': {
      const p = below(r, b.length + 1);
      return { bytes: b.subarray(0, p), how: `truncate at ${p}` };
    }
    case 'len': {
      const f = anyFrame();
      if (!f) break;
      const v = interesting(r, 4, f.len);
      writeInt(b, f.offset + 4, 4, v, little);
      return { bytes: b, how: `len of record at ${f.offset} = 0x${v.toString(16)}` };
    }
    case 'field': {
      const f = anyFrame();
      if (!f) break;
      const spans = intSpans(b, f, little);
      if (!spans.length) break;
      const s = choose(r, spans);
      const v = interesting(r, s.size, readInt(b, s.start, s.size, little));
      writeInt(b, s.start, s.size, v, little);
      return { bytes: b, how: `${s.name} at ${s.start} = 0x${v.toString(16)}` };
    }
    case 'type': {
      const f = anyFrame();
      if (!f) break;
      const v = below(r, 3) === 0 ? interesting(r, 4, f.typeCode) : below(r, 10);
      writeInt(b, f.offset, 4, v, little);
      return { bytes: b, how: `type of record at ${f.offset} = ${v}` };
    }
    case 'splice-record': {
      const d = frames(donor).frames.filter((f) => f.next <= donor.length);
      const f = anyFrame();
      if (!d.length || !f) break;
      const rec = choose(r, d);
      return { bytes: concat(b.subarray(0, f.offset), donor.subarray(rec.offset, rec.next), b.subarray(f.offset)), how: `record ${rec.offset}..${rec.next} of donor inserted at ${f.offset}` };
    }
    case 'delete-record': {
      const f = anyFrame();
      if (!f) break;
      return { bytes: concat(b.subarray(0, f.offset), b.subarray(Math.min(b.length, f.next))), how: `record at ${f.offset} deleted` };
    }
    case 'duplicate-record': {
      const f = anyFrame();
      if (!f) break;
      const end = Math.min(b.length, f.next);
      return { bytes: concat(b.subarray(0, end), b.subarray(f.offset, end), b.subarray(end)), how: `record at ${f.offset} doubled` };
    }
    case 'swap-records': {
      const ok = fs.filter((f) => f.next <= b.length);
      if (ok.length < 2) break;
      let i = below(r, ok.length - 1);
      const x = ok[i]!;
      const y = ok[++i]!;
      return { bytes: concat(b.subarray(0, x.offset), b.subarray(y.offset, y.next), b.subarray(x.offset, x.next), b.subarray(y.next)), how: `records at ${x.offset} and ${y.offset} swapped` };
    }
    case 'splice-bytes': {
      if (!donor.length) break;
      const s = below(r, donor.length);
      const n = 1 + below(r, Math.min(64, donor.length - s));
      const p = below(r, b.length + 1);
      return { bytes: concat(b.subarray(0, p), donor.subarray(s, s + n), b.subarray(p)), how: `${n} donor bytes inserted at ${p}` };
    }
    case 'insert-bytes': {
      const p = below(r, b.length + 1);
      const ins = new Uint8Array(1 + below(r, 16)).map(() => choose(r, [0, 0, 0xff, below(r, 256)]));
      return { bytes: concat(b.subarray(0, p), ins, b.subarray(p)), how: `${ins.length} bytes inserted at ${p}` };
    }
    case 'delete-bytes': {
      if (!b.length) break;
      const p = below(r, b.length);
      const n = 1 + below(r, Math.min(16, b.length - p));
      return { bytes: concat(b.subarray(0, p), b.subarray(p + n)), how: `${n} bytes deleted at ${p}` };
    }
    case 'header': {
      if (b.length < 16) break;
      const which = below(r, 4);
      if (which === 0) b[below(r, 8)] ^= 1 << below(r, 8);
      else if (which === 1) writeInt(b, 8, 4, interesting(r, 4, readInt(b, 8, 4, false)), false);
      else if (which === 2) b[15] ^= 1; // the other byte order
      else writeInt(b, 12, 4, interesting(r, 4, readInt(b, 12, 4, false)), false);
      return { bytes: b, how: `header ${['ident', 'version', 'byte order', 'flags'][which]}` };
    }
    case 'trailing': {
      const t = new Uint8Array(1 + below(r, 24)).map(() => below(r, 256));
      return { bytes: concat(b, t), how: `${t.length} bytes appended` };
    }
  }
  // Not applicable to this input: fall back to a bit flip.
  return mutateOnce(input, donor, r, 'bitflip');
}

/** One to three stacked mutations. */
/**
 * `count` mutated copies of the corpus, every mutation kind in turn, seeded: the i-th takes
 * corpus[i] (cyclically) and a donor further on. For differential tests over hostile input.
 */
export function* mutatedCorpus(seed: number, count: number, perKind = 2): Generator<{ i: number; name: string; bytes: Uint8Array; how: string }> {
  const corpus = seedCorpus(seed, perKind);
  const r = rngFrom(seed);
  for (let i = 0; i < count; i++) {
    const a = corpus[i % corpus.length]!;
    const donor = corpus[(i * 7 + 3) % corpus.length]!;
    const { bytes, how } = mutateOnce(a.bytes, donor.bytes, r, MUTATIONS[i % MUTATIONS.length]!);
    yield { i, name: a.name, bytes, how };
  }
}

export function mutate(input: Uint8Array, donor: Uint8Array, r: Rng): { bytes: Uint8Array; how: string } {
  let cur = input;
  const hows: string[] = [];
  const n = 1 + (r() < 0.7 ? 0 : below(r, 3));
  for (let i = 0; i < n; i++) {
    const m = mutateOnce(cur, donor, r, choose(r, MUTATIONS));
    cur = m.bytes;
    hows.push(m.how);
  }
  return { bytes: cur, how: hows.join('; ') };
}

// ---------------------------------------------------------------------------------------------
// The oracle

export type FindingKind = 'crash' | 'reader-crash' | 'lossy' | 'json-error' | 'json-lossy' | 'encode-error' | 'reader-mismatch' | 'memory';

export interface Finding {
  kind: FindingKind;
  detail: string;
}

export interface Verdict {
  decoded: boolean;
  /** The DecodeError when the input was refused. */
  error?: DecodeError;
  stream?: Stream;
  finding?: Finding;
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `first difference at byte ${i} (input ${a.length} bytes, output ${b.length})`;
  return `lengths differ: input ${a.length} bytes, output ${b.length}`;
}
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
function describeError(e: unknown): string {
  const err = e as Error;
  return `${err?.name ?? typeof e}: ${err?.message ?? String(e)}\n${(err?.stack ?? '').split('\n').slice(1, 6).join('\n')}`;
}

/** The chunked reader's view of `bytes`, cut in pieces of `chunk` bytes. */
function readChunked(bytes: Uint8Array, chunk: number): { stream?: Stream; error?: unknown } {
  const records: XsRecord[] = [];
  let header: Stream['header'] | undefined;
  let trailing: Uint8Array | undefined;
  try {
    const reader = new StreamReader({
      onHeader: (h) => (header = h),
      onRecord: (r) => records.push(r),
      onTrailing: (_n, head) => (trailing = head),
    });
    for (let at = 0; at < bytes.length; at += chunk) reader.push(bytes.subarray(at, at + chunk));
    reader.end();
  } catch (e) {
    return { error: e };
  }
  const s: Stream = { header: header!, records };
  if (trailing) s.trailing = trailing;
  return { stream: s };
}

export interface OracleOptions {
  /** Check the chunked reader too (default true). */
  reader?: boolean;
  /** Chunk size for the reader (default 61, odd on purpose). */
  chunk?: number;
  /** Also check that arrayBuffers did not grow by more than this many bytes (default: off). */
  memoryLimit?: number;
  /** The codec under test (default: the real one; tests of the oracle itself swap it). */
  codec?: { decode: (b: Uint8Array) => Stream; encode: (s: Stream) => Uint8Array };
}

export function oracle(bytes: Uint8Array, o: OracleOptions = {}): Verdict {
  const ab0 = o.memoryLimit !== undefined ? process.memoryUsage().arrayBuffers : 0;
  const decode = o.codec?.decode ?? decodeStream;
  const encode = o.codec?.encode ?? encodeStream;
  let stream: Stream;
  try {
    stream = decode(bytes);
  } catch (e) {
    if (!(e instanceof DecodeError)) return { decoded: false, finding: { kind: 'crash', detail: describeError(e) } };
    const v: Verdict = { decoded: false, error: e };
    if (o.reader !== false && !o.codec) {
      const rd = readChunked(bytes, o.chunk ?? 61);
      if (rd.error !== undefined && !(rd.error instanceof DecodeError)) v.finding = { kind: 'reader-crash', detail: describeError(rd.error) };
      else if (rd.error === undefined) v.finding = { kind: 'reader-mismatch', detail: `decoder refused (${e.message}) but the reader accepted` };
      else if ((rd.error as DecodeError).message !== e.message) v.finding = { kind: 'reader-mismatch', detail: `decoder: ${e.message}\nreader:  ${(rd.error as DecodeError).message}` };
    }
    return memoryVerdict(v, bytes, ab0, o);
  }
  const v: Verdict = { decoded: true, stream };
  let out: Uint8Array;
  try {
    out = encode(stream);
  } catch (e) {
    v.finding = { kind: 'encode-error', detail: describeError(e) };
    return v;
  }
  if (!same(bytes, out)) {
    v.finding = { kind: 'lossy', detail: firstDifference(bytes, out) };
    return v;
  }
  try {
    const back = encode(streamFromJson(JSON.parse(streamToJsonText(stream))));
    if (!same(bytes, back)) {
      v.finding = { kind: 'json-lossy', detail: firstDifference(bytes, back) };
      return v;
    }
  } catch (e) {
    v.finding = { kind: 'json-error', detail: describeError(e) };
    return v;
  }
  if (o.reader !== false && !o.codec) {
    const rd = readChunked(bytes, o.chunk ?? 61);
    if (rd.error !== undefined) {
      v.finding = rd.error instanceof DecodeError
        ? { kind: 'reader-mismatch', detail: `decoder accepted but the reader refused: ${rd.error.message}` }
        : { kind: 'reader-crash', detail: describeError(rd.error) };
      return v;
    }
    const a = JSON.stringify(comparable(rd.stream));
    const b = JSON.stringify(comparable(stream));
    if (a !== b) v.finding = { kind: 'reader-mismatch', detail: 'the reader saw other records than the decoder' };
  }
  return memoryVerdict(v, bytes, ab0, o);
}

function memoryVerdict(v: Verdict, bytes: Uint8Array, ab0: number, o: OracleOptions): Verdict {
  if (o.memoryLimit === undefined || v.finding) return v;
  const grown = process.memoryUsage().arrayBuffers - ab0;
  if (grown > o.memoryLimit + 16 * bytes.length) v.finding = { kind: 'memory', detail: `array buffers grew by ${grown} bytes on a ${bytes.length}-byte input` };
  return v;
}
