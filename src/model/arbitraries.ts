// fast-check arbitraries for the model (package subpath `xsmig/arbitraries`): one per record
// type, and whole streams that are valid by construction, for round-trip and fuzz tests of
// this codec and of other xenstored implementations.
//
// Every value generated is in the form the decoder gives back (extras such as `len`,
// `padding`, `pad` are present only when they carry an anomaly), so that
// decode(encode(x)) deep-equals x. With `nonCanonical: true` they also hold the decodable
// oddities a codec must keep: a declared `len` larger than the body or not padded, non-zero
// padding and reserved fields, strings without their NUL, unknown record types, reserved
// header flag bits, bytes after END, and Xen 4.22's short-header WATCH_DATA_EXTENDED.

import * as fc from 'fast-check';
import { DEPTH_UNLIMITED, DOMID, XENSTORED_QUOTA_NAMES, type ByteOrder, roundUp8 } from '../wire/constants.js';
import { writeBody } from '../wire/encode-body.js';
import { LAYOUTS, WATCH_DATA_EXTENDED_SHORT } from '../wire/layout.js';
import { BinaryWriter } from '../wire/writer.js';
import { encodeStream } from './encode.js';
import {
  SHORT_HEADER_DEFECT,
  type ConnectionData,
  type DomainData,
  type EndRecord,
  type GlobalData,
  type GlobalQuotaData,
  type NodeData,
  type Permission,
  type Quota,
  type RecordOf,
  type Stream,
  type TransactionData,
  type UnknownRecord,
  type WatchData,
  type WatchDataExtended,
  type XsRecord,
} from './types.js';
import { modelToWire } from './wire-model.js';

export type Arbitrary<T> = fc.Arbitrary<T>;

/** Options of the single-record arbitraries. */
export interface RecordArbitraryOptions {
  /** Stream version the record is meant for: 1 keeps DOMAIN_DATA `features` at 0. Default: any. */
  version?: 1 | 2;
  /** Largest node value, in-data and out-data, in bytes (default 64, at most 65535). */
  maxValueSize?: number;
  /** Longest path, token and quota name, in characters (default 24). */
  maxStringLength?: number;
  /** Add the decodable oddities listed at the top of this module (default false). */
  nonCanonical?: boolean;
}

/** A count: a maximum, or a range. */
export type Count = number | { min?: number; max: number };

export interface StreamCounts {
  /** Connections (ring and socket) besides dom0's ring connection, always present. Default 0..4. */
  connections?: Count;
  /** Committed nodes below `/` (besides `/` itself). Default 0..20. */
  nodes?: Count;
  /** Watches per connection. Default 0..3. */
  watches?: Count;
  /** Open transactions per connection. Default 0..2. */
  transactions?: Count;
  /** Nodes per transaction. Default 0..3. */
  transactionNodes?: Count;
  /** Domains that own nodes without having a ring connection. Default 0: Xen 4.17 refuses
   * such a stream ("write node error restoring node"); the 4.21+ daemons read it. */
  extraDomains?: Count;
  /** Quotas per GLOBAL_QUOTA_DATA list and per DOMAIN_DATA. Default 0..4. */
  quotas?: Count;
  /** UNKNOWN records inserted (nonCanonical only). Default 0..2. */
  unknownRecords?: Count;
}

export interface StreamArbitraryOptions {
  /** Default: 1 or 2. */
  version?: 1 | 2;
  /** Default: either. */
  byteOrder?: ByteOrder;
  counts?: StreamCounts;
  /** Largest node value and pending data, in bytes (default 64, at most 65535). */
  maxValueSize?: number;
  /** Domain ids for guests (ring connections, node owners, permissions), default 1..0x7FEF:
   * narrow it to what a test rig has (a fake hypervisor may know only domids 0-63). */
  domids?: { min?: number; max?: number };
  /** Add decodable oddities (the stream is then decodable but not necessarily valid). */
  nonCanonical?: boolean;
  /**
   * The `unique-id` of ring connections (socket connections never carry one):
   * - `'random'` (default): each ring connection, dom0's included, has a random one or none;
   * - `'none'`: no connection carries one (`fields` bit 0 clear everywhere);
   * - a map domid to id (the host's ids, see `parseHostIds`): every ring connection carries
   *   exactly the id the map gives its domain, and every domain id generated (ring domids,
   *   node owners, permissions, set-target targets) is a key of the map, within `domids`.
   *   The map must list domain 0 and at least one guest domain in `domids`, else this throws
   *   a RangeError.
   * xenstored 4.21+ releases a domain whose connection's id differs from the hypervisor's
   * (its nodes deleted, and on 4.22 every permission naming it): a stream meant to be restored
   * with its tree intact needs `'none'` or the host's ids.
   */
  uniqueIds?: UniqueIds;
  /** Socket connections besides ring ones (default true). False: every connection is a ring
   * connection (a socket's fd means nothing in another process); there are then at most as many
   * connections as guest domain ids. */
  sockets?: boolean;
  /** Pending in-data and out-data (default true). False: all empty, out-resp-len 0. */
  pendingData?: boolean;
  /** SET_TARGET targets (default true). False: every ring `tdomid` is DOMID_INVALID (a domain
   * named only as a target is released at the end of a restore, its nodes deleted). */
  setTarget?: boolean;
  /** WATCH_DATA_EXTENDED in version 2 (default true). False: every watch is plain WATCH_DATA
   * (Xen 4.22 misreads the documented layout and dies; 4.21 skips the record). */
  extendedWatches?: boolean;
}

/** Where ring connections' unique-ids come from: see `StreamArbitraryOptions.uniqueIds`. */
export type UniqueIds = 'random' | 'none' | ReadonlyMap<number, bigint>;

// ---------------------------------------------------------------------------------------------
// Building blocks

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });

function range(c: Count | undefined, dflt: number): { minLength: number; maxLength: number } {
  if (c === undefined) return { minLength: 0, maxLength: dflt };
  if (typeof c === 'number') return { minLength: 0, maxLength: c };
  return { minLength: c.min ?? 0, maxLength: c.max };
}

