// The typed model of a stream. Length and count fields are not stored: they follow from the
// data. What a non-canonical input needs to come back byte for byte (a declared `len` other
// than the padded body size, non-zero padding, a string without its NUL) is kept in the
// optional fields of RecordExtras; their presence is also how such anomalies are reported.

import type { ByteOrder } from '../wire/constants.js';

export interface StreamHeader {
  version: number;
  byteOrder: ByteOrder;
  /** Flag bits 1-31 as read (must be zero). */
  reservedFlags: number;
}

export interface RecordExtras {
  /** Declared `len`, present only when it differs from the body size rounded up to 8. */
  len?: number;
  /** Every byte after the body up to the next record, present only when one is not zero. */
  padding?: Uint8Array;
  /** Keys of string fields whose declared bytes do not end in a NUL. */
  unterminated?: string[];
}

export interface EndRecord extends RecordExtras {
  type: 'END';
}

export interface GlobalData extends RecordExtras {
  type: 'GLOBAL_DATA';
  rwSocketFd: number;
  evtchnFd: number;
}

export interface RingSpec {
  domid: number;
  tdomid: number;
  evtchn: number;
}
export interface SocketSpec {
  socketFd: number;
  /** Present only when not zero. */
  pad?: number;
}
export interface UnknownSpec {
  raw: Uint8Array;
}

export interface ConnectionData extends RecordExtras {
  type: 'CONNECTION_DATA';
  connId: number;
  /** 0 shared ring, 1 socket. */
  connType: number;
  /** Bit 0: unique-id present. */
  fields: number;
  connSpec: RingSpec | SocketSpec | UnknownSpec;
  outRespLen: number;
  inData: Uint8Array;
  outData: Uint8Array;
  /** Padding between the data and unique-id, present only when not zero. */
  dataPad?: Uint8Array;
  uniqueId?: bigint;
}

export interface WatchData extends RecordExtras {
  type: 'WATCH_DATA';
  connId: number;
  wpath: string;
  token: string;
}

export const SHORT_HEADER_DEFECT = 'xen-4.22-short-header';

export interface WatchDataExtended extends RecordExtras {
  type: 'WATCH_DATA_EXTENDED';
  connId: number;
  /** Levels below wpath that fire; 0xFFFF unlimited; null when the producer lost it. */
  depth: number | null;
  /** Present only when not zero. */
  pad?: number;
  wpath: string;
  token: string;
  /** Set when the record was written by Xen 4.22's defective writer (no depth, short header). */
  producerDefect?: typeof SHORT_HEADER_DEFECT;
}

export interface TransactionData extends RecordExtras {
  type: 'TRANSACTION_DATA';
  connId: number;
  txId: number;
}

export interface Permission {
  /** One character: `n`, `r`, `w`, `b` (anything else is kept as read). */
  perm: string;
  /** Bit 0: stale. */
  flags: number;
  domid: number;
}

export interface NodeData extends RecordExtras {
  type: 'NODE_DATA';
  connId: number;
  txId: number;
  access: number;
  perms: Permission[];
  path: string;
  value: Uint8Array;
}

export interface Quota {
  name: string;
  value: number;
}

export interface GlobalQuotaData extends RecordExtras {
  type: 'GLOBAL_QUOTA_DATA';
  /** Defaults applied to each domain. */
  domQuotas: Quota[];
  /** Quotas of the daemon as a whole. */
  globQuotas: Quota[];
}

export interface DomainData extends RecordExtras {
  type: 'DOMAIN_DATA';
  domainId: number;
  /** Server feature bits (version 2 only; zero in version 1). */
  features: number;
  quotas: Quota[];
}

export interface UnknownRecord extends RecordExtras {
  type: 'UNKNOWN';
  typeCode: number;
  body: Uint8Array;
}

export type XsRecord =
  | EndRecord
  | GlobalData
  | ConnectionData
  | WatchData
  | WatchDataExtended
  | TransactionData
  | NodeData
  | GlobalQuotaData
  | DomainData
  | UnknownRecord;

export type KnownRecord = Exclude<XsRecord, UnknownRecord>;
export type RecordOf<T extends XsRecord['type']> = Extract<XsRecord, { type: T }>;

export interface Stream {
  header: StreamHeader;
  /** Every record, the END record last. */
  records: XsRecord[];
  /** Bytes after the END record, if any. */
  trailing?: Uint8Array;
}

/** Where a decoded record lay in its input. */
export interface RecordLocation {
  index: number;
  offset: number;
  /** Type code as read. */
  typeCode: number;
  /** `len` as read. */
  len: number;
  /** Bytes from the record's first byte to the next record's. */
  wireLen: number;
}

export function isRing(r: ConnectionData): boolean {
  return r.connType === 0;
}
export function ringSpec(r: ConnectionData): RingSpec | undefined {
  return r.connType === 0 ? (r.connSpec as RingSpec) : undefined;
}
