// The one declaration of every record body layout. Reading (binary-parser and the fast path),
// writing, field spans for the annotated hex view and the spec tables are all derived from
// these lists; no other module keeps its own copy of an offset.

import type { RecordTypeName } from './constants.js';

export type IntType = 'u8' | 'u16' | 'u32' | 'i32' | 'u64';
export const INT_SIZE: Record<IntType, number> = { u8: 1, u16: 2, u32: 4, i32: 4, u64: 8 };

/** A length or count: the key of an earlier int field, or several keys whose values add up. */
export type LengthRef = string | readonly string[];

interface Base {
  /** The field's name in the format document (`conn-id`). */
  name: string;
  /** The property that holds it in parsed objects and the model (`connId`). */
  key: string;
  /** One line on what the field means, for `dump`, the spec and Kaitai. */
  doc: string;
}

export interface IntField extends Base {
  kind: 'int';
  int: IntType;
  /** Holds the byte length of the named bytes/cstring field: derived when writing. */
  sizeOf?: string;
  /** Holds the element count of the named array field: derived when writing. */
  countOf?: string;
  /** Reserved (written as zero): the model carries it only when it is not zero. */
  reserved?: boolean;
}
/** A u8 that holds an ASCII letter (permission type). */
export interface CharField extends Base { kind: 'char' }
/**
 * Raw bytes whose count an earlier field gives. `wireMessages`: they hold xenstore wire
 * messages, whose header integers are in the record's byte order (so equal bytes in two byte
 * orders are not the same messages).
 */
export interface BytesField extends Base { kind: 'bytes'; length: LengthRef | number; wireMessages?: boolean }
/** A string whose byte count (an earlier field) includes its terminating NUL. */
export interface CStringField extends Base { kind: 'cstring'; length: LengthRef }
/** `count` NUL-terminated strings one after another (quota names). */
export interface CStringListField extends Base { kind: 'cstrings'; count: LengthRef }
/** `count` integers of one type. */
export interface IntArrayField extends Base { kind: 'ints'; int: IntType; count: LengthRef }
/** `count` fixed structures. */
export interface StructArrayField extends Base { kind: 'array'; count: LengthRef; fields: Field[] }
/** Zero bytes up to the next multiple of `to`, counted from the start of the body. */
export interface AlignField extends Base { kind: 'align'; to: number }
/** Fields present only when `(key & mask) !== 0`. */
export interface OptionalGroup { kind: 'optional'; name: string; when: { key: string; mask: number }; fields: Field[] }
/** A nested structure chosen by the value of an earlier field; `default` for other values. */
export interface SwitchField extends Base {
  kind: 'switch';
  on: string;
  cases: Record<number, { label: string; fields: Field[] }>;
  default: { label: string; fields: Field[] };
}

export type Field =
  | IntField
  | CharField
  | BytesField
  | CStringField
  | CStringListField
  | IntArrayField
  | StructArrayField
  | AlignField
  | OptionalGroup
  | SwitchField;

export interface RecordLayout {
  type: RecordTypeName | 'WATCH_DATA_EXTENDED_SHORT';
  doc: string;
  fields: Field[];
}

const connId = (doc = 'connection the record belongs to'): IntField => ({
  kind: 'int', name: 'conn-id', key: 'connId', int: 'u32', doc,
});

const ringSpec: Field[] = [
  { kind: 'int', name: 'domid', key: 'domid', int: 'u16', doc: 'domain at the other end of the ring' },
  { kind: 'int', name: 'tdomid', key: 'tdomid', int: 'u16', doc: 'domain it acts for (SET_TARGET), DOMID_INVALID when none' },
  { kind: 'int', name: 'evtchn', key: 'evtchn', int: 'u32', doc: 'event channel port' },
];
const socketSpec: Field[] = [
  { kind: 'int', name: 'socket-fd', key: 'socketFd', int: 'i32', doc: 'file descriptor of the socket in the saving process' },
  { kind: 'int', name: 'pad', key: 'pad', int: 'u32', doc: 'padding', reserved: true },
];