const latin1Char = fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c));
/** A model string: one char per byte, any byte but NUL. */
const latin1String = (maxLength: number, minLength = 0) => fc.string({ unit: latin1Char, minLength, maxLength });

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-_'.split('');
const NODE_NAMES = [
  'local', 'domain', 'vm', 'tool', 'backend', 'device', 'vif', 'vbd', 'console', 'memory', 'target',
  'static-max', 'name', 'domid', 'control', 'shutdown', 'feature-balloon', 'data', 'error', 'drivers',
  'cpu', 'availability', 'store', 'port', 'ring-ref', 'state', 'mac', 'handle', 'uuid', 'libxl',
];
const nameArb = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...NODE_NAMES) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 12 }) },
);

/** Texts that test the JSON form's text-or-hex choice. */
const TRICKY_TEXTS = [
  '', 'a', '\uFEFFtext after a byte order mark', 'caf\u00e9', 'tab\tnew\nline\r', '\u2028', 'nul\0inside',
  '\x7f', '\u0085', 'emoji \u{1F600}', '\uFFFD', 'Z\u0300',
];

function utf8(s: string, max: number): Uint8Array {
  const b = Buffer.from(s, 'utf8');
  return new Uint8Array(b.buffer, b.byteOffset, Math.min(b.length, max));
}

/** Node values and pending data: binary, text (sometimes cut inside a character), numbers. */
export function bytesArbitrary(maxValueSize = 64): Arbitrary<Uint8Array> {
  const max = Math.max(0, Math.min(0xffff, maxValueSize));
  if (max === 0) return fc.constant(new Uint8Array(0));
  return fc.oneof(
    fc.uint8Array({ maxLength: max }),
    fc.string({ unit: 'grapheme', maxLength: max }).map((s) => utf8(s, max)),
    fc.constantFrom(...TRICKY_TEXTS).map((s) => utf8(s, max)),
    fc.nat().map((n) => utf8(String(n), max)),
  );
}

const PERM_LETTERS = ['n', 'r', 'w', 'b'];

function permArb(nonCanonical: boolean, domid: Arbitrary<number> = u16): Arbitrary<Permission> {
  return fc.record({
    perm: nonCanonical
      ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...PERM_LETTERS) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) })
      : fc.constantFrom(...PERM_LETTERS),
    flags: nonCanonical ? fc.integer({ min: 0, max: 255 }) : fc.constantFrom(0, 1),
    domid,
  });
}

const ALL_QUOTA_NAMES = [...XENSTORED_QUOTA_NAMES, ...XENSTORED_QUOTA_NAMES.map((n) => `soft-${n}`), 'permissions'];
const quotaNameArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ALL_QUOTA_NAMES) },
  // Unknown names must be kept.
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 16 }) },
);
const quotaValueArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10000 }), u32);

function quotasArb(c: Count | undefined, names: Arbitrary<string> = quotaNameArb): Arbitrary<Quota[]> {
  const r = range(c, 4);
  return fc
    .uniqueArray(fc.record({ name: names, value: quotaValueArb }), { ...r, selector: (q) => q.name })
    .map((qs) => qs.map((q) => ({ name: q.name, value: q.value })));
}

// ---------------------------------------------------------------------------------------------
// Framing oddities: a declared len other than the padded body size, non-zero padding.

interface Framing {
  /** len = body size + lenExtra. */
  lenExtra: number | null;
  /** Seed bytes of non-zero padding, repeated over the room there is. */
  padding: Uint8Array | null;
}

const framingArb: Arbitrary<Framing> = fc.record({
  lenExtra: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
  padding: fc.option(fc.uint8Array({ minLength: 1, maxLength: 16 }), { nil: null }),
});
const NO_FRAMING: Framing = { lenExtra: null, padding: null };

function isShort(r: XsRecord): boolean {
  return r.type === 'WATCH_DATA_EXTENDED' && r.producerDefect !== undefined;
}

/** Body bytes of a record as the encoder writes it (before `len` and padding). */
export function bodySizeOf(r: XsRecord): number {
  if (r.type === 'UNKNOWN') return r.body.length;
  if (r.type === 'END') return 0;
  const layout = isShort(r) ? WATCH_DATA_EXTENDED_SHORT : LAYOUTS[r.type];
  return writeBody(layout, modelToWire(layout, r), new BinaryWriter('little', undefined, 64));
}

function nonZeroFill(n: number, seed: Uint8Array): Uint8Array {
  const p = new Uint8Array(n);
  let any = false;
  for (let i = 0; i < n; i++) {
    p[i] = seed[i % seed.length]!;
    if (p[i]) any = true;
  }
  if (!any && n > 0) p[n - 1] = 0x5a;
  return p;
}

/**
 * Sets `len` and `padding` of a record the way the decoder reports them: `len` only when it
 * is not the canonical one, `padding` only when it is not all zero.
 */
function applyFraming<R extends XsRecord>(r: R, f: Framing): R {
  const out = { ...r };
  delete out.len;
  delete out.padding;
  const body = bodySizeOf(r);
  let len: number;
  let canonical: number;
  let wireBody: number;
  if (r.type === 'UNKNOWN') {
    // The whole of `len` is the body; the decoder reports `len` when it is not a multiple of 8.
    len = body;
    canonical = roundUp8(body);
    wireBody = roundUp8(body);
  } else if (isShort(r)) {
    // Xen 4.22 declares the size of the correct layout but writes the short one.
    canonical = roundUp8(body + 4);
    len = f.lenExtra === null ? canonical : body + f.lenExtra;
    wireBody = roundUp8(body);
  } else {
    canonical = roundUp8(body);
    len = f.lenExtra === null ? canonical : body + f.lenExtra;
    wireBody = roundUp8(len);
  }
  if (len !== canonical) out.len = len;
  const room = wireBody - body;
  if (f.padding && room > 0) out.padding = nonZeroFill(room, f.padding);
  return out;
}

