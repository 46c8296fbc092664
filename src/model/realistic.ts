// Large realistic streams for benchmarks and other implementations' tests: what xenstored
// saves on a host running thousands of guests. Written record by record to a sink, so memory
// stays bounded whatever the size (no model array is built).
//
// Layout, in the order xenstored writes it: GLOBAL_DATA, GLOBAL_QUOTA_DATA (version 2), dom0's
// ring connection, a few dom0 socket connections (the live-update client with its queued "OK" reply, a console
// daemon, a device daemon) then one ring connection per guest, each followed by its watches;
// the tree in pre-order from `/`:
//   /local/domain/0/{name,domid,backend/vif/N/I/...,backend/vbd/N/DEV/...}
//   /local/domain/N/{vm,name,domid,memory/...,cpu/...,device/vif/I/...,device/vbd/DEV/...,
//                    control/...,data[/blob (binary)],console/...,store/...}
//   /vm/UUID/..., /libxl/N/..., /tool/xenstored
// then @releaseDomain and @introduceDomain, DOMAIN_DATA for dom0 and every guest, END.
// Everything is derived from (seed, domid), so each part can be regenerated on its own.

import { DOMID, type ByteOrder } from '../wire/constants.js';
import { BinaryWriter, type Sink } from '../wire/writer.js';
import { writeHeader, writeRecord } from './encode.js';
import type { NodeData, Permission, Quota, XsRecord } from './types.js';

export interface RealisticOptions {
  /** Approximate size of the stream in bytes (it stops within a few hundred bytes of it). */
  targetBytes?: number;
  /** Exact number of nodes in the tree from `/` (the two special nodes come on top). */
  nodes?: number;
  /** Number of guests, when neither targetBytes nor nodes is given (default 10). */
  domains?: number;
  /** Default 1. The same seed and options give the same bytes. */
  seed?: number;
  /** Default 2. */
  version?: 1 | 2;
  /** Default 'little'. */
  byteOrder?: ByteOrder;
}

export interface RealisticSummary {
  bytes: number;
  records: number;
  /** Nodes in the tree from `/` (without the two special nodes). */
  nodes: number;
  domains: number;
  connections: number;
  watches: number;
}

/** Highest ordinary domain id (DOMID_FIRST_RESERVED - 1). */
const MAX_DOMID = DOMID.SELF - 1;

// ---------------------------------------------------------------------------------------------
// Deterministic randomness: mulberry32 seeded from (seed, domid, salt).

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A small seeded generator (mulberry32): the same seed gives the same stream everywhere. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rng(seed: number, domid: number, salt: number): () => number {
  return mulberry32(mix(mix(seed >>> 0, domid), salt));
}

const int = (r: () => number, n: number) => Math.floor(r() * n);
const hexN = (r: () => number, digits: number) => {
  let s = '';
  for (let i = 0; i < digits; i++) s += int(r, 16).toString(16);
  return s;
};

interface Guest {
  domid: number;
  uuid: string;
  type: string;
  memKb: number;
  vcpus: number;
  vifs: { mac: string; evtchn: number; txRef: number; rxRef: number }[];
  vbds: { dev: number; evtchn: number; ringRef: number; params: string }[];
  storePort: number;
  storeRef: number;
  consolePort: number;
  consoleRef: number;
  blob: Uint8Array | null;
  depthWatch: boolean;
  pending: boolean;
  uniqueId: bigint;
  quotas: Quota[];
}

function guest(seed: number, domid: number): Guest {
  const r = rng(seed, domid, 1);
  const uuid = `${hexN(r, 8)}-${hexN(r, 4)}-4${hexN(r, 3)}-a${hexN(r, 3)}-${hexN(r, 12)}`;
  const vifs = Array.from({ length: 1 + (r() < 0.3 ? 1 : 0) }, () => ({
    mac: `00:16:3e:${hexN(r, 2)}:${hexN(r, 2)}:${hexN(r, 2)}`,
    evtchn: 10 + int(r, 4000),
    txRef: 8 + int(r, 60000),
    rxRef: 8 + int(r, 60000),
  }));
  const vbds = Array.from({ length: 1 + (r() < 0.4 ? 1 : 0) }, (_, i) => ({
    dev: 51712 + 16 * i,
    evtchn: 10 + int(r, 4000),
    ringRef: 8 + int(r, 60000),
    params: `/dev/vg0/guest${domid}-disk${i}`,
  }));
  let blob: Uint8Array | null = null;
  if (r() < 0.25) {
    blob = new Uint8Array(16 + int(r, 80));
    for (let i = 0; i < blob.length; i++) blob[i] = int(r, 256);
  }
  const quotas: Quota[] = r() < 0.1 ? [{ name: 'nodes', value: 2000 }, { name: 'watches', value: 256 }] : [];
  return {
    domid,
    uuid,
    type: ['pvh', 'hvm', 'pv'][int(r, 3)]!,
    memKb: [262144, 524288, 1048576, 2097152, 4194304][int(r, 5)]!,
    vcpus: 1 + int(r, 4),
    vifs,
    vbds,
    storePort: 1 + int(r, 4000),
    storeRef: 0xfeffc + int(r, 2),
    consolePort: 1 + int(r, 4000),
    consoleRef: 0xfefff,
    blob,
    depthWatch: r() < 0.1,
    pending: r() < 0.02,
    uniqueId: (BigInt(int(r, 0x100000000)) << 32n) | BigInt(int(r, 0x100000000)),
    quotas,
  };
}

