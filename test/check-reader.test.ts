// CheckReader (what `xsmig check` runs: a NODE_DATA or WATCH_DATA checked from its bytes when it
// is canonical and no rule has anything to say, everything else decoded) against the plain way it replaces: every record
// decoded by the StreamReader and handed to StreamChecker.visit. Same findings (rule, message,
// place), same losses for every target, same record and trailing counts, same DecodeError, on the
// captures, the golden vectors, generated streams, streams of nodes and watches built to hit
// every branch of the fast paths, and hostile mutations of all of them; the input cut into chunks at random
// places and read through a small window (so that it is moved and grown); with and without
// locations (byte offsets in the findings).

import * as fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { CheckReader, StreamChecker, TARGET_NAMES, type CheckerOptions, type TargetName } from '../src/check/index.js';
import { streamArbitrary } from '../src/model/arbitraries.js';
import { encodeStream } from '../src/model/encode.js';
import { generateRealistic, mulberry32 } from '../src/model/realistic.js';
import { StreamReader } from '../src/model/stream-reader.js';
import type { StreamHeader } from '../src/model/types.js';
import { DecodeError } from '../src/wire/errors.js';
import { loadGoldenVectors } from './helpers/annotated-hex.js';
import { connection, cstr, domain, end, globalData, header, node, record, ring, socket, stream, T, transaction, u16, u32, watch, watchExt, watchExtXen422, type Bytes, type Perm } from './helpers/assemble.js';
import { captureSeeds, mutate, seedCorpus } from './helpers/hostile.js';

type Outcome = { error: string } | { header: StreamHeader; records: number; trailing: number; findings: unknown; losses: unknown; ok: boolean };

function fail(e: unknown): Outcome {
  if (e instanceof DecodeError) return { error: e.message };
  throw e;
}

/** The definition: every record decoded by the StreamReader and visited. */
function plain(bytes: Uint8Array, opts: CheckerOptions, locations = true): Outcome {
  try {
    let checker: StreamChecker | undefined;
    let head: StreamHeader | undefined;
    let records = 0;
    let trailing = 0;
    const r = new StreamReader({
      onHeader: (h) => {
        head = h;
        checker = new StreamChecker(h, opts);
      },
      onRecord: (rec, loc) => {
        records++;
        checker!.visit(rec, locations ? loc : undefined);
      },
      onTrailing: (n) => {
        trailing = n;
      },
    });
    r.push(bytes);
    r.end();
    const report = checker!.finish({ length: trailing });
    return { header: head!, records, trailing, findings: report.findings, losses: report.losses, ok: report.ok };
  } catch (e) {
    return fail(e);
  }
}

/**
 * Through CheckReader: `bytes` cut at random places, given by push() or written into room()
 * (alternately), with a window of `window` bytes.
 */
function fast(bytes: Uint8Array, opts: CheckerOptions, rnd: () => number, window: number, locations = true): Outcome {
  try {
    const reader = new CheckReader(opts, window, { locations });
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(bytes.length - at, 1 + Math.floor(rnd() * 3 * window));
      if (rnd() < 0.5) {
        reader.push(bytes.subarray(at, at + n));
        at += n;
      } else {
        const room = reader.room();
        const k = Math.min(n, room.length);
        room.set(bytes.subarray(at, at + k));
        reader.wrote(k);
        at += k;
      }
    }
    const c = reader.finish();
    return { header: c.header, records: c.records, trailing: c.trailing, findings: c.report.findings, losses: c.report.losses, ok: c.report.ok };
  } catch (e) {
    return fail(e);
  }
}

function same(bytes: Uint8Array, seed: number, what: string, target?: TargetName): void {
  const opts: CheckerOptions = target ? { target, inputSize: bytes.length } : {};
  const want = plain(bytes, opts);
  const rnd = mulberry32(seed);
  for (const window of [16, 40 + Math.floor(rnd() * 200), 1 << 16]) {
    expect(fast(bytes, opts, rnd, window), `${what} (window ${window}, target ${target ?? 'none'})`).toEqual(want);
  }
  // Without locations (convert's verify stage): findings name records only, as visit() without them.
  expect(fast(bytes, opts, rnd, 1 << 12, false), `${what} (no locations, target ${target ?? 'none'})`).toEqual(plain(bytes, opts, false));
}