const watchHead: Field[] = [
  connId('connection that registered the watch'),
  { kind: 'int', name: 'wpath-len', key: 'wpathLen', int: 'u16', sizeOf: 'wpath', doc: 'bytes of wpath, NUL included' },
  { kind: 'int', name: 'token-len', key: 'tokenLen', int: 'u16', sizeOf: 'token', doc: 'bytes of token, NUL included' },
];
const watchStrings: Field[] = [
  { kind: 'cstring', name: 'wpath', key: 'wpath', length: 'wpathLen', doc: 'watched path' },
  { kind: 'cstring', name: 'token', key: 'token', length: 'tokenLen', doc: 'token given with the watch' },
];

export const LAYOUTS: Record<RecordTypeName, RecordLayout> = {
  END: { type: 'END', doc: 'end of the stream', fields: [] },
  GLOBAL_DATA: {
    type: 'GLOBAL_DATA',
    doc: 'file descriptors the daemon keeps across a live update',
    fields: [
      { kind: 'int', name: 'rw-socket-fd', key: 'rwSocketFd', int: 'i32', doc: 'listening socket fd, -1 when unused' },
      { kind: 'int', name: 'evtchn-fd', key: 'evtchnFd', int: 'i32', doc: 'event channel device fd, -1 when unused' },
    ],
  },
  CONNECTION_DATA: {
    type: 'CONNECTION_DATA',
    doc: 'one client connection and its pending traffic',
    fields: [
      connId('connection id, non-zero, referenced by later records'),
      { kind: 'int', name: 'conn-type', key: 'connType', int: 'u16', doc: '0 shared ring, 1 socket' },
      { kind: 'int', name: 'fields', key: 'fields', int: 'u16', doc: 'bit 0: unique-id present' },
      {
        kind: 'switch', name: 'conn-spec', key: 'connSpec', on: 'connType', doc: 'connection details, by conn-type',
        cases: { 0: { label: 'shared ring', fields: ringSpec }, 1: { label: 'socket', fields: socketSpec } },
        default: { label: 'unknown', fields: [{ kind: 'bytes', name: 'raw', key: 'raw', length: 8, doc: 'conn-spec of an unknown conn-type' }] },
      },
      { kind: 'int', name: 'in-data-len', key: 'inDataLen', int: 'u16', sizeOf: 'inData', doc: 'bytes of a partly received request' },
      { kind: 'int', name: 'out-resp-len', key: 'outRespLen', int: 'u16', doc: 'bytes at the start of out-data that are the unsent rest of a partly sent response' },
      { kind: 'int', name: 'out-data-len', key: 'outDataLen', int: 'u32', sizeOf: 'outData', doc: 'bytes of queued output' },
      { kind: 'bytes', name: 'in-data', key: 'inData', length: 'inDataLen', wireMessages: true, doc: 'partly received request (wire header and payload)' },
      { kind: 'bytes', name: 'out-data', key: 'outData', length: 'outDataLen', wireMessages: true, doc: 'queued responses and watch events' },
      {
        kind: 'optional', name: 'unique-id present', when: { key: 'fields', mask: 1 },
        fields: [
          { kind: 'align', name: 'pad', key: 'dataPad', to: 8, doc: 'zero padding to a multiple of 8' },
          { kind: 'int', name: 'unique-id', key: 'uniqueId', int: 'u64', doc: 'unique id of the domain' },
        ],
      },
    ],
  },
  WATCH_DATA: { type: 'WATCH_DATA', doc: 'a watch registered by a connection', fields: [...watchHead, ...watchStrings] },
  TRANSACTION_DATA: {
    type: 'TRANSACTION_DATA',
    doc: 'an open transaction',
    fields: [
      connId('connection owning the transaction'),
      { kind: 'int', name: 'tx-id', key: 'txId', int: 'u32', doc: 'transaction id' },
    ],
  },
  NODE_DATA: {
    type: 'NODE_DATA',
    doc: 'one node of the tree, committed or inside a transaction',
    fields: [
      connId('0 for a committed node, else the connection of the pending transaction'),
      { kind: 'int', name: 'tx-id', key: 'txId', int: 'u32', doc: 'transaction id (ignored when conn-id is 0)' },
      { kind: 'int', name: 'path-len', key: 'pathLen', int: 'u16', sizeOf: 'path', doc: 'bytes of path, NUL included' },
      { kind: 'int', name: 'value-len', key: 'valueLen', int: 'u16', sizeOf: 'value', doc: 'bytes of value' },
      { kind: 'int', name: 'access', key: 'access', int: 'u16', doc: 'transaction nodes: 1 read, 2 written, 0 deleted' },
      { kind: 'int', name: 'perm-count', key: 'permCount', int: 'u16', countOf: 'perms', doc: 'number of permissions' },
      {
        kind: 'array', name: 'perms', key: 'perms', count: 'permCount', doc: 'permissions, the first names the owner',
        fields: [
          { kind: 'char', name: 'perm', key: 'perm', doc: 'n none, r read, w write, b both' },
          { kind: 'int', name: 'flags', key: 'flags', int: 'u8', doc: 'bit 0: stale entry, ignored' },
          { kind: 'int', name: 'domid', key: 'domid', int: 'u16', doc: 'domain the permission is for' },
        ],
      },
      { kind: 'cstring', name: 'path', key: 'path', length: 'pathLen', doc: 'absolute path or @-special name' },
      { kind: 'bytes', name: 'value', key: 'value', length: 'valueLen', doc: 'node value, binary-safe' },
    ],
  },
  GLOBAL_QUOTA_DATA: {
    type: 'GLOBAL_QUOTA_DATA',
    doc: 'quota defaults for domains and global quotas',
    fields: [
      { kind: 'int', name: 'n-dom-quota', key: 'nDomQuota', int: 'u16', doc: 'number of per-domain default quotas' },
      { kind: 'int', name: 'n-glob-quota', key: 'nGlobQuota', int: 'u16', doc: 'number of global quotas' },
      { kind: 'ints', name: 'quota-val', key: 'quotaVal', int: 'u32', count: ['nDomQuota', 'nGlobQuota'], doc: 'quota values, 0 = unlimited' },
      { kind: 'cstrings', name: 'quota-names', key: 'quotaNames', count: ['nDomQuota', 'nGlobQuota'], doc: 'quota names, same order' },
    ],
  },
  DOMAIN_DATA: {
    type: 'DOMAIN_DATA',
    doc: 'per-domain state: features and quotas',
    fields: [
      { kind: 'int', name: 'domain-id', key: 'domainId', int: 'u16', doc: 'domain id' },
      { kind: 'int', name: 'n-quota', key: 'nQuota', int: 'u16', doc: 'number of quotas' },
      { kind: 'int', name: 'features', key: 'features', int: 'u32', doc: 'server feature bits the guest sees (version 2 only)' },
      { kind: 'ints', name: 'quota-val', key: 'quotaVal', int: 'u32', count: 'nQuota', doc: 'quota values, 0 = unlimited' },
      { kind: 'cstrings', name: 'quota-names', key: 'quotaNames', count: 'nQuota', doc: 'quota names, same order' },
    ],
  },
  WATCH_DATA_EXTENDED: {
    type: 'WATCH_DATA_EXTENDED',
    doc: 'a watch with a depth limit (version 2)',
    fields: [
      ...watchHead,
      { kind: 'int', name: 'depth', key: 'depth', int: 'u16', doc: 'directory levels below wpath that fire, 0xFFFF unlimited' },
      { kind: 'int', name: 'pad', key: 'pad', int: 'u16', doc: 'padding', reserved: true },
      ...watchStrings,
    ],
  },
};

/**
 * WATCH_DATA_EXTENDED as Xen 4.22's writer really emits it: the depth and its pad are never
 * written, so wpath starts at +8 (see spec/format.md, producer defects).
 */
export const WATCH_DATA_EXTENDED_SHORT: RecordLayout = {
  type: 'WATCH_DATA_EXTENDED_SHORT',
  doc: 'WATCH_DATA_EXTENDED with the Xen 4.22 short header (depth not written)',
  fields: [...watchHead, ...watchStrings],
};

/** Sum of the values a LengthRef names, read from `obj`. */
export function resolveLength(ref: LengthRef | number, obj: Record<string, unknown>): number {
  if (typeof ref === 'number') return ref;
  if (typeof ref === 'string') return obj[ref] as number;
  let n = 0;
  for (const k of ref) n += obj[k] as number;
  return n;
}

export function camelToFormatName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
