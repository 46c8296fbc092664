// Where the fields of NODE_DATA and WATCH_DATA bodies lie, for the checker's fast paths, which
// read them from the input bytes instead of decoded records. Worked out from the one
// declaration of the layouts (wire/layout.ts), as every other reader's offsets are; a layout
// this code does not understand (fields reordered, resized or added) is an error when the
// module loads, not a silent misreading.

import { INT_SIZE, LAYOUTS, type Field, type IntType } from '../wire/layout.js';

export interface NodeLayout {
  connId: number;
  txId: number;
  pathLen: number;
  valueLen: number;
  access: number;
  permCount: number;
  /** Where the permissions start, and the size of one and its fields' offsets within it. */
  perms: number;
  permSize: number;
  permLetter: number;
  permFlags: number;
  permDomid: number;
}

export interface WatchLayout {
  connId: number;
  wpathLen: number;
  tokenLen: number;
  /** WATCH_DATA_EXTENDED only (else -1). */
  depth: number;
  pad: number;
  /** Where wpath starts; token follows it. */
  wpath: number;
}

function fail(type: string, why: string): never {
  throw new Error(`check: ${type} layout changed (${why}); update src/check/byte-layouts.ts`);
}

/** Offsets of the leading int fields, which must be `want` (key: type) in some order; and where they end. */
function ints(type: string, fields: readonly Field[], want: Record<string, IntType>): { at: Record<string, number>; end: number; next: number } {
  const at: Record<string, number> = {};
  let off = 0;
  let i = 0;
  for (; i < fields.length && fields[i]!.kind === 'int'; i++) {
    const f = fields[i] as Extract<Field, { kind: 'int' }>;
    if (want[f.key] !== f.int) fail(type, `int field ${f.key} ${f.int}`);
    at[f.key] = off;
    off += INT_SIZE[f.int];
  }
  for (const k of Object.keys(want)) if (at[k] === undefined) fail(type, `no ${k}`);
  return { at, end: off, next: i };
}

function expectField(type: string, f: Field | undefined, kind: Field['kind'], key: string, length?: string): void {
  if (f?.kind !== kind || !('key' in f) || f.key !== key || (length !== undefined && (!('length' in f) || f.length !== length))) fail(type, key);
}

/** The offsets of a layout shaped as NODE_DATA is: ints, the permission array, path, value. */
export function nodeLayout(fields: readonly Field[] = LAYOUTS.NODE_DATA.fields): NodeLayout {
  const T = 'NODE_DATA';
  const { at, end, next } = ints(T, fields, { connId: 'u32', txId: 'u32', pathLen: 'u16', valueLen: 'u16', access: 'u16', permCount: 'u16' });
  let i = next;
  const perms = fields[i++];
  if (perms?.kind !== 'array' || perms.count !== 'permCount') fail(T, 'no permission array after the ints');
  const want: Record<string, IntType | 'char'> = { perm: 'char', flags: 'u8', domid: 'u16' };
  const pat: Record<string, number> = {};
  let size = 0;
  for (const f of perms.fields) {
    const kind = f.kind === 'char' ? 'char' : f.kind === 'int' ? f.int : undefined;
    if (!('key' in f) || want[f.key] !== kind) fail(T, `permission field ${'key' in f ? f.key : f.kind}`);
    pat[f.key] = size;
    size += kind === 'char' ? 1 : INT_SIZE[kind as IntType];
  }
  if (Object.keys(pat).length !== Object.keys(want).length) fail(T, 'permission fields');
  expectField(T, fields[i++], 'cstring', 'path', 'pathLen');
  expectField(T, fields[i++], 'bytes', 'value', 'valueLen');
  if (i !== fields.length) fail(T, 'fields after value');
  return {
    connId: at.connId!,
    txId: at.txId!,
    pathLen: at.pathLen!,
    valueLen: at.valueLen!,
    access: at.access!,
    permCount: at.permCount!,
    perms: end,
    permSize: size,
    permLetter: pat.perm!,
    permFlags: pat.flags!,
    permDomid: pat.domid!,
  };
}

/** The offsets of a layout shaped as WATCH_DATA (`extended`: WATCH_DATA_EXTENDED) is: ints, wpath, token. */
export function watchLayout(extended: boolean, fields: readonly Field[] = LAYOUTS[extended ? 'WATCH_DATA_EXTENDED' : 'WATCH_DATA'].fields): WatchLayout {
  const T = extended ? 'WATCH_DATA_EXTENDED' : 'WATCH_DATA';
  const want: Record<string, IntType> = { connId: 'u32', wpathLen: 'u16', tokenLen: 'u16' };
  if (extended) Object.assign(want, { depth: 'u16', pad: 'u16' });
  const { at, end, next } = ints(T, fields, want);
  let i = next;
  expectField(T, fields[i++], 'cstring', 'wpath', 'wpathLen');
  expectField(T, fields[i++], 'cstring', 'token', 'tokenLen');
  if (i !== fields.length) fail(T, 'fields after token');
  return { connId: at.connId!, wpathLen: at.wpathLen!, tokenLen: at.tokenLen!, depth: at.depth ?? -1, pad: at.pad ?? -1, wpath: end };
}