// ---------------------------------------------------------------------------------------------

const text = (s: string) => Buffer.from(s, 'latin1');
const EMPTY = new Uint8Array(0);
const DOM0_ONLY: Permission[] = [{ perm: 'n', flags: 0, domid: 0 }];
const DOM0_READ_ALL: Permission[] = [{ perm: 'r', flags: 0, domid: 0 }];
const ownedByDom0ReadBy = (d: number): Permission[] => [{ perm: 'n', flags: 0, domid: 0 }, { perm: 'r', flags: 0, domid: d }];
const ownedByReadByDom0 = (d: number): Permission[] => [{ perm: 'n', flags: 0, domid: d }, { perm: 'r', flags: 0, domid: 0 }];

/** Wire message header + payload (xenstore ring protocol), in the stream's byte order. */
function wireMessage(type: number, reqId: number, payload: string, little: boolean): Uint8Array {
  const p = text(payload);
  const b = Buffer.alloc(16 + p.length);
  const w = little ? b.writeUInt32LE.bind(b) : b.writeUInt32BE.bind(b);
  w(type, 0);
  w(reqId, 4);
  w(0, 8);
  w(p.length, 12);
  p.copy(b, 16);
  return b;
}
const XS_CONTROL = 0;
const XS_READ = 2;
const XS_WATCH_EVENT = 15;

class Emitter {
  readonly w: BinaryWriter;
  records = 0;
  nodes = 0;
  watches = 0;
  connections = 0;
  constructor(order: ByteOrder, sink: Sink | undefined, private readonly maxNodes = Infinity) {
    this.w = new BinaryWriter(order, sink ?? (() => {}));
  }
  rec(r: XsRecord): void {
    writeRecord(this.w, r, this.records++);
    this.w.maybeFlush();
    if (r.type === 'CONNECTION_DATA') this.connections++;
    else if (r.type === 'WATCH_DATA' || r.type === 'WATCH_DATA_EXTENDED') this.watches++;
  }
  /** A committed node; once the node budget is spent every later one is dropped, so the
   * tree written is always a prefix of the pre-order walk (parents before children). */
  node(path: string, value: string | Uint8Array, perms: Permission[]): void {
    if (this.nodes >= this.maxNodes) return;
    this.nodes++;
    const n: NodeData = { type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms, path, value: typeof value === 'string' ? text(value) : value };
    this.rec(n);
  }
  get full(): boolean {
    return this.nodes >= this.maxNodes;
  }
}

interface Ctx {
  seed: number;
  version: 1 | 2;
  little: boolean;
  domains: number;
  /** Extra data nodes per guest (very large targets, when domain ids run out). */
  extraPerGuest: number;
}