function framed<R extends XsRecord>(arb: Arbitrary<R>, nonCanonical: boolean | undefined): Arbitrary<R> {
  if (!nonCanonical) return arb;
  return fc.tuple(arb, framingArb).map(([r, f]) => applyFraming(r, f));
}

/** The first body byte of WATCH_DATA_EXTENDED must not look like a path start ('/' or '@')
 * when the correct layout is broken (non-zero pad, unterminated strings): else the decoder's
 * short-header detection takes it for a Xen 4.22 record. */
function depthSafe(depth: number): number {
  const lo = depth & 0xff;
  const hi = depth >>> 8;
  const bad = (b: number) => b === 0x2f || b === 0x40;
  return bad(lo) || bad(hi) ? DEPTH_UNLIMITED : depth;
}

// ---------------------------------------------------------------------------------------------
// One arbitrary per record type (codec-level: fields span their whole range).

function opt(o: RecordArbitraryOptions | undefined) {
  return {
    version: o?.version,
    maxValue: Math.max(0, Math.min(0xffff, o?.maxValueSize ?? 64)),
    maxString: Math.max(1, Math.min(0xfffe, o?.maxStringLength ?? 24)),
    nonCanonical: o?.nonCanonical ?? false,
  };
}

export function endArbitrary(o?: RecordArbitraryOptions): Arbitrary<EndRecord> {
  return framed(fc.constant<EndRecord>({ type: 'END' }), opt(o).nonCanonical);
}

export function globalDataArbitrary(o?: RecordArbitraryOptions): Arbitrary<GlobalData> {
  const g = fc.record({ rwSocketFd: fc.oneof(fc.constant(-1), i32), evtchnFd: fc.oneof(fc.constant(-1), i32) });
  return framed(g.map((x): GlobalData => ({ type: 'GLOBAL_DATA', ...x })), opt(o).nonCanonical);
}

function dataPadLength(inLen: number, outLen: number): number {
  return (8 - ((24 + inLen + outLen) % 8)) % 8;
}

export function connectionDataArbitrary(o?: RecordArbitraryOptions): Arbitrary<ConnectionData> {
  const { maxValue, nonCanonical } = opt(o);
  const c = fc.record({
    connId: u32,
    connType: nonCanonical ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0, 1) }, { weight: 1, arbitrary: u16 }) : fc.constantFrom(0, 1),
    hasUniqueId: fc.boolean(),
    otherFieldBits: nonCanonical ? u16 : fc.constant(0),
    ring: fc.record({ domid: u16, tdomid: fc.oneof(fc.constant(DOMID.INVALID), u16), evtchn: u32 }),
    socketFd: i32,
    socketPad: nonCanonical ? u32 : fc.constant(0),
    raw: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    outRespLen: u16,
    inData: bytesArbitrary(maxValue),
    outData: bytesArbitrary(maxValue),
    dataPadSeed: nonCanonical ? fc.option(fc.uint8Array({ minLength: 1, maxLength: 7 }), { nil: null }) : fc.constant(null),
    uniqueId: u64,
  });
  return framed(
    c.map((x): ConnectionData => {
      const fields = (x.otherFieldBits & 0xfffe) | (x.hasUniqueId ? 1 : 0);
      const r: ConnectionData = {
        type: 'CONNECTION_DATA',
        connId: x.connId,
        connType: x.connType,
        fields,
        connSpec:
          x.connType === 0 ? { ...x.ring } : x.connType === 1 ? (x.socketPad ? { socketFd: x.socketFd, pad: x.socketPad } : { socketFd: x.socketFd }) : { raw: x.raw },
        outRespLen: x.outRespLen,
        inData: x.inData,
        outData: x.outData,
      };
      if (fields & 1) {
        const n = dataPadLength(x.inData.length, x.outData.length);
        if (x.dataPadSeed && n > 0) r.dataPad = nonZeroFill(n, x.dataPadSeed);
        r.uniqueId = x.uniqueId;
      }
      return r;
    }),
    nonCanonical,
  );
}

export function watchDataArbitrary(o?: RecordArbitraryOptions): Arbitrary<WatchData> {
  const { maxString, nonCanonical } = opt(o);
  const w = fc.record({
    connId: u32,
    wpath: latin1String(maxString),
    token: latin1String(maxString),
    unterminated: nonCanonical ? fc.subarray(['wpath', 'token']) : fc.constant([] as string[]),
  });
  return framed(
    w.map((x): WatchData => {
      const r: WatchData = { type: 'WATCH_DATA', connId: x.connId, wpath: x.wpath, token: x.token };
      if (x.unterminated.length) r.unterminated = x.unterminated;
      return r;
    }),
    nonCanonical,
  );
}

/** Xen 4.22's short-header record: depth lost. The path must start with '/' or '@' and have
 * at least 4 characters, as every real watch path has, for the record to be recognisable. */
function shortWatchArb(maxString: number): Arbitrary<WatchDataExtended> {
  return fc
    .record({
      connId: u32,
      wpath: fc.tuple(fc.constantFrom('/', '@'), latin1String(Math.max(3, maxString - 1), 3)).map(([a, b]) => a + b),
      token: latin1String(maxString),
    })
    .map((x) => ({ type: 'WATCH_DATA_EXTENDED', connId: x.connId, depth: null, wpath: x.wpath, token: x.token, producerDefect: SHORT_HEADER_DEFECT }));
}

