// Numbers of the Xenstore migration stream format (see spec/format.md).

export const IDENT = 'xenstore';
export const HEADER_SIZE = 16;
export const RECORD_HEADER_SIZE = 8;
/** Every record starts on an 8-byte boundary. */
export const RECORD_ALIGN = 8;

export type ByteOrder = 'little' | 'big';

export const RecordType = {
  END: 0,
  GLOBAL_DATA: 1,
  CONNECTION_DATA: 2,
  WATCH_DATA: 3,
  TRANSACTION_DATA: 4,
  NODE_DATA: 5,
  GLOBAL_QUOTA_DATA: 6,
  DOMAIN_DATA: 7,
  WATCH_DATA_EXTENDED: 8,
} as const;
export type RecordTypeName = keyof typeof RecordType;

const NAME_BY_CODE = new Map<number, RecordTypeName>(
  Object.entries(RecordType).map(([n, c]) => [c, n as RecordTypeName]),
);
export const ALL_RECORD_TYPE_NAMES = Object.keys(RecordType) as RecordTypeName[];

export function recordTypeName(code: number): RecordTypeName | undefined {
  return NAME_BY_CODE.get(code);
}

/** Human label for a type code, known or not: `NODE_DATA` or `type 0x2a`. */
export function recordTypeLabel(code: number): string {
  return NAME_BY_CODE.get(code) ?? `type 0x${code.toString(16)}`;
}

/** The first stream version in which each record type may appear. */
export const MIN_VERSION: Record<RecordTypeName, number> = {
  END: 1,
  GLOBAL_DATA: 1,
  CONNECTION_DATA: 1,
  WATCH_DATA: 1,
  TRANSACTION_DATA: 1,
  NODE_DATA: 1,
  GLOBAL_QUOTA_DATA: 1,
  DOMAIN_DATA: 1,
  WATCH_DATA_EXTENDED: 2,
};
export const MAX_KNOWN_VERSION = 2;

export const ConnType = { SHARED_RING: 0, SOCKET: 1 } as const;
export function connTypeName(t: number): string {
  return t === 0 ? 'shared ring' : t === 1 ? 'socket' : `unknown (${t})`;
}

/** CONNECTION_DATA `fields` bit 0: a 64-bit unique-id follows the data. */
export const CONN_FIELD_UNIQUE_ID = 1;

/** NODE_DATA `access` values, meaningful for transaction nodes only. */
export const NodeAccess = { DELETED: 0, READ: 1, WRITTEN: 2 } as const;
export function accessName(a: number): string {
  return a === 0 ? 'deleted' : a === 1 ? 'read' : a === 2 ? 'written' : `unknown (${a})`;
}

/** Permission letters and their meaning. */
export const PERM_LETTERS: Record<string, string> = { n: 'none', r: 'read', w: 'write', b: 'both' };
/** Permission `flags` bit 0: entry is stale (domain gone), ignored for checks. */
export const PERM_FLAG_STALE = 1;

/** Watch depth meaning "no limit". */
export const DEPTH_UNLIMITED = 0xffff;

export const DOMID = {
  SELF: 0x7ff0,
  IO: 0x7ff1,
  XEN: 0x7ff2,
  COW: 0x7ff3,
  INVALID: 0x7ff4,
  ANY: 0x7ff5,
  IDLE: 0x7fff,
} as const;
const DOMID_NAMES = new Map<number, string>(Object.entries(DOMID).map(([n, v]) => [v, `DOMID_${n}`]));
export function reservedDomidName(d: number): string | undefined {
  return DOMID_NAMES.get(d);
}

/** Server feature bits a guest sees at offset 2064 of its ring page. */
export const FEATURE_BITS: { bit: number; name: string; doc: string }[] = [
  { bit: 0, name: 'reconnection', doc: 'ring reconnection' },
  { bit: 1, name: 'error', doc: 'connection error indicator' },
  { bit: 2, name: 'watch-depth', doc: 'WATCH takes a depth parameter' },
  { bit: 3, name: 'domid-any', doc: 'DOMID_ANY allowed in permissions' },
];
export const KNOWN_FEATURE_MASK = 0xf;

export function featureNames(features: number): string[] {
  const out: string[] = [];
  for (const f of FEATURE_BITS) if (features & (1 << f.bit)) out.push(f.name);
  const unknown = (features & ~KNOWN_FEATURE_MASK) >>> 0;
  if (unknown) out.push(`unknown 0x${unknown.toString(16)}`);
  return out;
}

/** Quota names xenstored knows (each also with a `soft-` prefix), and those the protocol document lists. */
export const XENSTORED_QUOTA_NAMES = [
  'nodes', 'watches', 'outstanding', 'memory', 'transactions', 'transaction-nodes',
  'node-permissions', 'path-max', 'node-size',
];
export const DOC_QUOTA_NAMES = ['nodes', 'watches', 'transactions', 'node-size', 'permissions'];
export function isKnownQuotaName(name: string): boolean {
  const base = name.startsWith('soft-') ? name.slice(5) : name;
  return XENSTORED_QUOTA_NAMES.includes(base) || DOC_QUOTA_NAMES.includes(base);
}

/** n rounded up to a multiple of 8 (arithmetic, not bitwise: `len` may be near 2^32). */
export function roundUp8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