function guestConnection(e: Emitter, ctx: Ctx, g: Guest, connId: number): void {
  const pendingIn = g.pending ? wireMessage(XS_READ, 7, `/local/domain/${g.domid}/memory/tar`, ctx.little).subarray(0, 16 + 12) : EMPTY;
  const pendingOut = g.pending ? wireMessage(XS_WATCH_EVENT, 0, `/local/domain/${g.domid}/memory/target\0ffff8880${hexN(rng(ctx.seed, g.domid, 3), 8)}\0`, ctx.little) : EMPTY;
  e.rec({
    type: 'CONNECTION_DATA',
    connId,
    connType: 0,
    fields: ctx.version === 2 ? 1 : 0,
    connSpec: { domid: g.domid, tdomid: DOMID.INVALID, evtchn: g.storePort },
    outRespLen: 0,
    inData: pendingIn,
    outData: pendingOut,
    ...(ctx.version === 2 ? { uniqueId: g.uniqueId } : {}),
  });
  const r = rng(ctx.seed, g.domid, 2);
  const token = () => `ffff8880${hexN(r, 8)}`;
  const base = `/local/domain/${g.domid}`;
  if (ctx.version === 2 && g.depthWatch) {
    e.rec({ type: 'WATCH_DATA_EXTENDED', connId, depth: 1, wpath: `${base}/device`, token: token() });
  } else {
    e.rec({ type: 'WATCH_DATA', connId, wpath: `${base}/device`, token: token() });
  }
  e.rec({ type: 'WATCH_DATA', connId, wpath: `${base}/control/shutdown`, token: token() });
  e.rec({ type: 'WATCH_DATA', connId, wpath: `${base}/memory/target`, token: token() });
  for (let i = 0; i < g.vifs.length; i++) {
    e.rec({ type: 'WATCH_DATA', connId, wpath: `/local/domain/0/backend/vif/${g.domid}/${i}/state`, token: token() });
  }
}

function dom0Backends(e: Emitter, ctx: Ctx): void {
  e.node('/local/domain/0/backend', '', DOM0_ONLY);
  e.node('/local/domain/0/backend/vif', '', DOM0_ONLY);
  for (let d = 1; d <= ctx.domains && !e.full; d++) {
    const g = guest(ctx.seed, d);
    const p = ownedByDom0ReadBy(d);
    e.node(`/local/domain/0/backend/vif/${d}`, '', p);
    g.vifs.forEach((v, i) => {
      const b = `/local/domain/0/backend/vif/${d}/${i}`;
      e.node(b, '', p);
      e.node(`${b}/frontend`, `/local/domain/${d}/device/vif/${i}`, p);
      e.node(`${b}/frontend-id`, String(d), p);
      e.node(`${b}/online`, '1', p);
      e.node(`${b}/state`, '4', p);
      e.node(`${b}/script`, '/etc/xen/scripts/vif-bridge', p);
      e.node(`${b}/mac`, v.mac, p);
      e.node(`${b}/bridge`, 'xenbr0', p);
      e.node(`${b}/handle`, String(i), p);
      e.node(`${b}/type`, 'vif', p);
      e.node(`${b}/feature-sg`, '1', p);
      e.node(`${b}/feature-rx-copy`, '1', p);
      e.node(`${b}/hotplug-status`, 'connected', p);
    });
  }
  e.node('/local/domain/0/backend/vbd', '', DOM0_ONLY);
  for (let d = 1; d <= ctx.domains && !e.full; d++) {
    const g = guest(ctx.seed, d);
    const p = ownedByDom0ReadBy(d);
    e.node(`/local/domain/0/backend/vbd/${d}`, '', p);
    for (const v of g.vbds) {
      const b = `/local/domain/0/backend/vbd/${d}/${v.dev}`;
      e.node(b, '', p);
      e.node(`${b}/frontend`, `/local/domain/${d}/device/vbd/${v.dev}`, p);
      e.node(`${b}/frontend-id`, String(d), p);
      e.node(`${b}/params`, v.params, p);
      e.node(`${b}/type`, 'phy', p);
      e.node(`${b}/mode`, 'w', p);
      e.node(`${b}/online`, '1', p);
      e.node(`${b}/state`, '4', p);
      e.node(`${b}/physical-device`, `fd:${(v.dev & 0xff).toString(16)}`, p);
      e.node(`${b}/hotplug-status`, 'connected', p);
    }
  }
}