export function watchDataExtendedArbitrary(o?: RecordArbitraryOptions): Arbitrary<WatchDataExtended> {
  const { maxString, nonCanonical } = opt(o);
  const proper = fc
    .record({
      connId: u32,
      depth: fc.oneof(fc.constant(DEPTH_UNLIMITED), fc.integer({ min: 0, max: 16 }), u16),
      pad: nonCanonical ? fc.oneof(fc.constant(0), u16) : fc.constant(0),
      wpath: latin1String(maxString),
      token: latin1String(maxString),
      unterminated: nonCanonical ? fc.subarray(['wpath', 'token']) : fc.constant([] as string[]),
    })
    .map((x): WatchDataExtended => {
      const odd = x.pad !== 0 || x.unterminated.length > 0;
      const r: WatchDataExtended = { type: 'WATCH_DATA_EXTENDED', connId: x.connId, depth: odd ? depthSafe(x.depth) : x.depth, wpath: x.wpath, token: x.token };
      if (x.pad) r.pad = x.pad;
      if (x.unterminated.length) r.unterminated = x.unterminated;
      return r;
    });
  return framed(nonCanonical ? fc.oneof({ weight: 3, arbitrary: proper }, { weight: 1, arbitrary: shortWatchArb(maxString) }) : proper, nonCanonical);
}

export function transactionDataArbitrary(o?: RecordArbitraryOptions): Arbitrary<TransactionData> {
  return framed(fc.record({ connId: u32, txId: u32 }).map((x): TransactionData => ({ type: 'TRANSACTION_DATA', ...x })), opt(o).nonCanonical);
}

export function nodeDataArbitrary(o?: RecordArbitraryOptions): Arbitrary<NodeData> {
  const { maxValue, maxString, nonCanonical } = opt(o);
  const n = fc.record({
    connId: fc.oneof(fc.constant(0), u32),
    txId: fc.oneof(fc.constant(0), u32),
    access: fc.oneof(fc.constantFrom(0, 1, 2), u16),
    perms: fc.array(permArb(nonCanonical), { maxLength: 6 }),
    path: latin1String(maxString),
    value: bytesArbitrary(maxValue),
    unterminated: nonCanonical ? fc.subarray(['path']) : fc.constant([] as string[]),
  });
  return framed(
    n.map((x): NodeData => {
      const r: NodeData = { type: 'NODE_DATA', connId: x.connId, txId: x.txId, access: x.access, perms: x.perms, path: x.path, value: x.value };
      if (x.unterminated.length) r.unterminated = x.unterminated;
      return r;
    }),
    nonCanonical,
  );
}

export function globalQuotaDataArbitrary(o?: RecordArbitraryOptions): Arbitrary<GlobalQuotaData> {
  const { maxString, nonCanonical } = opt(o);
  // Codec level: any name without a NUL, empty included.
  const names = fc.oneof(quotaNameArb, latin1String(maxString));
  return framed(
    fc.record({ domQuotas: quotasArb(6, names), globQuotas: quotasArb(6, names) }).map((x): GlobalQuotaData => ({ type: 'GLOBAL_QUOTA_DATA', ...x })),
    nonCanonical,
  );
}

export function domainDataArbitrary(o?: RecordArbitraryOptions): Arbitrary<DomainData> {
  const { version, maxString, nonCanonical } = opt(o);
  const names = fc.oneof(quotaNameArb, latin1String(maxString));
  return framed(
    fc
      .record({ domainId: u16, features: fc.oneof(fc.constant(14), fc.integer({ min: 0, max: 15 }), u32), quotas: quotasArb(6, names) })
      .map((x): DomainData => ({ type: 'DOMAIN_DATA', domainId: x.domainId, features: version === 1 ? 0 : x.features, quotas: x.quotas })),
    nonCanonical,
  );
}

/** A record of a type this codec does not know (type code 9 and up). */
export function unknownRecordArbitrary(o?: RecordArbitraryOptions): Arbitrary<UnknownRecord> {
  const { nonCanonical } = opt(o);
  const u = fc.record({
    typeCode: fc.oneof(fc.integer({ min: 9, max: 64 }), fc.integer({ min: 9, max: 0xffffffff })),
    body: fc.uint8Array({ maxLength: 40 }),
    padding: nonCanonical ? fc.option(fc.uint8Array({ minLength: 1, maxLength: 7 }), { nil: null }) : fc.constant(null),
  });
  return u.map((x) => applyFraming<UnknownRecord>({ type: 'UNKNOWN', typeCode: x.typeCode, body: x.body }, { lenExtra: null, padding: x.padding }));
}

type RecordTypeKey = XsRecord['type'];

/** The arbitrary of every record type, by type name. */
export const recordArbitraries: { [K in RecordTypeKey]: (o?: RecordArbitraryOptions) => Arbitrary<RecordOf<K>> } = {
  END: endArbitrary,
  GLOBAL_DATA: globalDataArbitrary,
  CONNECTION_DATA: connectionDataArbitrary,
  WATCH_DATA: watchDataArbitrary,
  TRANSACTION_DATA: transactionDataArbitrary,
  NODE_DATA: nodeDataArbitrary,
  GLOBAL_QUOTA_DATA: globalQuotaDataArbitrary,
  DOMAIN_DATA: domainDataArbitrary,
  WATCH_DATA_EXTENDED: watchDataExtendedArbitrary,
  UNKNOWN: unknownRecordArbitrary,
};

/** Any record but END (codec level: no stream context). */
export function recordArbitrary(o?: RecordArbitraryOptions): Arbitrary<XsRecord> {
  const types = (Object.keys(recordArbitraries) as RecordTypeKey[]).filter(
    (t) => t !== 'END' && !(o?.version === 1 && t === 'WATCH_DATA_EXTENDED') && (o?.nonCanonical || t !== 'UNKNOWN'),
  );
  return fc.oneof(...types.map((t) => recordArbitraries[t](o) as Arbitrary<XsRecord>));
}

// ---------------------------------------------------------------------------------------------
// Whole streams, valid by construction.

function domidArb(o: StreamArbitraryOptions): Arbitrary<number> {
  return fc.integer({ min: o.domids?.min ?? 1, max: o.domids?.max ?? DOMID.SELF - 1 });
}

interface PermPlan { perm: string; flags: number; pick: number; domid: number; useDomid: boolean }
function permPlanArb(domid: Arbitrary<number>): Arbitrary<PermPlan> {
  return fc.record({
    perm: fc.constantFrom(...PERM_LETTERS),
    flags: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
    pick: fc.nat(),
    // A permission may name any domain (DOMID_ANY included), not only the known ones.
    domid: fc.oneof(domid, fc.constant(DOMID.ANY)),
    useDomid: fc.boolean(),
  });
}