/** Node-heavy streams: every field the fast path reads, right and wrong. */
const NAMES = ['a', 'b', 'ab', 'x1', 'local', 'domain', '0', '7', '', 'a b', 'é', 'a\0b', '@x', 'p-q_r'];
const pathArb = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.constantFrom(...NAMES.slice(0, 7)), { minLength: 1, maxLength: 4 }).map((cs) => `/${cs.join('/')}`) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(...NAMES), { minLength: 0, maxLength: 4 }).map((cs) => `/${cs.join('/')}`) },
  { weight: 1, arbitrary: fc.constantFrom('/', '//', '/a/', 'rel', '@releaseDomain', '@introduceDomain', '@a/', '@a//b', '@a b', '@', '', `/${'z'.repeat(3100)}`, `/${'y/'.repeat(1600)}y`) },
);
const permArb: fc.Arbitrary<Perm> = fc.tuple(
  fc.oneof({ weight: 8, arbitrary: fc.constantFrom('n', 'r', 'w', 'b') }, { weight: 1, arbitrary: fc.constantFrom('x', '\0', 'N') }),
  fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 0x80) }),
  fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom(0x7ff4, 0x7ff5, 0x7ff0, 0xffff) }),
);
const nodeArb = fc.record({
  path: pathArb,
  perms: fc.oneof({ weight: 8, arbitrary: fc.array(permArb, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant([]) }),
  value: fc.uint8Array({ maxLength: 12 }),
  odd: fc.oneof(
    { weight: 10, arbitrary: fc.constant('none') },
    { weight: 1, arbitrary: fc.constantFrom('conn', 'tx', 'access', 'len', 'len-odd', 'padding', 'unterminated', 'nul-early') },
  ),
});

function nodeBytes(n: { path: string; perms: Perm[]; value: Uint8Array; odd: string }): Bytes {
  const value = [...n.value];
  const path = cstr(n.path);
  const body = 16 + 4 * n.perms.length + path.length + value.length;
  switch (n.odd) {
    case 'conn':
      return node(n.path, { perms: n.perms, value, connId: 1, txId: 1 });
    case 'tx':
      return node(n.path, { perms: n.perms, value, txId: 3 });
    case 'access':
      return node(n.path, { perms: n.perms, value, access: 2 });
    case 'len':
      return node(n.path, { perms: n.perms, value, len: Math.ceil(body / 8) * 8 + 8, tail: new Array<number>(Math.ceil(body / 8) * 8 + 8 - body).fill(0) });
    case 'len-odd':
      return node(n.path, { perms: n.perms, value, len: body });
    case 'padding':
      return body % 8 === 0 ? node(n.path, { perms: n.perms, value, len: body + 8, tail: [0, 0, 0, 0, 0, 0, 0, 1] }) : node(n.path, { perms: n.perms, value, tail: [...new Array<number>(7 - (body % 8)).fill(0), 9] });
    case 'unterminated':
      return node(n.path, { perms: n.perms, value: [], rawPath: path.slice(0, -1) });
    case 'nul-early':
      return node(n.path, { perms: n.perms, value, rawPath: [...path.slice(0, 1), 0, ...path.slice(1)] });
    default:
      return node(n.path, { perms: n.perms, value });
  }
}

/** Watches: known and unknown connections, repeats, relative and odd paths, odd framing. */
const watchArb = fc.record({
  connId: fc.constantFrom(1, 1, 2, 9),
  wpath: fc.oneof(pathArb, fc.constantFrom('@releaseDomain', 'device', 'a//b', 'a/', '', 'x\0y')),
  token: fc.constantFrom('t', '', 'tok\0en', 'T1', '\u00ff'),
  odd: fc.oneof({ weight: 8, arbitrary: fc.constant('none') }, { weight: 1, arbitrary: fc.constantFrom('len', 'padding', 'unterminated', 'short') }),
  // WATCH_DATA_EXTENDED: depth (0xffff unlimited; 1600 more than any path below a long wpath
  // can have), pad, or as Xen 4.22 writes it.
  ext: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.record({ depth: fc.constantFrom(0, 1, 5, 0xffff, 1530, 1600), pad: fc.constantFrom(0, 0, 0, 9), xen422: fc.boolean() }) }),
});