function guestTree(e: Emitter, ctx: Ctx, g: Guest): void {
  const d = g.domid;
  const base = `/local/domain/${d}`;
  const ro = ownedByDom0ReadBy(d);
  const rw = ownedByReadByDom0(d);
  e.node(base, '', ro);
  e.node(`${base}/vm`, `/vm/${g.uuid}`, ro);
  e.node(`${base}/name`, `guest-${d}`, ro);
  e.node(`${base}/domid`, String(d), ro);
  e.node(`${base}/memory`, '', ro);
  e.node(`${base}/memory/static-max`, String(g.memKb), ro);
  e.node(`${base}/memory/target`, String(g.memKb), ro);
  e.node(`${base}/memory/videoram`, '-1', ro);
  e.node(`${base}/cpu`, '', ro);
  for (let c = 0; c < g.vcpus; c++) {
    e.node(`${base}/cpu/${c}`, '', ro);
    e.node(`${base}/cpu/${c}/availability`, 'online', ro);
  }
  e.node(`${base}/device`, '', rw);
  e.node(`${base}/device/vif`, '', rw);
  g.vifs.forEach((v, i) => {
    const f = `${base}/device/vif/${i}`;
    e.node(f, '', rw);
    e.node(`${f}/backend`, `/local/domain/0/backend/vif/${d}/${i}`, rw);
    e.node(`${f}/backend-id`, '0', rw);
    e.node(`${f}/state`, '4', rw);
    e.node(`${f}/handle`, String(i), rw);
    e.node(`${f}/mac`, v.mac, rw);
    e.node(`${f}/tx-ring-ref`, String(v.txRef), rw);
    e.node(`${f}/rx-ring-ref`, String(v.rxRef), rw);
    e.node(`${f}/event-channel`, String(v.evtchn), rw);
    e.node(`${f}/request-rx-copy`, '1', rw);
    e.node(`${f}/feature-rx-notify`, '1', rw);
    e.node(`${f}/feature-sg`, '1', rw);
    e.node(`${f}/feature-gso-tcpv4`, '1', rw);
  });
  e.node(`${base}/device/vbd`, '', rw);
  for (const v of g.vbds) {
    const f = `${base}/device/vbd/${v.dev}`;
    e.node(f, '', rw);
    e.node(`${f}/backend`, `/local/domain/0/backend/vbd/${d}/${v.dev}`, rw);
    e.node(`${f}/backend-id`, '0', rw);
    e.node(`${f}/state`, '4', rw);
    e.node(`${f}/virtual-device`, String(v.dev), rw);
    e.node(`${f}/device-type`, 'disk', rw);
    e.node(`${f}/ring-ref`, String(v.ringRef), rw);
    e.node(`${f}/event-channel`, String(v.evtchn), rw);
    e.node(`${f}/protocol`, 'x86_64-abi', rw);
  }
  e.node(`${base}/control`, '', rw);
  e.node(`${base}/control/shutdown`, '', rw);
  e.node(`${base}/control/feature-poweroff`, '1', rw);
  e.node(`${base}/control/feature-reboot`, '1', rw);
  e.node(`${base}/control/feature-suspend`, '1', rw);
  e.node(`${base}/data`, '', rw);
  if (g.blob) e.node(`${base}/data/blob`, g.blob, rw);
  if (ctx.extraPerGuest) {
    const r = rng(ctx.seed, d, 4);
    for (let k = 0; k < ctx.extraPerGuest; k++) e.node(`${base}/data/extra-${k}`, filler(r), rw);
  }
  e.node(`${base}/console`, '', ro);
  e.node(`${base}/console/ring-ref`, String(g.consoleRef), ro);
  e.node(`${base}/console/port`, String(g.consolePort), ro);
  e.node(`${base}/console/limit`, '1048576', ro);
  e.node(`${base}/console/type`, 'xenconsoled', ro);
  e.node(`${base}/console/tty`, `/dev/pts/${d % 4096}`, ro);
  e.node(`${base}/store`, '', ro);
  e.node(`${base}/store/port`, String(g.storePort), ro);
  e.node(`${base}/store/ring-ref`, String(g.storeRef), ro);
}

/** About 200 bytes: text one time in two, binary otherwise. */
function filler(r: () => number): Uint8Array {
  const b = new Uint8Array(100 + int(r, 200));
  if (r() < 0.5) for (let i = 0; i < b.length; i++) b[i] = 0x61 + int(r, 26);
  else for (let i = 0; i < b.length; i++) b[i] = int(r, 256);
  return b;
}

const GLOBAL_QUOTAS: Quota[] = [
  { name: 'nodes', value: 1000 },
  { name: 'watches', value: 128 },
  { name: 'transactions', value: 10 },
  { name: 'outstanding', value: 1024 },
  { name: 'memory', value: 2097152 },
  { name: 'transaction-nodes', value: 1024 },
  { name: 'node-permissions', value: 5 },
  { name: 'path-max', value: 1024 },
  { name: 'node-size', value: 2048 },
  { name: 'soft-memory', value: 2097152 },
];