interface NodePlan { parent: number; name: string; owner: number; ownerPerm: string; perms: PermPlan[]; value: Uint8Array }
function nodePlanArb(maxValue: number, perm: Arbitrary<PermPlan>): Arbitrary<NodePlan> {
  return fc.record({
    parent: fc.nat(),
    name: nameArb,
    owner: fc.nat(),
    ownerPerm: fc.constantFrom(...PERM_LETTERS),
    perms: fc.array(perm, { maxLength: 3 }),
    value: bytesArbitrary(maxValue),
  });
}

interface WatchPlan { target: 'node' | 'special' | 'free'; pick: number; freePath: string; token: string; depth: number | null; short: boolean }
const watchPlanArb: Arbitrary<WatchPlan> = fc.record({
  target: fc.constantFrom('node', 'special', 'free'),
  pick: fc.nat(),
  freePath: fc.array(nameArb, { minLength: 1, maxLength: 4 }).map((ns) => `/${ns.join('/')}`),
  token: fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 0, maxLength: 16 }),
  depth: fc.option(fc.oneof(fc.constant(DEPTH_UNLIMITED), fc.integer({ min: 0, max: 8 })), { nil: null }),
  short: fc.boolean(),
});

interface TxNodePlan { pick: number; child: string | null; access: number; owner: number; value: Uint8Array; perms: PermPlan[] }
interface TxPlan { txId: number; nodes: TxNodePlan[] }
function txPlanArb(counts: StreamCounts, maxValue: number, perm: Arbitrary<PermPlan>): Arbitrary<TxPlan> {
  return fc.record({
    txId: fc.integer({ min: 1, max: 0xffffffff }),
    nodes: fc.array(
      fc.record({
        pick: fc.nat(),
        child: fc.option(nameArb, { nil: null }),
        access: fc.constantFrom(0, 1, 2),
        owner: fc.nat(),
        value: bytesArbitrary(maxValue),
        perms: fc.array(perm, { maxLength: 2 }),
      }),
      range(counts.transactionNodes, 3),
    ),
  });
}

/** A message of the xenstore wire protocol: header (type, req-id, tx-id, len) and payload. */
interface MsgPlan { type: number; reqId: number; txId: number; payload: Uint8Array }
/** The protocol's XENSTORE_PAYLOAD_MAX: a longer message is an error for every daemon. */
const PAYLOAD_MAX = 4096;
function msgPlanArb(maxValue: number): Arbitrary<MsgPlan> {
  return fc.record({
    type: fc.integer({ min: 0, max: 20 }),
    reqId: u32,
    txId: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: u32 }),
    payload: bytesArbitrary(Math.max(1, Math.min(PAYLOAD_MAX, maxValue))),
  });
}
function wireMessage(m: MsgPlan, little: boolean): Uint8Array {
  const b = new Uint8Array(16 + m.payload.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, m.type, little);
  v.setUint32(4, m.reqId, little);
  v.setUint32(8, m.txId, little);
  v.setUint32(12, m.payload.length, little);
  b.set(m.payload, 16);
  return b;
}

interface ConnPlan {
  connId: number;
  ring: boolean;
  tdomid: number | null;
  evtchn: number;
  socketFd: number;
  uniqueId: bigint | null;
  /** A partly received request: its first `inCut` bytes (at least 1, never all of it). */
  inMsg: MsgPlan | null;
  inCut: number;
  /** The unsent rest of a partly sent response (out-resp-len bytes, no header of its own). */
  outRest: Uint8Array;
  /** Whole queued replies or events after it. */
  outMsgs: MsgPlan[];
  watches: WatchPlan[];
  transactions: TxPlan[];
}
function connPlanArb(counts: StreamCounts, maxValue: number, domid: Arbitrary<number>, perm: Arbitrary<PermPlan>): Arbitrary<ConnPlan> {
  return fc.record({
    connId: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 0xffffffff })),
    ring: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    tdomid: fc.option(domid, { nil: null, freq: 6 }),
    evtchn: fc.integer({ min: 1, max: 4095 }),
    socketFd: fc.integer({ min: 0, max: 1023 }),
    uniqueId: fc.option(u64, { nil: null }),
    inMsg: fc.option(msgPlanArb(maxValue), { nil: null, freq: 3 }),
    inCut: fc.nat(),
    outRest: fc.oneof({ weight: 3, arbitrary: fc.constant(new Uint8Array(0)) }, { weight: 1, arbitrary: bytesArbitrary(Math.max(1, Math.min(PAYLOAD_MAX, maxValue))) }),
    outMsgs: fc.oneof({ weight: 3, arbitrary: fc.constant<MsgPlan[]>([]) }, { weight: 1, arbitrary: fc.array(msgPlanArb(maxValue), { minLength: 1, maxLength: 2 }) }),
    watches: fc.array(watchPlanArb, range(counts.watches, 3)),
    transactions: fc.uniqueArray(txPlanArb(counts, maxValue, perm), { ...range(counts.transactions, 2), selector: (t) => t.txId }),
  });
}

interface DomainPlan { pick: number; features: number; quotas: Quota[] }

interface OddPlan {
  reservedFlags: number;
  trailing: Uint8Array | null;
  unknowns: { at: number; rec: UnknownRecord }[];
  /** Applied to record i as perRecord[i % length]. */
  perRecord: { framing: Framing | null; unterminate: boolean; reserved: number }[];
}
function oddPlanArb(counts: StreamCounts): Arbitrary<OddPlan> {
  return fc.record({
    reservedFlags: fc.oneof(fc.constant(0), u32.map((f) => (f & ~1) >>> 0)),
    trailing: fc.option(fc.uint8Array({ minLength: 1, maxLength: 24 }), { nil: null }),
    unknowns: fc.array(fc.record({ at: fc.nat(), rec: unknownRecordArbitrary({ nonCanonical: true }) }), range(counts.unknownRecords, 2)),
    perRecord: fc.array(
      fc.record({
        framing: fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: framingArb }),
        unterminate: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        reserved: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xffff }) }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  });
}

