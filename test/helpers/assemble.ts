// Hand assembly of stream bytes, field by field, from the format facts (shared/stream-facts.md):
// header 16 bytes (ident, version u32 BE, flags u32 BE), then records of type u32, len u32,
// body, zero padding to 8. Everything little-endian unless told. Nothing here uses src/, so
// fixtures built with it are independent of the codec they test.

export type Bytes = number[];

export const u8 = (v: number): Bytes => [v & 0xff];
export const u16 = (v: number): Bytes => [v & 0xff, (v >>> 8) & 0xff];
export const u32 = (v: number): Bytes => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
export const u32be = (v: number): Bytes => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
export const u64 = (v: bigint): Bytes => [...u32(Number(v & 0xffffffffn)), ...u32(Number(v >> 32n))];
export const ascii = (s: string): Bytes => [...s].map((c) => c.charCodeAt(0));
/** A string with its terminating NUL (what every *-len field counts). */
export const cstr = (s: string): Bytes => [...ascii(s), 0];
export const zeros = (n: number): Bytes => new Array<number>(n).fill(0);
export const roundUp8 = (n: number): number => Math.ceil(n / 8) * 8;

export const T = {
  END: 0, GLOBAL_DATA: 1, CONNECTION_DATA: 2, WATCH_DATA: 3, TRANSACTION_DATA: 4, NODE_DATA: 5,
  GLOBAL_QUOTA_DATA: 6, DOMAIN_DATA: 7, WATCH_DATA_EXTENDED: 8,
} as const;

/** 16-byte header: "xenstore", version (BE), flags (BE; bit 0 = big-endian records). */
export function header(version = 2, flags = 0): Bytes {
  return [...ascii('xenstore'), ...u32be(version), ...u32be(flags)];
}

/**
 * One record: type, len, body, then `tail` (default: zeros up to the next multiple of 8).
 * `len` defaults to the body size rounded up to 8, as xenstored writes it.
 */
export function record(type: number, body: Bytes, opts: { len?: number; tail?: Bytes } = {}): Bytes {
  const len = opts.len ?? roundUp8(body.length);
  const tail = opts.tail ?? zeros(roundUp8(body.length) - body.length);
  return [...u32(type), ...u32(len), ...body, ...tail];
}

export const end = (): Bytes => record(T.END, []);

/** GLOBAL_DATA: rw-socket-fd i32, evtchn-fd i32. */
export const globalData = (rw = -1, ev = -1): Bytes => record(T.GLOBAL_DATA, [...u32(rw), ...u32(ev)]);

export interface ConnOpts {
  fields?: number;
  inData?: Bytes;
  outRespLen?: number;
  outData?: Bytes;
  /** Written after zero padding to 8 when fields bit 0 is set. */
  uniqueId?: bigint;
}

function connBody(connId: number, connType: number, spec: Bytes, o: ConnOpts): Bytes {
  const inData = o.inData ?? [];
  const outData = o.outData ?? [];
  const body = [
    ...u32(connId), // +0 conn-id
    ...u16(connType), // +4 conn-type
    ...u16(o.fields ?? 0), // +6 fields
    ...spec, // +8 conn-spec (8 bytes)
    ...u16(inData.length), // +16 in-data-len
    ...u16(o.outRespLen ?? 0), // +18 out-resp-len
    ...u32(outData.length), // +20 out-data-len
    ...inData, // +24 data
    ...outData,
  ];
  if (o.uniqueId !== undefined) body.push(...zeros(roundUp8(body.length) - body.length), ...u64(o.uniqueId));
  return body;
}

/** CONNECTION_DATA, shared ring: conn-spec = domid u16, tdomid u16 (0x7ff4 = none), evtchn u32. */
export function ring(connId: number, domid: number, o: ConnOpts & { tdomid?: number; evtchn?: number } = {}): Bytes {
  return record(T.CONNECTION_DATA, connBody(connId, 0, [...u16(domid), ...u16(o.tdomid ?? 0x7ff4), ...u32(o.evtchn ?? 100 + domid)], o));
}

/** CONNECTION_DATA, socket: conn-spec = socket-fd i32, pad u32. */
export function socket(connId: number, fd: number, o: ConnOpts & { pad?: number } = {}): Bytes {
  return record(T.CONNECTION_DATA, connBody(connId, 1, [...u32(fd), ...u32(o.pad ?? 0)], o));
}

/** CONNECTION_DATA of any conn-type with raw 8-byte conn-spec. */
export function connection(connId: number, connType: number, spec: Bytes, o: ConnOpts = {}): Bytes {
  return record(T.CONNECTION_DATA, connBody(connId, connType, spec, o));
}