function watchBytes(w: { connId: number; wpath: string; token: string; odd: string; ext?: { depth: number; pad: number; xen422: boolean } | null }): Bytes {
  if (w.ext) return w.ext.xen422 ? watchExtXen422(w.connId, w.wpath, w.token) : watchExt(w.connId, w.wpath, w.token, w.ext.depth, w.ext.pad);
  const p = cstr(w.wpath);
  const t = cstr(w.token);
  const body = [...u32(w.connId), ...u16(p.length), ...u16(t.length), ...p, ...t];
  const pad = new Array<number>(Math.ceil(body.length / 8) * 8 - body.length).fill(0);
  switch (w.odd) {
    case 'len':
      return record(T.WATCH_DATA, body, { len: body.length + pad.length + 8, tail: [...pad, 0, 0, 0, 0, 0, 0, 0, 0] });
    case 'padding':
      return record(T.WATCH_DATA, body, { len: body.length + pad.length + 8, tail: [...pad, 0, 0, 0, 7, 0, 0, 0, 0] });
    case 'unterminated':
      return watch(w.connId, p, t.slice(0, -1));
    case 'short':
      return record(T.WATCH_DATA, body.slice(0, 6), { len: 6 });
    default:
      return watch(w.connId, w.wpath, w.token);
  }
}

const nodeStreamArb = fc.record({
  version: fc.constantFrom(1, 2),
  withTx: fc.boolean(),
  nodes: fc.array(nodeArb, { maxLength: 40 }),
  watches: fc.array(watchArb, { maxLength: 8 }),
  tree: fc.boolean(),
});

type NodeStream = { version: number; withTx: boolean; nodes: { path: string; perms: Perm[]; value: Uint8Array; odd: string }[]; watches?: Parameters<typeof watchBytes>[0][]; tree: boolean };

function nodeStream(s: NodeStream): Uint8Array {
  const parts: Bytes[] = [header(s.version), globalData(), ring(1, 1)];
  parts.push(...(s.watches ?? []).map(watchBytes));
  if (s.withTx) parts.push(transaction(1, 1));
  // `tree`: a tree-order prefix first (root, then every ancestor before its children), as
  // streams really are; the random nodes follow.
  if (s.tree) {
    parts.push(node('/'));
    const seen = new Set<string>(['/']);
    for (const n of s.nodes) {
      const cs = n.path.split('/').slice(1);
      if (cs.length > 6) continue;
      for (let i = 1; i <= cs.length; i++) {
        const p = `/${cs.slice(0, i).join('/')}`;
        if (!seen.has(p) && /^(\/[a-z0-9]+)+$/.test(p)) {
          seen.add(p);
          parts.push(node(p, { perms: [['b', 0, i]], value: [...u16(i)] }));
        }
      }
    }
  }
  parts.push(...s.nodes.map(nodeBytes), end());
  return stream(...parts);
}