/** Writes everything up to the end of the tree; `fill` adds nodes at the end of it. */
function writeBody(e: Emitter, ctx: Ctx, fill: (e: Emitter) => void): void {
  e.rec({ type: 'GLOBAL_DATA', rwSocketFd: 7, evtchnFd: 8 });
  if (ctx.version === 2) e.rec({ type: 'GLOBAL_QUOTA_DATA', domQuotas: GLOBAL_QUOTAS, globQuotas: [] });
  // dom0's own ring (the kernel's xenbus), then dom0 tools over the socket: the live-update
  // client waits for its "OK".
  e.rec({
    type: 'CONNECTION_DATA', connId: 1, connType: 0, fields: ctx.version === 2 ? 1 : 0,
    connSpec: { domid: 0, tdomid: DOMID.INVALID, evtchn: 7 }, outRespLen: 0, inData: EMPTY, outData: EMPTY,
    ...(ctx.version === 2 ? { uniqueId: 0x0102030405060000n } : {}),
  });
  e.rec({ type: 'WATCH_DATA', connId: 1, wpath: '@releaseDomain', token: 'ffff888000000001' });
  e.rec({
    type: 'CONNECTION_DATA', connId: 2, connType: 1, fields: 0, connSpec: { socketFd: 11 },
    outRespLen: 0, inData: EMPTY, outData: wireMessage(XS_CONTROL, 1, 'OK\0', ctx.little),
  });
  e.rec({ type: 'CONNECTION_DATA', connId: 3, connType: 1, fields: 0, connSpec: { socketFd: 12 }, outRespLen: 0, inData: EMPTY, outData: EMPTY });
  e.rec({ type: 'WATCH_DATA', connId: 3, wpath: '@introduceDomain', token: 'domlist' });
  e.rec({ type: 'WATCH_DATA', connId: 3, wpath: '@releaseDomain', token: 'domlist' });
  e.rec({ type: 'CONNECTION_DATA', connId: 4, connType: 1, fields: 0, connSpec: { socketFd: 13 }, outRespLen: 0, inData: EMPTY, outData: EMPTY });
  e.rec({ type: 'WATCH_DATA', connId: 4, wpath: '/local/domain/0/backend/vif', token: 'backend-vif' });
  e.rec({ type: 'WATCH_DATA', connId: 4, wpath: '/local/domain/0/backend/vbd', token: 'backend-vbd' });
  for (let d = 1; d <= ctx.domains; d++) guestConnection(e, ctx, guest(ctx.seed, d), 4 + d);

  e.node('/', '', DOM0_ONLY);
  e.node('/local', '', DOM0_READ_ALL);
  e.node('/local/domain', '', DOM0_READ_ALL);
  e.node('/local/domain/0', '', DOM0_ONLY);
  e.node('/local/domain/0/name', 'Domain-0', DOM0_ONLY);
  e.node('/local/domain/0/domid', '0', DOM0_ONLY);
  dom0Backends(e, ctx);
  for (let d = 1; d <= ctx.domains && !e.full; d++) guestTree(e, ctx, guest(ctx.seed, d));
  e.node('/vm', '', DOM0_ONLY);
  for (let d = 1; d <= ctx.domains && !e.full; d++) {
    const g = guest(ctx.seed, d);
    const p = ownedByDom0ReadBy(d);
    e.node(`/vm/${g.uuid}`, '', p);
    e.node(`/vm/${g.uuid}/name`, `guest-${d}`, p);
    e.node(`/vm/${g.uuid}/uuid`, g.uuid, p);
    e.node(`/vm/${g.uuid}/start_time`, `${1700000000 + d}.${String(d * 7919 % 100).padStart(2, '0')}`, p);
  }
  e.node('/libxl', '', DOM0_ONLY);
  for (let d = 1; d <= ctx.domains && !e.full; d++) {
    const g = guest(ctx.seed, d);
    e.node(`/libxl/${d}`, '', DOM0_ONLY);
    e.node(`/libxl/${d}/type`, g.type, DOM0_ONLY);
    e.node(`/libxl/${d}/dm-version`, 'qemu_xen', DOM0_ONLY);
  }
  e.node('/tool', '', DOM0_ONLY);
  e.node('/tool/xenstored', '', DOM0_ONLY);
  fill(e);
}

function writeTail(e: Emitter, ctx: Ctx): void {
  e.rec({ type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: DOM0_ONLY, path: '@releaseDomain', value: EMPTY });
  e.rec({ type: 'NODE_DATA', connId: 0, txId: 0, access: 0, perms: DOM0_ONLY, path: '@introduceDomain', value: EMPTY });
  const features = ctx.version === 2 ? 14 : 0;
  e.rec({ type: 'DOMAIN_DATA', domainId: 0, features, quotas: [] });
  for (let d = 1; d <= ctx.domains; d++) e.rec({ type: 'DOMAIN_DATA', domainId: d, features, quotas: guest(ctx.seed, d).quotas });
  e.rec({ type: 'END' });
}