/** WATCH_DATA: conn-id u32, wpath-len u16, token-len u16 (both with NUL), wpath, token. */
export function watch(connId: number, wpath: Bytes | string, token: Bytes | string): Bytes {
  const p = typeof wpath === 'string' ? cstr(wpath) : wpath;
  const t = typeof token === 'string' ? cstr(token) : token;
  return record(T.WATCH_DATA, [...u32(connId), ...u16(p.length), ...u16(t.length), ...p, ...t]);
}

/** WATCH_DATA_EXTENDED as the document lays it out: ..., depth u16 at +8, pad u16 at +10, wpath at +12. */
export function watchExt(connId: number, wpath: string, token: string, depth: number, pad = 0): Bytes {
  const p = cstr(wpath);
  const t = cstr(token);
  return record(T.WATCH_DATA_EXTENDED, [...u32(connId), ...u16(p.length), ...u16(t.length), ...u16(depth), ...u16(pad), ...p, ...t]);
}

/**
 * WATCH_DATA_EXTENDED as Xen 4.22 really writes it: len = roundup(12 + p + t, 8), but only the
 * first 8 body bytes (no depth, no pad) before wpath and token, then zeros to the next multiple
 * of 8 of the file position.
 */
export function watchExtXen422(connId: number, wpath: string, token: string): Bytes {
  const p = cstr(wpath);
  const t = cstr(token);
  const written = [...u32(connId), ...u16(p.length), ...u16(t.length), ...p, ...t];
  return [...u32(T.WATCH_DATA_EXTENDED), ...u32(roundUp8(12 + p.length + t.length)), ...written, ...zeros(roundUp8(written.length) - written.length)];
}

/** TRANSACTION_DATA: conn-id u32, tx-id u32. */
export const transaction = (connId: number, txId: number): Bytes => record(T.TRANSACTION_DATA, [...u32(connId), ...u32(txId)]);

export type Perm = [letter: string, flags: number, domid: number];

export interface NodeOpts {
  connId?: number;
  txId?: number;
  access?: number;
  perms?: Perm[];
  value?: Bytes;
  /** Raw path bytes instead of cstr(path). */
  rawPath?: Bytes;
  len?: number;
  tail?: Bytes;
}

/** NODE_DATA: conn-id, tx-id, path-len, value-len, access, perm-count, perms (4 bytes each), path, value. */
export function node(path: string, o: NodeOpts = {}): Bytes {
  const perms = o.perms ?? [['n', 0, 0]];
  const p = o.rawPath ?? cstr(path);
  const v = o.value ?? [];
  const body = [
    ...u32(o.connId ?? 0), // +0 conn-id
    ...u32(o.txId ?? 0), // +4 tx-id
    ...u16(p.length), // +8 path-len
    ...u16(v.length), // +10 value-len
    ...u16(o.access ?? 0), // +12 access
    ...u16(perms.length), // +14 perm-count
    ...perms.flatMap(([l, f, d]) => [l.charCodeAt(0), f, ...u16(d)]), // +16 perm, flags, domid
    ...p,
    ...v,
  ];
  const opts: { len?: number; tail?: Bytes } = {};
  if (o.len !== undefined) opts.len = o.len;
  if (o.tail !== undefined) opts.tail = o.tail;
  return record(T.NODE_DATA, body, opts);
}

type QuotaPair = [name: string, value: number];

/** GLOBAL_QUOTA_DATA: n-dom-quota u16, n-glob-quota u16, values u32 (dom then glob), names. */
export function globalQuota(dom: QuotaPair[], glob: QuotaPair[] = [], extraNames: string[] = []): Bytes {
  const all = [...dom, ...glob];
  const body = [...u16(dom.length), ...u16(glob.length), ...all.flatMap(([, v]) => u32(v)), ...all.flatMap(([n]) => cstr(n))];
  const extra = extraNames.flatMap(cstr);
  const full = [...body, ...extra];
  return record(T.GLOBAL_QUOTA_DATA, body, { len: roundUp8(full.length), tail: [...extra, ...zeros(roundUp8(full.length) - full.length)] });
}

/** DOMAIN_DATA: domain-id u16, n-quota u16, features u32, values u32, names. */
export function domain(domid: number, features = 0, quotas: QuotaPair[] = []): Bytes {
  return record(T.DOMAIN_DATA, [...u16(domid), ...u16(quotas.length), ...u32(features), ...quotas.flatMap(([, v]) => u32(v)), ...quotas.flatMap(([n]) => cstr(n))]);
}

export function stream(...parts: Bytes[]): Uint8Array {
  return Uint8Array.from(parts.flat());
}