/** Connections: every field the fast path reads, right and wrong. */
const connArb = fc.record({
  kind: fc.constantFrom('ring', 'ring', 'socket', 'other'),
  connId: fc.constantFrom(0, 1, 2, 3, 3, 7),
  domid: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 6 }) }, { weight: 1, arbitrary: fc.constantFrom(0x7ff0, 0x7ff4, 0x7fff) }),
  tdomid: fc.constantFrom(0x7ff4, 0x7ff4, 1, 0x7ff0, 0x7ff5),
  pad: fc.constantFrom(0, 0, 0, 5),
  fields: fc.constantFrom(0, 0, 1, 2),
  uniqueId: fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { nil: undefined }),
  inData: fc.uint8Array({ maxLength: 20 }),
  out: fc.constantFrom('none', 'whole', 'rest', 'cut-header', 'overlong', 'rest-over'),
});
type ConnPlan = typeof connArb extends fc.Arbitrary<infer C> ? C : never;

function connBytes(c: ConnPlan): Bytes {
  const msg = (payload: number[], declared = payload.length): number[] => [...u32(2), ...u32(7), ...u32(0), ...u32(declared), ...payload];
  const out: Record<string, { outData: number[]; outRespLen: number }> = {
    none: { outData: [], outRespLen: 0 },
    whole: { outData: [...msg([0x4f, 0x4b, 0]), ...msg([])], outRespLen: 0 },
    rest: { outData: [1, 2, 3, 4, 5, ...msg([9])], outRespLen: 5 },
    'cut-header': { outData: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], outRespLen: 0 },
    overlong: { outData: msg([1, 2, 3], 100), outRespLen: 0 },
    'rest-over': { outData: [1, 2, 3, 4], outRespLen: 9 },
  };
  const o = { fields: c.fields, inData: [...c.inData], ...out[c.out]!, ...(c.uniqueId === undefined ? {} : { uniqueId: c.uniqueId }) };
  if (c.kind === 'ring') return ring(c.connId, c.domid, { ...o, tdomid: c.tdomid });
  if (c.kind === 'socket') return socket(c.connId, 9, { ...o, pad: c.pad });
  return connection(c.connId, 2, [1, 2, 3, 4, 5, 6, 7, 8], o);
}

/** Domains: ids seen or not, features, quotas, framing. */
const domainArb = fc.record({
  domid: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 7 }) }, { weight: 1, arbitrary: fc.constant(0x7ff0) }),
  features: fc.constantFrom(0, 0, 14, 14, 1, 0x1e),
  quotas: fc.constantFrom<[string, number][]>([], [], [['nodes', 1000]], [['nodes', 2000], ['watches', 256]], [['soft-x', 0]], [['nodes', 1], ['nodes', 2]], [['permissions', 5]], [['soft-memory', 9]]),
  odd: fc.constantFrom('none', 'none', 'none', 'len', 'padding'),
});
type DomainPlan = typeof domainArb extends fc.Arbitrary<infer D> ? D : never;

function domainBytes(d: DomainPlan): Bytes {
  if (d.odd === 'none') return domain(d.domid, d.features, d.quotas);
  const body = [...u16(d.domid), ...u16(0), ...u32(d.features)];
  return record(T.DOMAIN_DATA, body, d.odd === 'len' ? { len: 16, tail: new Array<number>(8).fill(0) } : { len: 16, tail: [0, 0, 0, 0, 0, 3, 0, 0] });
}

/** Connections, domains, nodes owned by domains and watches, in any order. */
const refsStreamArb = fc.record({
  version: fc.constantFrom(1, 2),
  items: fc.array(
    fc.oneof(
      { weight: 3, arbitrary: connArb.map((c) => connBytes(c)) },
      { weight: 3, arbitrary: domainArb.map((d) => domainBytes(d)) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 7 }).map((d) => node(`/d${d}`, { perms: [['b', 0, d]] })) },
      { weight: 1, arbitrary: watchArb.map((w) => watchBytes(w)) },
    ),
    { maxLength: 16 },
  ),
});