interface StreamPlan {
  version: 1 | 2;
  byteOrder: ByteOrder;
  global: { rwSocketFd: number; evtchnFd: number };
  globalQuota: { domQuotas: Quota[]; globQuotas: Quota[] } | null;
  /** dom0's own ring connection (xenstored always has one). */
  dom0: ConnPlan;
  connections: ConnPlan[];
  ringDomids: number[];
  extraDomids: number[];
  root: PermPlan[];
  nodes: NodePlan[];
  specialsFirst: boolean;
  specialPerms: [PermPlan[], PermPlan[]];
  domains: DomainPlan[];
  odd: OddPlan | null;
}

const SPECIALS = ['@releaseDomain', '@introduceDomain'];

function pick<T>(list: readonly T[], n: number): T {
  return list[n % list.length]!;
}

function resolvePerms(owner: Permission, plans: PermPlan[], known: number[]): Permission[] {
  const perms: Permission[] = [owner];
  for (const p of plans) {
    const domid = p.useDomid ? p.domid : pick(known, p.pick);
    // DOMID_ANY is marked stale unless the writer offered the domid-any feature.
    perms.push({ perm: p.perm, flags: domid === DOMID.ANY ? 1 : p.flags, domid });
  }
  return perms;
}

const MAX_PATH = 1024;

function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** The options that shape a stream out of its plan (without changing the plan's draws, so
 * that the defaults give the same stream for a seed as before these options existed). */
interface Shape {
  uniqueIds: UniqueIds;
  sockets: boolean;
  pendingData: boolean;
  setTarget: boolean;
  extendedWatches: boolean;
}

/** Turns a plan of random choices into a stream that obeys every ordering rule. */
function buildStream(p: StreamPlan, shape: Shape): Stream {
  const records: XsRecord[] = [];
  const v2 = p.version === 2;
  records.push({ type: 'GLOBAL_DATA', rwSocketFd: p.global.rwSocketFd, evtchnFd: p.global.evtchnFd });
  if (p.globalQuota) records.push({ type: 'GLOBAL_QUOTA_DATA', ...p.globalQuota });

  // Ring connections take distinct domain ids; a connection left without one is a socket
  // (or, without sockets, is left out).
  const ringDomids = p.ringDomids.filter((d) => d !== 0);
  const conns: { plan: ConnPlan; domid: number | undefined }[] = p.connections.flatMap((c) => {
    const domid = c.ring || !shape.sockets ? ringDomids.shift() : undefined;
    return domid === undefined && !shape.sockets ? [] : [{ plan: c, domid }];
  });
  // dom0's ring connection comes first, with a conn-id of its own.
  const used = new Set(p.connections.map((c) => c.connId));
  let dom0Id = p.dom0.connId;
  while (used.has(dom0Id)) dom0Id = dom0Id >= 0xffffffff ? 1 : dom0Id + 1;
  conns.unshift({ plan: { ...p.dom0, connId: dom0Id, ring: true, tdomid: null }, domid: 0 });
  const ringDomains = conns.flatMap((c) => (c.domid === undefined || c.domid === 0 ? [] : [c.domid]));
  const extra = p.extraDomids.filter((d) => !ringDomains.includes(d));
  const owners = [0, ...ringDomains, ...extra];

  // The committed tree: node i hangs below one of the nodes before it; paths are unique.
  type TreeNode = { path: string; children: number[]; plan: NodePlan | null };
  const tree: TreeNode[] = [{ path: '/', children: [], plan: null }];
  const paths = new Set(['/']);
  p.nodes.forEach((n, i) => {
    let parent = n.parent % tree.length;
    if (tree[parent]!.path.length > MAX_PATH) parent = 0;
    let path = childPath(tree[parent]!.path, n.name);
    if (paths.has(path)) path = `${path}-${i}`;
    paths.add(path);
    tree[parent]!.children.push(tree.length);
    tree.push({ path, children: [], plan: n });
  });
  const committed: NodeData[] = [];
  const usedOwners = new Set<number>([0]);
  const stack = [0];
  while (stack.length) {
    const t = tree[stack.pop()!]!;
    for (let k = t.children.length - 1; k >= 0; k--) stack.push(t.children[k]!);
    if (!t.plan) {
      committed.push({ type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: resolvePerms({ perm: 'n', flags: 0, domid: 0 }, p.root, owners), path: '/', value: new Uint8Array(0) });
      continue;
    }
    const owner = pick(owners, t.plan.owner);
    usedOwners.add(owner);
    committed.push({
      type: 'NODE_DATA', connId: 0, txId: 0, access: 0,
      perms: resolvePerms({ perm: t.plan.ownerPerm, flags: 0, domid: owner }, t.plan.perms, owners),
      path: t.path, value: t.plan.value,
    });
  }
  const committedPaths = committed.map((n) => n.path);
  const specials: NodeData[] = SPECIALS.map((path, k) => ({
    type: 'NODE_DATA', connId: 0, txId: 0, access: 0,
    perms: resolvePerms({ perm: 'n', flags: 0, domid: 0 }, p.specialPerms[k]!, owners),
    path, value: new Uint8Array(0),
  }));

  // Connections, each followed by its watches and its transactions.
  const txNodes: NodeData[] = [];
  const little = p.byteOrder === 'little';
  for (const { plan: c, domid } of conns) {
    const ring = domid !== undefined;
    // Pending traffic is real wire messages in the record byte order: in-data a request cut
    // short; out-data the unsent rest of a partly sent response (out-resp-len bytes), then
    // whole queued replies and events.
    const fullIn = c.inMsg && shape.pendingData ? wireMessage(c.inMsg, little) : new Uint8Array(0);
    const inData = fullIn.subarray(0, fullIn.length ? 1 + (c.inCut % (fullIn.length - 1)) : 0);
    const outData = shape.pendingData ? new Uint8Array(Buffer.concat([c.outRest, ...c.outMsgs.map((m) => wireMessage(m, little))])) : new Uint8Array(0);
    // (unique-ids identify domains: ring connections only)
    const uniqueId = !ring ? null : shape.uniqueIds === 'random' ? c.uniqueId : shape.uniqueIds === 'none' ? null : shape.uniqueIds.get(domid)!;
    const rec: ConnectionData = {
      type: 'CONNECTION_DATA',
      connId: c.connId,
      connType: ring ? 0 : 1,
      fields: uniqueId !== null ? 1 : 0,
      connSpec: ring ? { domid, tdomid: (shape.setTarget ? c.tdomid : null) ?? DOMID.INVALID, evtchn: c.evtchn } : { socketFd: c.socketFd },
      outRespLen: shape.pendingData ? c.outRest.length : 0,
      inData,
      outData,
    };
    if (uniqueId !== null) rec.uniqueId = uniqueId;
    records.push(rec);
    const seen = new Set<string>();
    for (const w of c.watches) {
      const wpath = w.target === 'node' ? pick(committedPaths, w.pick) : w.target === 'special' ? pick(SPECIALS, w.pick) : w.freePath;
      const key = `${wpath}\0${w.token}`;
      if (seen.has(key)) continue; // xenstored refuses the same watch twice on one connection
      seen.add(key);
      if (v2 && w.depth !== null && shape.extendedWatches) records.push({ type: 'WATCH_DATA_EXTENDED', connId: c.connId, depth: w.depth, wpath, token: w.token });
      else records.push({ type: 'WATCH_DATA', connId: c.connId, wpath, token: w.token });
    }
    for (const t of c.transactions) {
      records.push({ type: 'TRANSACTION_DATA', connId: c.connId, txId: t.txId });
      const inTx = new Set<string>();
      for (const n of t.nodes) {
        const base = pick(committedPaths, n.pick);
        const path = n.child === null || base.length > MAX_PATH ? base : childPath(base, n.child);
        if (inTx.has(path)) continue;
        inTx.add(path);
        txNodes.push({
          type: 'NODE_DATA', connId: c.connId, txId: t.txId, access: n.access,
          perms: resolvePerms({ perm: 'n', flags: 0, domid: pick(owners, n.owner) }, n.perms, owners),
          path, value: n.access === 0 ? new Uint8Array(0) : n.value,
        });
      }
    }
  }
  // Nodes: the tree in pre-order from `/`, the two specials before it (Xen 4.17) or after it;
  // transaction nodes after the tree, so that their parents exist whatever their transaction.
  if (p.specialsFirst) records.push(...specials, ...committed);
  else records.push(...committed, ...specials);
  records.push(...txNodes);

  // DOMAIN_DATA only for domains the reader will recreate: ring connections and node owners.
  const candidates = [...new Set([0, ...ringDomains, ...usedOwners])];
  const done = new Set<number>();
  for (const d of p.domains) {
    const domainId = pick(candidates, d.pick);
    if (done.has(domainId)) continue;
    done.add(domainId);
    records.push({ type: 'DOMAIN_DATA', domainId, features: v2 ? d.features : 0, quotas: d.quotas });
  }
  records.push({ type: 'END' });
  const stream: Stream = { header: { version: p.version, byteOrder: p.byteOrder, reservedFlags: 0 }, records };
  if (p.odd) addOddities(stream, p.odd);
  return stream;
}