export const NODE = nodeLayout();
export const WATCH = watchLayout(false);
export const WATCH_EXT = watchLayout(true);

export interface ConnLayout {
  connId: number;
  connType: number;
  fields: number;
  /** conn-spec: ring domid and tdomid, socket pad (offsets in the body). */
  ringDomid: number;
  ringTdomid: number;
  socketPad: number;
  inDataLen: number;
  outRespLen: number;
  outDataLen: number;
  /** Where in-data starts (out-data follows it). */
  data: number;
  /** With `fields` bit `uniqueIdBit`: zero padding to a multiple of `align`, then unique-id (`uniqueIdSize` bytes). */
  uniqueIdBit: number;
  align: number;
  uniqueIdSize: number;
}

/** The offsets of a layout shaped as CONNECTION_DATA is. */
export function connLayout(fields: readonly Field[] = LAYOUTS.CONNECTION_DATA.fields): ConnLayout {
  const T = 'CONNECTION_DATA';
  const head = ints(T, fields, { connId: 'u32', connType: 'u16', fields: 'u16' });
  let i = head.next;
  const spec = fields[i++];
  if (spec?.kind !== 'switch' || spec.on !== 'connType' || !spec.cases[0] || !spec.cases[1]) fail(T, 'conn-spec');
  const ring = ints(T, spec.cases[0].fields, { domid: 'u16', tdomid: 'u16', evtchn: 'u32' });
  const socket = ints(T, spec.cases[1].fields, { socketFd: 'i32', pad: 'u32' });
  const raw = spec.default.fields[0];
  if (ring.end !== socket.end || spec.default.fields.length !== 1 || raw?.kind !== 'bytes' || raw.length !== ring.end) fail(T, 'conn-spec sizes');
  const specAt = head.end;
  const rest = fields.slice(i);
  const lens = ints(T, rest, { inDataLen: 'u16', outRespLen: 'u16', outDataLen: 'u32' });
  i = lens.next;
  expectField(T, rest[i++], 'bytes', 'inData', 'inDataLen');
  expectField(T, rest[i++], 'bytes', 'outData', 'outDataLen');
  const opt = rest[i++];
  if (opt?.kind !== 'optional' || opt.when.key !== 'fields' || opt.fields.length !== 2) fail(T, 'unique-id group');
  const [align, uid] = opt.fields;
  if (align?.kind !== 'align' || uid?.kind !== 'int' || uid.key !== 'uniqueId') fail(T, 'unique-id group fields');
  if (i !== rest.length) fail(T, 'fields after unique-id');
  const base = specAt + ring.end;
  return {
    connId: head.at.connId!,
    connType: head.at.connType!,
    fields: head.at.fields!,
    ringDomid: specAt + ring.at.domid!,
    ringTdomid: specAt + ring.at.tdomid!,
    socketPad: specAt + socket.at.pad!,
    inDataLen: base + lens.at.inDataLen!,
    outRespLen: base + lens.at.outRespLen!,
    outDataLen: base + lens.at.outDataLen!,
    data: base + lens.end,
    uniqueIdBit: opt.when.mask,
    align: align.to,
    uniqueIdSize: INT_SIZE[uid.int],
  };
}

export interface DomainLayout {
  domainId: number;
  nQuota: number;
  features: number;
  /** Where the quota values start (the body's size when there are none). */
  quotas: number;
}

/** The offsets of a layout shaped as DOMAIN_DATA is. */
export function domainLayout(fields: readonly Field[] = LAYOUTS.DOMAIN_DATA.fields): DomainLayout {
  const T = 'DOMAIN_DATA';
  const { at, end, next } = ints(T, fields, { domainId: 'u16', nQuota: 'u16', features: 'u32' });
  const vals = fields[next];
  const names = fields[next + 1];
  if (vals?.kind !== 'ints' || vals.count !== 'nQuota' || names?.kind !== 'cstrings' || names.count !== 'nQuota' || fields.length !== next + 2) fail(T, 'quotas');
  return { domainId: at.domainId!, nQuota: at.nQuota!, features: at.features!, quotas: end };
}

export const CONN = connLayout();
export const DOMAIN = domainLayout();