describe('CheckReader: findings equal to decoding every record and visiting it', () => {
  it('the captures, with every target', () => {
    for (const [i, c] of captureSeeds().entries()) {
      same(c.bytes, i, c.name);
      for (const t of TARGET_NAMES) same(c.bytes, i, c.name, t);
    }
  });

  it('the golden vectors', () => {
    for (const [i, v] of loadGoldenVectors().entries()) same(new Uint8Array(v.hex.bytes), i, v.file);
  });

  it('a realistic stream of a few hundred nodes, big- and little-endian', () => {
    for (const byteOrder of ['little', 'big'] as const) {
      const parts: Uint8Array[] = [];
      generateRealistic({ domains: 8, seed: 5, byteOrder }, (c) => parts.push(Uint8Array.from(c)));
      const bytes = Uint8Array.from(Buffer.concat(parts));
      same(bytes, 1, `realistic ${byteOrder}`);
      same(bytes, 2, `realistic ${byteOrder}`, 'xen-4.21');
      // (and the fast path did take nearly all of it: only the other records were visited)
      const visit = vi.spyOn(StreamChecker.prototype, 'visit');
      const got = fast(bytes, {}, mulberry32(3), 4096);
      const visits = visit.mock.calls.length;
      visit.mockRestore();
      expect('records' in got && visits < got.records / 4, `${visits} records visited`).toBe(true);
    }
  });

  it('generated streams, canonical and not', () => {
    fc.assert(
      fc.property(streamArbitrary({ nonCanonical: true, counts: { nodes: 30 } }), fc.nat(), fc.constantFrom(undefined, ...TARGET_NAMES), (s, seed, target) => {
        same(encodeStream(s), seed, 'generated', target);
      }),
      { seed: 4417, numRuns: 150 },
    );
  });

  it('node-heavy streams with watches: clean and odd paths, permissions, framing, out of order', () => {
    fc.assert(
      fc.property(nodeStreamArb, fc.nat(), fc.constantFrom(undefined, undefined, 'xen-4.22' as const, 'spec-v2' as const), (s, seed, target) => {
        same(nodeStream(s), seed, 'nodes', target);
      }),
      { seed: 20261122, numRuns: 400 },
    );
  });

  it('connections, domains and the nodes they own: ids, conn-spec, pending data, features, quotas', () => {
    fc.assert(
      fc.property(refsStreamArb, fc.nat(), fc.constantFrom(undefined, ...TARGET_NAMES), (s, seed, target) => {
        same(stream(header(s.version), globalData(), node('/'), ...s.items, end()), seed, 'refs', target);
      }),
      { seed: 7, numRuns: 400 },
    );
  });

  it('hostile mutations of all of these', () => {
    const seeds = seedCorpus(77, 3);
    const r = mulberry32(99);
    for (const s of fc.sample(nodeStreamArb, { seed: 3, numRuns: 10 })) seeds.push({ name: 'nodes', bytes: nodeStream(s) });
    for (const s of fc.sample(refsStreamArb, { seed: 4, numRuns: 10 })) seeds.push({ name: 'refs', bytes: stream(header(s.version), globalData(), node('/'), ...s.items, end()) });
    for (let i = 0; i < 600; i++) {
      const base = seeds[i % seeds.length]!;
      const donor = seeds[(i * 7 + 3) % seeds.length]!;
      const m = mutate(base.bytes, donor.bytes, r);
      same(m.bytes, i, `${base.name}: ${m.how}`);
    }
  });

  it('a stream that ends between records, inside a record and inside the header: the same DecodeError', () => {
    const bytes = nodeStream({ version: 2, withTx: false, nodes: [], watches: [{ connId: 1, wpath: '/a', token: 't', odd: 'none' }], tree: true });
    for (let cut = 0; cut < bytes.length; cut++) same(bytes.subarray(0, cut), cut, `cut at ${cut}`);
  });

  it('is tested against something: a node the fast path would take wrongly shows as a difference', () => {
    // A duplicate committed node: the fast path must decline it so that the rule reports it.
    const bytes = stream(header(2), node('/'), node('/a'), node('/a'), end());
    const got = fast(bytes, {}, mulberry32(1), 64);
    expect(got).toEqual(plain(bytes, {}));
    expect(JSON.stringify(got)).toContain('nodes.duplicate-path');
  });
});