function addOddities(s: Stream, odd: OddPlan): void {
  s.header.reservedFlags = odd.reservedFlags;
  if (odd.trailing) s.trailing = odd.trailing;
  const beforeEnd = s.records.length - 1;
  // Insert from the back so that earlier positions stay valid.
  const ins = odd.unknowns.map((u) => ({ at: u.at % (beforeEnd + 1), rec: u.rec })).sort((a, b) => b.at - a.at);
  for (const u of ins) s.records.splice(u.at, 0, u.rec);
  s.records = s.records.map((r, i) => {
    const o = odd.perRecord[i % odd.perRecord.length]!;
    let out: XsRecord = r;
    if (o.unterminate) out = unterminate(out);
    if (o.reserved) out = setReserved(out, o.reserved);
    if (o.unterminate && out.type === 'WATCH_DATA_EXTENDED' && out.wpath.length >= 4 && (out.wpath[0] === '/' || out.wpath[0] === '@')) {
      // (a readable path: turn this one into Xen 4.22's short-header record instead)
      out = { type: 'WATCH_DATA_EXTENDED', connId: out.connId, depth: null, wpath: out.wpath, token: out.token, producerDefect: SHORT_HEADER_DEFECT };
    }
    return o.framing || out.type === 'UNKNOWN' ? applyFraming(out, o.framing ?? NO_FRAMING) : out;
  });
}

function unterminate(r: XsRecord): XsRecord {
  if (r.type === 'NODE_DATA') return { ...r, unterminated: ['path'] };
  if (r.type === 'WATCH_DATA') return { ...r, unterminated: ['token'] };
  if (r.type === 'WATCH_DATA_EXTENDED' && r.depth !== null) return { ...r, depth: depthSafe(r.depth), unterminated: ['token'] };
  return r;
}

function setReserved(r: XsRecord, bits: number): XsRecord {
  switch (r.type) {
    case 'CONNECTION_DATA': {
      const out: ConnectionData = { ...r, fields: r.fields | (bits & 0xfffe) };
      if (r.connType === 1) out.connSpec = { ...(r.connSpec as { socketFd: number }), pad: bits };
      const n = dataPadLength(r.inData.length, r.outData.length);
      if (r.fields & 1 && n > 0) out.dataPad = nonZeroFill(n, Uint8Array.of(bits & 0xff, bits >>> 8));
      return out;
    }
    case 'WATCH_DATA_EXTENDED':
      return r.depth === null ? r : { ...r, depth: depthSafe(r.depth), pad: bits };
    case 'NODE_DATA':
      return { ...r, perms: r.perms.map((p) => ({ ...p, flags: p.flags | (bits & 0xfe) })) };
    default:
      return r;
  }
}