/** Bytes (with the header) and nodes of the stream for a few guests: a dry run into no sink. */
function measure(ctx: Ctx): { bytes: number; nodes: number } {
  const e = new Emitter(ctx.little ? 'little' : 'big', undefined);
  writeBody(e, ctx, () => {});
  writeTail(e, ctx);
  return { bytes: e.w.offset + 16, nodes: e.nodes };
}

/** Bytes of the part after the tree (specials, DOMAIN_DATA, END). */
function tailBytes(ctx: Ctx): number {
  const e = new Emitter(ctx.little ? 'little' : 'big', undefined);
  writeTail(e, ctx);
  return e.w.offset;
}

/**
 * Writes a large realistic stream to `sink` record by record. Give `targetBytes` (about that
 * many bytes), `nodes` (exactly that many nodes in the tree) or `domains`.
 */
export function generateRealistic(o: RealisticOptions, sink: Sink): RealisticSummary {
  const version = o.version ?? 2;
  const byteOrder = o.byteOrder ?? 'little';
  const seed = (o.seed ?? 1) >>> 0;
  const ctx: Ctx = { seed, version, little: byteOrder === 'little', domains: o.domains ?? 10, extraPerGuest: 0 };

  let maxNodes = Infinity;
  let fillToBytes = 0;
  let fillToNodes = 0;
  if (o.nodes !== undefined) {
    if (!Number.isInteger(o.nodes) || o.nodes < 1) throw new RangeError('nodes must be a positive integer');
    // Guests of about 60 nodes each; the tree is cut or filled to the exact count.
    const per = (measure({ ...ctx, domains: 201 }).nodes - measure({ ...ctx, domains: 1 }).nodes) / 200;
    ctx.domains = Math.max(0, Math.min(MAX_DOMID, Math.floor(o.nodes / per)));
    maxNodes = o.nodes;
    fillToNodes = o.nodes;
  } else if (o.targetBytes !== undefined) {
    if (!Number.isFinite(o.targetBytes) || o.targetBytes < 0) throw new RangeError('targetBytes must be a non-negative number');
    const one = measure({ ...ctx, domains: 1 }).bytes;
    const per = (measure({ ...ctx, domains: 201 }).bytes - one) / 200;
    const fixed = one - per;
    // Aim 3% short (later guests have longer domids in their paths); filler nodes under
    // /tool/xenstored make up the rest.
    let domains = Math.floor(((o.targetBytes - fixed) / per) * 0.97);
    if (domains > MAX_DOMID) {
      // Out of domain ids: give each guest more data instead.
      ctx.extraPerGuest = Math.ceil((o.targetBytes / MAX_DOMID - per) / 260);
      domains = MAX_DOMID;
    }
    ctx.domains = Math.max(0, domains);
    fillToBytes = o.targetBytes;
  }

  const e = new Emitter(byteOrder, sink, maxNodes);
  writeHeader(e.w, { version, byteOrder, reservedFlags: 0 });
  // The tail (specials, DOMAIN_DATA, END) has a known size: fill the tree up to the target
  // before writing it.
  const tail = fillToBytes ? tailBytes(ctx) : 0;
  writeBody(e, ctx, (em) => {
    const r = rng(seed, 0, 5);
    for (let k = 0; ; k++) {
      if (fillToNodes && em.nodes >= fillToNodes) break;
      if (fillToBytes && em.w.offset + tail + 160 > fillToBytes) break;
      if (!fillToNodes && !fillToBytes) break;
      if (k === 0) em.node('/tool/xenstored/filler', '', DOM0_ONLY);
      else em.node(`/tool/xenstored/filler/${k}`, fillToBytes ? fillerSized(r, fillToBytes - em.w.offset - tail - 40) : filler(r), DOM0_ONLY);
    }
  });
  writeTail(e, ctx);
  e.w.flush();
  return { bytes: e.w.offset, records: e.records, nodes: e.nodes, domains: ctx.domains, connections: e.connections, watches: e.watches };
}

/** A filler value of at most `room` bytes (and at most about 300). */
function fillerSized(r: () => number, room: number): Uint8Array {
  const f = filler(r);
  return f.subarray(0, Math.max(0, Math.min(f.length, room)));
}