/**
 * Whole streams valid by construction: unique non-zero conn-ids; a ring connection for dom0
 * first; each connection followed by its watches and transactions; transaction nodes after
 * their transaction; committed nodes in pre-order from `/` (each after its parent) plus
 * `@releaseDomain` and `@introduceDomain`, owned by domains with a ring connection; pending
 * data that is real wire traffic (in-data a request cut short; out-data the rest of a partly
 * sent response, out-resp-len bytes, then whole messages); DOMAIN_DATA after the connections,
 * only for domains with a ring connection or owning a node, at most one each; nothing a
 * version does not allow (no WATCH_DATA_EXTENDED and `features` 0 in version 1); `len`
 * padded; END last. Checked against a real xenstored 4.17 (test/gen-interop.test.ts): with
 * `version: 1`, `byteOrder: 'little'`, `domids` within what the host knows and
 * `counts.transactions: 0` (4.17 applies transaction nodes to the committed tree), it
 * restores the stream's tree exactly.
 *
 * For the 4.21+ daemons, which compare unique-ids with the hypervisor's, a stream restorable
 * with its tree intact also needs `uniqueIds: 'none'` or the host's ids, and (in version 2)
 * `extendedWatches: false`; `sockets: false`, `pendingData: false` and `setTarget: false`
 * leave out what does not survive a restore in a new process (socket fds, half-sent traffic,
 * target-only domains). `counts.transactions: 0` means no TRANSACTION_DATA and no transaction
 * node (conn-id non-zero). Node owners are always dom0 or a domain with a ring connection
 * (unless `counts.extraDomains` says otherwise), and DOMAIN_DATA names only such domains.
 */
export function streamArbitrary(o: StreamArbitraryOptions = {}): Arbitrary<Stream> {
  const counts = o.counts ?? {};
  const maxValue = Math.max(0, Math.min(0xffff, o.maxValueSize ?? 64));
  const connections = range(counts.connections, 4);
  const uniqueIds = o.uniqueIds ?? 'random';
  const hostDomids = typeof uniqueIds === 'object' ? hostGuestDomids(uniqueIds, o.domids) : undefined;
  const domid = hostDomids ? fc.constantFrom(...hostDomids) : domidArb(o);
  const perm = permPlanArb(domid);
  // Each connection may get a ring domain of its own; those left without one are sockets.
  const ringCount = Math.min(connections.maxLength, hostDomids ? hostDomids.length : (o.domids?.max ?? DOMID.SELF - 1) - (o.domids?.min ?? 1) + 1);
  const shape: Shape = { uniqueIds, sockets: o.sockets ?? true, pendingData: o.pendingData ?? true, setTarget: o.setTarget ?? true, extendedWatches: o.extendedWatches ?? true };
  const plan: Arbitrary<StreamPlan> = fc.record({
    version: o.version === undefined ? fc.constantFrom<1 | 2>(1, 2) : fc.constant(o.version),
    byteOrder: o.byteOrder === undefined ? fc.constantFrom<ByteOrder>('little', 'big') : fc.constant(o.byteOrder),
    global: fc.record({ rwSocketFd: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 1023 })), evtchnFd: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 1023 })) }),
    globalQuota: fc.option(fc.record({ domQuotas: quotasArb(counts.quotas), globQuotas: quotasArb(counts.quotas) }), { nil: null }),
    dom0: connPlanArb(counts, maxValue, domid, perm),
    connections: fc.uniqueArray(connPlanArb(counts, maxValue, domid, perm), { ...connections, selector: (c) => c.connId }),
    ringDomids: hostDomids
      ? fc.shuffledSubarray(hostDomids, { minLength: ringCount, maxLength: ringCount })
      : fc.uniqueArray(domid, { minLength: ringCount, maxLength: ringCount }),
    extraDomids: fc.uniqueArray(domid, range(counts.extraDomains, 0)),
    root: fc.array(perm, { maxLength: 2 }),
    nodes: fc.array(nodePlanArb(maxValue, perm), range(counts.nodes, 20)),
    specialsFirst: fc.boolean(),
    specialPerms: fc.tuple(fc.array(perm, { maxLength: 3 }), fc.array(perm, { maxLength: 3 })),
    domains: fc.array(
      fc.record({ pick: fc.nat(), features: fc.oneof(fc.constant(14), fc.integer({ min: 0, max: 15 })), quotas: quotasArb(counts.quotas) }),
      { maxLength: connections.maxLength + 3 },
    ),
    odd: o.nonCanonical ? oddPlanArb(counts) : fc.constant(null),
  });
  return plan.map((p) => buildStream(p, shape));
}

/** The guest domain ids a host-ids map offers within `domids`; throws when it cannot serve. */
function hostGuestDomids(ids: ReadonlyMap<number, bigint>, domids: StreamArbitraryOptions['domids']): number[] {
  if (!ids.has(0)) throw new RangeError('the host ids list no domain 0 (dom0 always has a ring connection)');
  const min = domids?.min ?? 1;
  const max = domids?.max ?? DOMID.SELF - 1;
  const guests = [...ids.keys()].filter((d) => d !== 0 && d >= min && d <= max).sort((a, b) => a - b);
  if (guests.length === 0) throw new RangeError(`the host ids list no guest domain within ${min}-${max}`);
  return guests;
}

/** The encoded bytes of `streamArbitrary(o)`. */
export function streamBytesArbitrary(o: StreamArbitraryOptions = {}): Arbitrary<Uint8Array> {
  return streamArbitrary(o).map(encodeStream);
}

export { fc };

// The large realistic streams of `xsmig gen --size/--nodes`, for benchmarks and load tests.
export { generateRealistic, type RealisticOptions, type RealisticSummary } from './realistic.js';
