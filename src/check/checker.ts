// The rule engine. One pass over the records in stream order (`visit`), then `finish` for what
// needs the whole stream (END placement, trailing bytes, domains named before their owner).
// The same pass works out what a reader profile (`target`) would lose or refuse.
// Rules read the anomaly markers the decoder keeps in the model (len, padding, unterminated,
// dataPad, pad, producerDefect, UNKNOWN records, header.reservedFlags, stream.trailing).
//
// Fast paths (visitNodeBytes, visitWatchBytes, visitConnBytes, visitDomainBytes), for the
// CheckReader: a record nearly all of a large stream is made of is first looked at in its bytes,
// with no decoded record and no object made. When it is canonical and no rule has anything to
// say about it, the fast path remembers what `visit` would have and takes it; otherwise it
// changes nothing and the record is decoded and visited, which names what is wrong. Each fast
// path states the rules it stands in for; test/check-reader.test.ts holds the findings equal.
//
// What grows with the stream: every committed path (path-set.ts: 13 bytes a node plus each
// distinct component once), every watch (byte-set.ts: its conn-id, wpath and token bytes plus
// 12), and per connection, ring domain, domain record and node owner an entry of a map; all
// else is bounded (findings and losses by the problems found).

import {
  CONN_FIELD_UNIQUE_ID,
  DEPTH_UNLIMITED,
  DOMID,
  KNOWN_FEATURE_MASK,
  PERM_FLAG_STALE,
  PERM_LETTERS,
  featureNames,
  isKnownQuotaName,
  reservedDomidName,
  RECORD_HEADER_SIZE,
  roundUp8,
} from '../wire/constants.js';
import { writeBody } from '../wire/encode-body.js';
import { LAYOUTS } from '../wire/layout.js';
import { BinaryWriter } from '../wire/writer.js';
import { modelToWire } from '../model/wire-model.js';
import type {
  ConnectionData,
  DomainData,
  GlobalQuotaData,
  NodeData,
  Quota,
  RecordLocation,
  StreamHeader,
  TransactionData,
  WatchData,
  WatchDataExtended,
  XsRecord,
} from '../model/types.js';
import { CONN, DOMAIN, NODE, WATCH, WATCH_EXT } from './byte-layouts.js';
import { ByteSet } from './byte-set.js';
import { CommittedPaths, PATH_DUPLICATE, PATH_NEW, PATH_PARENT_MISSING } from './path-set.js';
import { PROFILES, type ReaderProfile } from './profiles.js';
import { ruleDef } from './rules.js';
import type { CheckReport, Finding, RestoreEffect, TargetLoss, TargetName } from './types.js';
import { describePlace, hex, plural, q, recordPlace, type Place } from './where.js';

/** Longest absolute path xenstored accepts (XENSTORE_ABS_PATH_MAX). */
export const PATH_MAX = 3072;
/** Characters xenstored accepts in a node name. */
const PATH_CHARS = /^[A-Za-z0-9\-/_@]*$/;
/** The same characters as a table by latin1 code (1: accepted), for the per-record fast check. */
const PATH_CHAR_OK = new Uint8Array(256);
for (let c = 0; c < 256; c++) PATH_CHAR_OK[c] = PATH_CHARS.test(String.fromCharCode(c)) ? 1 : 0;
/**
 * An absolute path of one or more non-empty components of those characters: what pathClean
 * accepts for an absolute path (but "/"), as one native regular expression, which on a large
 * stream costs a fraction of a loop over the characters in JavaScript.
 */
const CLEAN_ABSOLUTE = /^(?:\/[A-Za-z0-9\-_@]+)+$/;
const SLASH = 0x2f;
const AT = 0x40;
/** Domain ids a typed array covers (u16, as on the wire); others (API callers) go to a Map. */
const DOMID_TABLE = 0x10000;
/** First reserved domain id (DOMID_SELF); ids from here up cannot be a guest. */
const DOMID_FIRST_RESERVED = DOMID.SELF;
/** Size of the wire header of a queued message (type, req-id, tx-id, len). */
const WIRE_HEADER = 16;

interface Who {
  connId?: number;
  domid?: number;
}

interface ConnInfo {
  index: number;
  /** Domain at the other end when the connection is a shared ring. */
  domid?: number;
}

interface PendingDomain {
  index: number;
  place: Place;
  /** (The domain id, not the record: a large stream holds thousands of them.) */
  domainId: number;
  /** A ring connection, or a ring's SET_TARGET target, made the domain exist before this record. */
  earlierRing: boolean;
  earlierOwner: boolean;
}

export interface CheckerOptions {
  target?: TargetName;
  /**
   * Size of the input in bytes, when known (or the size expected): room for as many committed
   * paths as it can hold is made at once, so that the path set never grows (growing leaves old
   * arrays behind until a full collection). Room no node uses costs address space only.
   */
  inputSize?: number;
  /** How many committed paths to make room for at once (instead of working it out from inputSize). */
  expectedNodes?: number;
  /** The host's unique-id of each domain (CheckOptions.hostIds). */
  hostIds?: ReadonlyMap<number, bigint>;
  /**
   * Bounding the findings kept (`xsmig check`; issue 16): each finding goes to onFinding as it
   * is found, and the report keeps only the first `keepFindings` of them (default: all). A
   * broken stream can have a finding per record (2 M records, 940 MB of findings), so a caller
   * that streams them counts them itself from onFinding. The report's `ok` still counts every
   * error finding, kept or not.
   */
  onFinding?: (f: Finding) => void;
  keepFindings?: number;
}

/** A domain the target releases at the end of the restore (finishReleases). */
interface Release {
  domid: number;
  place: Place;
  /** Why, for the message: "its unique-id ... is not the host's" or "it is only a SET_TARGET target". */
  why: string;
  /** Its ring connection is closed too (a unique-id that differs); else it has none. */
  closesConnection: boolean;
  /** The host's ids are unknown: whether it is released depends on the host (a `host` item). */
  hostDependent: boolean;
}

/** The fewest bytes a NODE_DATA takes on the wire (no permission, path "/"). */
const NODE_WIRE_MIN = RECORD_HEADER_SIZE + roundUp8(NODE.perms + 2);

function allZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** Quota names written after the last one the counts cover, or undefined if `padding` is not that. */
function surplusNames(padding: Uint8Array): string[] | undefined {
  const names: string[] = [];
  let i = 0;
  while (i < padding.length && padding[i] !== 0) {
    let j = i;
    while (j < padding.length && padding[j]! >= 0x21 && padding[j]! <= 0x7e) j++;
    if (j === i || j >= padding.length || padding[j] !== 0) return undefined;
    names.push(Buffer.from(padding.subarray(i, j)).toString('latin1'));
    i = j + 1;
  }
  if (names.length === 0 || !allZero(padding.subarray(i))) return undefined;
  return names;
}

/**
 * True when `path` is absolute or @-special and pathSyntaxProblem has nothing to say about it,
 * and it holds no NUL: one pass over the characters, no allocation. False sends the caller to
 * the full rules, which name the problem.
 */
function pathClean(path: string): boolean {
  const c0 = path.charCodeAt(0);
  return (c0 === SLASH || c0 === AT) && syntaxClean(path, c0 === SLASH);
}

/** True when pathSyntaxProblem(path, absolute) has nothing to say and `path` holds no NUL. */
function syntaxClean(path: string, absolute: boolean): boolean {
  const n = path.length;
  if (n === 0 || (absolute && n > PATH_MAX)) return false;
  let slash = false;
  for (let i = 0; i < n; i++) {
    const c = path.charCodeAt(i);
    if (c === SLASH) {
      if (slash) return false; // "//"
      slash = true;
    } else {
      if (c > 0xff || PATH_CHAR_OK[c] === 0) return false; // (NUL included)
      slash = false;
    }
  }
  return !(slash && n > 1); // ends in "/"
}

/** syntaxClean() of the path buf[s, e) (absolute when it starts with '/'), from its bytes. */
function syntaxCleanBytes(buf: Uint8Array, s: number, e: number): boolean {
  const n = e - s;
  if (n === 0 || (buf[s] === SLASH && n > PATH_MAX)) return false;
  let slash = false;
  for (let i = s; i < e; i++) {
    const c = buf[i]!;
    if (c === SLASH) {
      if (slash) return false; // "//"
      slash = true;
    } else {
      if (PATH_CHAR_OK[c] === 0) return false; // (NUL included)
      slash = false;
    }
  }
  return !(slash && n > 1); // ends in "/"
}

/** Why a node or watch path would be refused by xenstored's name check, or undefined. */
function pathSyntaxProblem(path: string, absolute: boolean): string | undefined {
  if (path.length === 0) return 'it is empty';
  if (!PATH_CHARS.test(path)) {
    const bad = [...path].find((c) => !PATH_CHARS.test(c))!;
    return `it holds ${q(bad)}, outside the characters xenstored accepts (A-Z a-z 0-9 - / _ @)`;
  }
  if (path.includes('//')) return 'it holds "//"';
  if (path.length > 1 && path.endsWith('/')) return 'it ends in "/"';
  if (absolute && path.length > PATH_MAX) return `it is ${path.length} bytes long, over xenstored's limit of ${PATH_MAX}`;
  return undefined;
}

/** Body size of a record as the encoder writes it (no padding). */
function bodySize(r: XsRecord): number | undefined {
  if (r.type === 'UNKNOWN') return r.body.length;
  try {
    return writeBody(LAYOUTS[r.type], modelToWire(LAYOUTS[r.type], r), new BinaryWriter('little', undefined, 256));
  } catch {
    return undefined;
  }
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** Directory levels a watch on `wpath` can ever see below it, given the path length limit. */
function maxLevelsBelow(wpath: string): number {
  const base = wpath === '/' ? 0 : wpath.length;
  return Math.floor(Math.max(0, PATH_MAX - base) / 2);
}

function watchDesc(r: WatchData | WatchDataExtended): string {
  return `watch ${q(r.wpath)} token ${q(r.token)}`;
}

function quotaList(qs: readonly Quota[]): string {
  return qs.map((x) => `${x.name}=${x.value}`).join(', ');
}

/** Checks one stream record by record; see the module comment. */
export class StreamChecker {
  private readonly findings: Finding[] = [];
  /** CheckerOptions.onFinding, keepFindings; an error found (kept or not), for the report's ok. */
  private readonly onFinding: ((f: Finding) => void) | undefined;
  private readonly keepFindings: number;
  private errorFound = false;
  private readonly losses: TargetLoss[] = [];
  /** Items the target loses unless the host agrees (CheckReport.hostDependent). */
  private readonly hostItems: TargetLoss[] = [];
  private readonly profile: ReaderProfile | undefined;
  /** The target refuses the stream as a whole (header): item losses are not listed. */
  private refusedWhole = false;
  private index = 0;
  private lastType: string | undefined;
  private endAt: { index: number; loc?: RecordLocation } | undefined;
  private afterEndReported = false;

  private readonly conns = new Map<number, ConnInfo>();
  private readonly ringByDomid = new Map<number, number>();
  /** Record index of each domain's first owned node: +1 in the table (0: none yet), else the Map. */
  private readonly ownerFirstTable = new Float64Array(DOMID_TABLE);
  private readonly ownerFirstMap = new Map<number, number>();
  private readonly ringLater = new Map<number, number>();
  /** Every watch so far, as the bytes of watchKey(). */
  private readonly watches = new ByteSet();
  private keyBuf = new Uint8Array(256);
  private keyView = new DataView(this.keyBuf.buffer);
  private readonly transactions = new Set<string>();
  private readonly committed: CommittedPaths;
  private readonly domains = new Map<number, number>();
  private readonly pendingDomains: PendingDomain[] = [];
  private readonly globals = new Map<string, number>();
  /** SET_TARGET targets (ring tdomid) so far: domain id -> record index of the first ring naming it. */
  private readonly targets = new Map<number, number>();
  /** Daemon targets: paths of transaction nodes, which xenstored writes into the committed tree. */
  private readonly txPaths = new Set<string>();
  /** Daemon targets: nodes each domain owns (first permission), and entries naming it in later permissions. */
  private readonly ownedCount: Uint32Array | undefined;
  private readonly permEntryCount: Uint32Array | undefined;
  /** Daemon targets: entries naming each domain (not the owner) not yet marked stale, in the tree and in @-special nodes. */
  private readonly freshEntryTree: Uint32Array | undefined;
  private readonly freshEntrySpecial: Uint32Array | undefined;
  private readonly releases: Release[] = [];
  private readonly hostIds: ReadonlyMap<number, bigint> | undefined;

  constructor(readonly header: StreamHeader, opts: CheckerOptions = {}) {
    this.profile = opts.target ? PROFILES[opts.target] : undefined;
    this.hostIds = opts.hostIds;
    this.onFinding = opts.onFinding;
    this.keepFindings = opts.keepFindings ?? Infinity;
    if (this.profile?.daemon) {
      this.ownedCount = new Uint32Array(DOMID_TABLE);
      this.permEntryCount = new Uint32Array(DOMID_TABLE);
      this.freshEntryTree = new Uint32Array(DOMID_TABLE);
      this.freshEntrySpecial = new Uint32Array(DOMID_TABLE);
    }
    this.committed = new CommittedPaths(PATH_CHAR_OK, PATH_MAX, opts.expectedNodes ?? (opts.inputSize ? Math.ceil(opts.inputSize / NODE_WIRE_MIN) : undefined));
    this.checkHeader();
  }

  // -- reporting ------------------------------------------------------------------------------

  private find(rule: string, place: Place, text: string, who: Who = {}): void {
    const def = ruleDef(rule);
    const f: Finding = { rule, severity: def.severity, message: `${describePlace(place)}: ${text}`, ...place };
    if (who.connId !== undefined) f.connId = who.connId;
    if (who.domid !== undefined) f.domid = who.domid;
    if (f.severity === 'error') this.errorFound = true;
    this.onFinding?.(f);
    if (this.findings.length < this.keepFindings) this.findings.push(f);
  }

  private lose(kind: TargetLoss['kind'], place: Place, subject: string, text: string, who: Who = {}, effect?: RestoreEffect): void {
    if (!this.profile || (this.refusedWhole && place.recordIndex !== undefined)) return;
    const l: TargetLoss = { target: this.profile.name, kind, subject, message: `${describePlace(place)}: ${subject ? `${subject}: ` : ''}${text}`, ...place };
    if (who.connId !== undefined) l.connId = who.connId;
    if (who.domid !== undefined) l.domid = who.domid;
    if (effect) l.effect = effect;
    (kind === 'host' ? this.hostItems : this.losses).push(l);
  }

  /** The restore has created domain `domid` by now: a ring connection or a SET_TARGET target. */
  private domainExists(domid: number): boolean {
    return this.ringByDomid.has(domid) || this.targets.has(domid);
  }

  private connWho(connId: number): Who {
    const c = this.conns.get(connId);
    return c?.domid === undefined ? { connId } : { connId, domid: c.domid };
  }

  private connSubject(connId: number): string {
    const c = this.conns.get(connId);
    return c?.domid === undefined ? `connection ${connId}` : `connection ${connId} (domain ${c.domid})`;
  }

  // -- header ---------------------------------------------------------------------------------

  private checkHeader(): void {
    const h = this.header;
    const versionAt: Place = { offset: 8, recordType: 'header' };
    const flagsAt: Place = { offset: 12, recordType: 'header' };
    if (h.version !== 1 && h.version !== 2) {
      this.find('header.version-unknown', versionAt, `version ${h.version}; the format defines versions 1 and 2`);
    }
    if (h.reservedFlags !== 0) {
      this.find('header.reserved-flags', flagsAt, `flags ${hex(h.reservedFlags >>> 0, 8)} set reserved bits 1-31, which must be zero`);
    }
    const p = this.profile;
    if (!p) return;
    const subject = '';
    if (!p.versions.includes(h.version)) {
      this.lose('refuse', versionAt, subject, `version ${h.version}: ${p.name} reads version${p.versions.length > 1 ? 's' : ''} ${p.versions.join(' and ')} only`);
      this.refusedWhole = true;
    }
    if (!p.byteOrders.includes(h.byteOrder)) {
      this.lose('refuse', flagsAt, subject, `${h.byteOrder}-endian records: ${p.name} reads only its host's byte order (${p.byteOrders.join(', ')})`);
      this.refusedWhole = true;
    }
    if (p.exactFlags && h.reservedFlags !== 0) {
      this.lose('refuse', flagsAt, subject, `reserved flag bits set: ${p.name} requires flags to equal its own`);
      this.refusedWhole = true;
    }
  }

  // -- records --------------------------------------------------------------------------------

  /** Checks the next record. `loc` (from decodeStreamDetailed) adds byte offsets to messages. */
  visit(r: XsRecord, loc?: RecordLocation): void {
    const index = loc?.index ?? this.index;
    this.index = index + 1;

    if (this.endAt !== undefined && !this.afterEndReported) {
      this.afterEndReported = true;
      this.find('framing.end-not-last', recordPlace(index, r, loc), `follows the END record #${this.endAt.index}; END must be the last record`);
    }
    this.lastType = r.type;

    // Nodes are nearly all of a large stream: their path makes no Place (nor any other object)
    // unless there is something to report.
    if (r.type === 'NODE_DATA') {
      if (r.len !== undefined || r.padding !== undefined || r.unterminated !== undefined) this.checkFraming(r, recordPlace(index, r, loc));
      this.checkNode(r, index, loc);
      return;
    }
    const place = recordPlace(index, r, loc);
    const quotaSurplus = this.checkFraming(r, place);

    switch (r.type) {
      case 'END':
        if (this.endAt === undefined) this.endAt = loc ? { index, loc } : { index };
        break;
      case 'GLOBAL_DATA':
        this.checkGlobal(r.type, index, place);
        break;
      case 'CONNECTION_DATA':
        this.checkConnection(r, index, place);
        break;
      case 'WATCH_DATA':
      case 'WATCH_DATA_EXTENDED':
        this.checkWatch(r, place);
        break;
      case 'TRANSACTION_DATA':
        this.checkTransaction(r, place);
        break;
      case 'GLOBAL_QUOTA_DATA':
        this.checkGlobal(r.type, index, place);
        this.checkGlobalQuota(r, place, quotaSurplus);
        break;
      case 'DOMAIN_DATA':
        this.checkDomain(r, index, place, quotaSurplus);
        break;
      case 'UNKNOWN':
        this.find('framing.type-unknown', place, `type ${r.typeCode} is reserved; readers skip its ${plural(r.body.length, 'byte')}`);
        this.lose('lose', place, '', `record of unknown type ${r.typeCode} skipped`, {}, { kind: 'skip-record' });
        break;
    }
  }

  /** Envelope rules; returns surplus quota names found in the padding of a quota record. */
  private checkFraming(r: XsRecord, place: Place): string[] | undefined {
    let surplus: string[] | undefined;
    if ((r.type === 'GLOBAL_QUOTA_DATA' || r.type === 'DOMAIN_DATA') && r.padding) surplus = surplusNames(r.padding);
    const defect = r.type === 'WATCH_DATA_EXTENDED' && r.producerDefect !== undefined;
    if (r.len !== undefined && !defect && !surplus) {
      if (r.len % 8 !== 0) {
        this.find('framing.len-not-padded', place, `len ${r.len} is not a multiple of 8: xenstored reads exactly len bytes and would take the padding for the next record`);
        if (this.profile?.exactLen) {
          this.lose('refuse', place, '', `len ${r.len} is not padded: ${this.profile.name} reads the next record header ${roundUp8(r.len) - r.len} bytes early and misreads every record after this one`);
        }
      } else {
        const body = bodySize(r);
        const after = body === undefined ? 'more than 7 bytes' : `${plural(r.len - body, 'byte')} (body ${body})`;
        this.find('framing.len-excess', place, `len ${r.len} leaves ${after} after the body; the format allows 0-7 padding bytes`);
      }
    }
    if (r.padding && !surplus) {
      this.find('framing.padding-not-zero', place, `${plural(r.padding.length, 'padding byte')} after the body, not all zero (${Buffer.from(r.padding.subarray(0, 16)).toString('hex')}${r.padding.length > 16 ? '...' : ''}); padding is written as zero`);
    }
    if (r.unterminated) for (const key of r.unterminated) {
      this.find('strings.unterminated', place, `${key} does not end in a NUL: its length field must count exactly one terminating NUL`, this.whoOf(r));
    }
    return surplus;
  }


  private whoOf(r: XsRecord): Who {
    if ('connId' in r && typeof r.connId === 'number' && r.connId !== 0) return this.connWho(r.connId);
    if (r.type === 'DOMAIN_DATA') return { domid: r.domainId };
    return {};
  }

  private checkGlobal(type: 'GLOBAL_DATA' | 'GLOBAL_QUOTA_DATA', index: number, place: Place): void {
    const first = this.globals.get(type);
    if (first !== undefined) {
      this.find('refs.global-duplicate', place, `a second ${type} (the first is record #${first}); the stream holds at most one`);
    } else {
      this.globals.set(type, index);
    }
  }

  private checkConnection(r: ConnectionData, index: number, place: Place): void {
    const who: Who = { connId: r.connId };
    if (r.connId === 0) {
      this.find('refs.conn-id-zero', place, 'conn-id 0: connection ids must be non-zero (0 marks committed nodes)', who);
    } else {
      const prev = this.conns.get(r.connId);
      if (prev) this.find('refs.conn-id-duplicate', place, `conn-id ${r.connId} already used by record #${prev.index}`, who);
    }
    if (r.connType !== 0 && r.connType !== 1) {
      this.find('connections.conn-type-unknown', place, `conn-type ${r.connType}; 0 (shared ring) and 1 (socket) are defined`, who);
    }
    const unknownFields = r.fields & ~CONN_FIELD_UNIQUE_ID;
    if (unknownFields) this.find('connections.fields-unknown', place, `fields ${hex(r.fields, 4)} sets undefined bits ${hex(unknownFields, 4)}`, who);
    if (r.fields & CONN_FIELD_UNIQUE_ID && r.connType !== 0) {
      this.find('connections.unique-id-not-ring', place, `a unique-id on a ${r.connType === 1 ? 'socket' : 'non-ring'} connection; unique-ids identify domains and belong to shared rings`, who);
    }
    if (r.connType === 1 && 'pad' in r.connSpec && r.connSpec.pad) {
      this.find('framing.reserved-not-zero', place, `socket conn-spec pad is ${hex(r.connSpec.pad >>> 0, 8)}, not zero`, who);
    }
    if (r.dataPad) this.find('framing.reserved-not-zero', place, `padding before unique-id is not zero (${Buffer.from(r.dataPad).toString('hex')})`, who);

    let domid: number | undefined;
    if (r.connType === 0 && 'domid' in r.connSpec) {
      const spec = r.connSpec;
      domid = spec.domid;
      who.domid = domid;
      if (spec.domid >= DOMID_FIRST_RESERVED) {
        this.find('connections.domid-invalid', place, `ring domid ${hex(spec.domid, 4)} (${reservedDomidName(spec.domid) ?? 'reserved'}) cannot be a guest`, who);
      }
      if (spec.tdomid >= DOMID_FIRST_RESERVED && spec.tdomid !== DOMID.INVALID) {
        this.find('connections.domid-invalid', place, `tdomid ${hex(spec.tdomid, 4)} (${reservedDomidName(spec.tdomid) ?? 'reserved'}) is neither a domain nor DOMID_INVALID (0x7ff4)`, who);
      }
      const prevRing = this.ringByDomid.get(spec.domid);
      if (prevRing !== undefined) {
        this.find('connections.ring-domid-duplicate', place, `a second ring connection for domain ${spec.domid} (the first is record #${prevRing}); a domain has one ring`, who);
      } else {
        this.ringByDomid.set(spec.domid, index);
      }
      this.noteTarget(spec.tdomid, index);
      if (this.targetLost(spec.domid, spec.tdomid)) {
        this.lose('lose', place, `connection ${r.connId} (domain ${spec.domid})`, `SET_TARGET target domain ${spec.tdomid} is dropped: its ring connection does not come earlier in the stream, so xenstored restores this connection without a target (DOMID_INVALID), and domain ${spec.domid} loses its rights over domain ${spec.tdomid}`, who, { kind: 'clear-target' });
      }
      if (r.fields & CONN_FIELD_UNIQUE_ID && r.uniqueId !== undefined) this.noteUniqueId(spec.domid, r.uniqueId, place);
    }

    if (r.outRespLen > r.outData.length) {
      this.find('connections.out-resp-len', place, `out-resp-len ${r.outRespLen} exceeds out-data-len ${r.outData.length}: the partial response is part of out-data`, who);
    } else {
      const problem = this.outDataProblem(r);
      if (problem) this.find('connections.out-data-framing', place, problem, who);
    }

    if (r.connId !== 0 && !this.conns.has(r.connId)) this.conns.set(r.connId, domid === undefined ? { index } : { index, domid });
  }

  /** The target drops this ring's SET_TARGET target (after the ring's own domain is noted). */
  private targetLost(domid: number, tdomid: number): boolean {
    return !!this.profile?.targetNeedsEarlierRing && tdomid !== DOMID.INVALID && tdomid !== domid && !this.ringByDomid.has(tdomid);
  }

  private noteTarget(tdomid: number, index: number): void {
    if (tdomid !== DOMID.INVALID && tdomid < DOMID_FIRST_RESERVED && !this.targets.has(tdomid)) this.targets.set(tdomid, index);
  }

  /** A target that compares unique-ids (4.21+) releases the domain unless the host's id is the same. */
  private noteUniqueId(domid: number, id: bigint, place: Place): void {
    if (!this.profile?.checksUniqueIds) return;
    const shown = `0x${id.toString(16).padStart(16, '0')}`;
    const hosts = this.hostIds;
    if (!hosts) {
      this.releases.push({ domid, place, closesConnection: true, hostDependent: true, why: `unless the host's unique-id of domain ${domid} is ${shown} (xsmig cannot see the host; give its ids with --host-ids)` });
      return;
    }
    const host = hosts.get(domid);
    if (host === id) return;
    const why = host === undefined
      ? `the host has no domain ${domid} (not in the host's ids), so its unique-id ${shown} matches nothing`
      : `its unique-id ${shown} is not the host's (0x${host.toString(16).padStart(16, '0')})`;
    this.releases.push({ domid, place, closesConnection: true, hostDependent: false, why });
  }

  /** out-data: the rest of a partly sent response (out-resp-len bytes), then whole messages. */
  private outDataProblem(r: ConnectionData): string | undefined {
    const d = r.outData;
    const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const little = this.header.byteOrder === 'little';
    let pos = r.outRespLen;
    let n = 0;
    while (pos < d.length) {
      if (d.length - pos < WIRE_HEADER) {
        return `out-data ends ${d.length - pos} bytes into the header of queued message ${n + 1} (at out-data +${pos}); queued output holds whole messages`;
      }
      const len = view.getUint32(pos + 12, little);
      if (pos + WIRE_HEADER + len > d.length) {
        return `queued message ${n + 1} (at out-data +${pos}) declares a ${len}-byte payload but only ${d.length - pos - WIRE_HEADER} bytes follow; xenstored would copy past the record`;
      }
      pos += WIRE_HEADER + len;
      n++;
    }
    return undefined;
  }

  private checkWatch(r: WatchData | WatchDataExtended, place: Place): void {
    const who = this.connWho(r.connId);
    const known = this.conns.has(r.connId);
    const ext = r.type === 'WATCH_DATA_EXTENDED';
    if (!known) {
      this.find('refs.watch-conn-unknown', place, `${watchDesc(r)} belongs to conn-id ${r.connId}, which no earlier CONNECTION_DATA declares`, who);
    }
    // (The key first: writing it may give keyBuf a larger buffer.)
    const keyLen = this.watchKey(r.connId, r.wpath, r.token);
    if (this.watches.add(this.keyBuf, this.keyView, 0, keyLen)) {
      this.find('refs.watch-duplicate', place, `${watchDesc(r)} of conn-id ${r.connId} appears twice`, who);
    }
    if (!r.unterminated?.includes('wpath') && r.wpath.includes('\0')) {
      this.find('strings.embedded-nul', place, `wpath ${q(r.wpath)} holds a NUL before its end`, who);
    }
    if (!r.unterminated?.includes('token') && r.token.includes('\0')) {
      this.find('strings.embedded-nul', place, `token ${q(r.token)} holds a NUL before its end`, who);
    }
    // Watch paths may be relative to the domain's home (xenstored keeps them as given).
    const wpath = r.wpath;
    const absolute = wpath.charCodeAt(0) === SLASH;
    if (!(absolute && wpath.length <= PATH_MAX && CLEAN_ABSOLUTE.test(wpath)) && !wpath.includes('\0') && !syntaxClean(wpath, absolute)) {
      const problem = pathSyntaxProblem(r.wpath, r.wpath.startsWith('/'));
      if (problem) this.find('strings.path-syntax', place, `wpath ${q(r.wpath)}: ${problem}`, who);
    }

    if (ext) this.checkExtendedWatch(r, place, who, watchDesc(r));

    // Target: what the reader makes of this watch.
    const p = this.profile;
    if (!p) return;
    const desc = watchDesc(r);
    const subject = this.connSubject(r.connId);
    if (ext && r.producerDefect && this.shortHeaderOverruns(r)) return; // refusal already listed
    if (ext) {
      const inV1 = this.header.version < 2;
      if (p.watchExt === 'skip' || (p.watchExt === 'document' && inV1)) {
        this.lose('lose', place, subject, `${desc} is skipped (${p.name} does not read WATCH_DATA_EXTENDED${inV1 && p.watchExt === 'document' ? ' in a version-1 stream' : ''}): the guest loses this watch`, who, { kind: 'skip-record' });
        return;
      }
      if (p.watchExt === 'xen-4.22') {
        if (r.producerDefect) {
          const m = this.misread422(r);
          this.lose('lose', place, subject, `${desc}: the depth was never written; xenstored 4.22 takes depth ${m.depth} from the first two path bytes and restores a watch on ${q(m.wpath)} with token ${q(m.token)}`, who, m);
        } else {
          this.lose('refuse', place, subject, `${desc} is laid out as the document says (wpath at +12): xenstored 4.22 reads wpath from +10 (its struct has no pad), takes the pad for an empty path and aborts the restore ("allocation error for read watch")`, who);
        }
        return;
      }
      if (r.producerDefect) {
        this.lose('lose', place, subject, `${desc}: the depth was never written; a reader following the document takes the first two path bytes for depth and reads the path from +12, so the watch is restored wrong`, who);
        return;
      }
    }
    if (!known && p.daemon) {
      this.lose('refuse', place, subject, `${desc}: xenstored aborts the restore ("connection not found for read watch")`, who);
    }
  }

  /**
   * What xenstored 4.22's reader (depth at +8, wpath at +10) restores from Xen 4.22's own
   * short-header record (wpath at +8): the first two path bytes become the depth, and path and
   * token start two bytes late.
   */
  private misread422(r: WatchDataExtended): Extract<RestoreEffect, { kind: 'misread-watch' }> {
    const little = this.header.byteOrder === 'little';
    const b0 = r.wpath.charCodeAt(0) || 0;
    const b1 = r.wpath.charCodeAt(1) || 0;
    const depth = little ? b0 | (b1 << 8) : (b0 << 8) | b1;
    const token = r.token.length >= 2 ? r.token.slice(2) : '';
    return { kind: 'misread-watch', wpath: r.wpath.slice(2), token, depth };
  }

  private shortHeaderOverruns(r: WatchDataExtended): boolean {
    const p = r.wpath.length + 1;
    const t = r.token.length + 1;
    const real = 8 + p + t;
    const declared = r.len ?? roundUp8(12 + p + t);
    return roundUp8(declared) > roundUp8(real);
  }

  private checkExtendedWatch(r: WatchDataExtended, place: Place, who: Who, desc: string): void {
    if (this.header.version < 2) {
      this.find('defect.xen-4.22-v1-extended-watch', place, `${desc} is a WATCH_DATA_EXTENDED in a version-${this.header.version} stream (what Xen 4.22 writes when told -v 1 while a depth watch exists): readers 4.17-4.20 skip it and the watch vanishes on rollback`, who);
    }
    if (r.producerDefect) {
      const p = r.wpath.length + 1;
      const t = r.token.length + 1;
      const declared = r.len ?? roundUp8(12 + p + t);
      if (this.shortHeaderOverruns(r)) {
        const over = roundUp8(declared) - roundUp8(8 + p + t);
        this.find('defect.xen-4.22-short-header-overrun', place, `${desc} was written by Xen 4.22's defective writer: no depth (lost) and wpath at +8; len ${declared} claims ${over} bytes of the next record, so a reader that trusts len misreads every record after this one (decoded here at the real boundary)`, who);
        this.lose('refuse', place, this.connSubject(r.connId), `${desc}: len ${declared} runs ${over} bytes into the next record (Xen 4.22 short header); every record after it is misread`, who);
      } else {
        this.find('defect.xen-4.22-short-header', place, `${desc} was written by Xen 4.22's defective writer: no depth field and wpath at +8 (len ${declared} still ends at the real record boundary): the depth is lost for good, and every reader but xsmig misreads the record (4.22 itself restores a watch on ${q(r.wpath.slice(2))})`, who);
      }
      return;
    }
    if (r.pad) this.find('framing.reserved-not-zero', place, `pad after depth is ${hex(r.pad, 4)}, not zero`, who);
    if (r.depth === DEPTH_UNLIMITED) {
      this.find('v2.watch-depth-unlimited', place, `${desc} has unlimited depth (0xffff): a plain WATCH_DATA says the same and version-1 readers keep it`, who);
    } else if (r.depth !== null && r.depth > maxLevelsBelow(r.wpath)) {
      this.find('v2.watch-depth-excessive', place, `${desc} has depth ${r.depth}, more levels than a path of at most ${PATH_MAX} bytes can have below ${q(r.wpath)}: it limits nothing`, who);
    }
  }

  private checkTransaction(r: TransactionData, place: Place): void {
    const who = this.connWho(r.connId);
    if (!this.conns.has(r.connId)) {
      this.find('refs.transaction-conn-unknown', place, `transaction ${r.txId} belongs to conn-id ${r.connId}, which no earlier CONNECTION_DATA declares`, who);
    }
    const key = `${r.connId}:${r.txId}`;
    if (this.transactions.has(key)) this.find('refs.transaction-duplicate', place, `transaction ${r.txId} of conn-id ${r.connId} appears twice`, who);
    this.transactions.add(key);
    if (this.profile && !this.profile.transactions) {
      this.lose('lose', place, this.connSubject(r.connId), `open transaction ${r.txId} is dropped (xenstored ignores TRANSACTION_DATA)`, who, { kind: 'skip-record' });
    }
  }

  /** Record index of the first node `domid` owns, if any yet. */
  private ownerFirstOf(domid: number): number | undefined {
    if ((domid >>> 0) === domid && domid < DOMID_TABLE) {
      const v = this.ownerFirstTable[domid]!;
      return v === 0 ? undefined : v - 1;
    }
    return this.ownerFirstMap.get(domid);
  }

  private noteOwner(domid: number, index: number): void {
    if ((domid >>> 0) === domid && domid < DOMID_TABLE) {
      if (this.ownerFirstTable[domid] === 0) this.ownerFirstTable[domid] = index + 1;
    } else if (!this.ownerFirstMap.has(domid)) this.ownerFirstMap.set(domid, index);
  }

  private nodeWho(r: NodeData): Who {
    return r.connId === 0 ? {} : this.connWho(r.connId);
  }

  /**
   * The fast path for the bulk of a stream: the NODE_DATA record at `buf[offset, ...)` (its
   * envelope; the whole record lies in `buf`, and `view` covers `buf` from its first byte) is
   * checked from its bytes, as record `index`. When it is a canonical committed node (framing as
   * the encoder writes it) about which no rule has anything to say, this remembers what the
   * rules need (its path, its owner) and returns true, with no object made. Else it changes
   * nothing the rules read and returns false: the caller decodes the record and visits it,
   * which reports what is wrong. Findings are the same either way (test/check-reader.test.ts).
   * `buf` must not change until the next call, or detachInput().
   */
  visitNodeBytes(buf: Uint8Array, view: DataView, offset: number, index: number, little: boolean): boolean {
    const b = offset + RECORD_HEADER_SIZE;
    const wireEnd = b + view.getUint32(offset + 4, little);
    if (wireEnd < b + NODE.perms) return false; // (the fixed fields must lie in the record)
    if (view.getUint32(b + NODE.connId, little) !== 0 || view.getUint32(b + NODE.txId, little) !== 0 || view.getUint16(b + NODE.access, little) !== 0) return false;
    const permCount = view.getUint16(b + NODE.permCount, little);
    const pathLen = view.getUint16(b + NODE.pathLen, little);
    const perms = b + NODE.perms;
    const path = perms + permCount * NODE.permSize;
    const bodyEnd = path + pathLen + view.getUint16(b + NODE.valueLen, little);
    // len as the encoder writes it (the body rounded up to 8), zero padding, the path's NUL.
    if (permCount === 0 || pathLen < 2 || wireEnd !== b + ((bodyEnd - b + 7) & ~7) || buf[path + pathLen - 1] !== 0) return false;
    for (let i = bodyEnd; i < wireEnd; i++) if (buf[i] !== 0) return false;
    for (let i = 0, p = perms; i < permCount; i++, p += NODE.permSize) {
      const letter = buf[p + NODE.permLetter];
      if (letter !== 0x6e && letter !== 0x72 && letter !== 0x77 && letter !== 0x62) return false; // n r w b
      if ((buf[p + NODE.permFlags]! & ~PERM_FLAG_STALE) !== 0) return false;
    }
    const owner = view.getUint16(perms + NODE.permDomid, little);
    if ((buf[perms + NODE.permFlags]! & PERM_FLAG_STALE) !== 0 || owner === DOMID.ANY || owner === DOMID.INVALID) return false;
    if (this.endAt !== undefined) return false;
    const first = buf[path];
    // A daemon target: the owner's domain must exist by now (daemonNodeDomains), and a path a
    // transaction node took is the full path's to tell.
    const daemon = this.ownedCount !== undefined;
    if (daemon) {
      const need = this.profile!.ownersNeedDomain;
      if ((need === 'all' || (need === 'tree' && first !== AT)) && !this.domainExists(owner)) return false;
      if (this.txPaths.size) return false;
    }
    // An @-special name is not committed (not part of the tree); "/" is not a clean path but
    // the root every stream starts with; anything else must be clean, new and under a parent.
    if (first === AT) {
      if (!syntaxCleanBytes(buf, path, path + pathLen - 1)) return false;
    } else if (first === SLASH && pathLen === 2) {
      if (this.committed.commit('/') !== PATH_NEW) return false; // (a duplicate changes nothing)
    } else if (this.committed.commitClean(buf, view, path, path + pathLen - 1) !== PATH_NEW) return false;
    this.noteOwner(owner, index);
    if (daemon) {
      this.ownedCount![owner]!++;
      const fresh = first === AT ? this.freshEntrySpecial! : this.freshEntryTree!;
      for (let i = 1, p = perms + NODE.permSize; i < permCount; i++, p += NODE.permSize) {
        const d = view.getUint16(p + NODE.permDomid, little);
        if (d !== owner) this.permEntryCount![d]!++;
        if ((buf[p + NODE.permFlags]! & PERM_FLAG_STALE) === 0) fresh[d]!++;
      }
    }
    this.index = index + 1;
    this.lastType = 'NODE_DATA';
    return true;
  }

  /**
   * The fast path for watches: the WATCH_DATA (`extended`: WATCH_DATA_EXTENDED, laid out as the
   * document says, in a version-2 stream, checked without a target) record at
   * `buf[offset, ...)`, as visitNodeBytes() takes a node. Taken when it is canonical (framing
   * as the encoder writes it), its connection is known, its wpath is clean, its depth limits
   * something and it is not a duplicate; else nothing changes and false sends the caller to
   * decode and visit it.
   */
  visitWatchBytes(buf: Uint8Array, view: DataView, offset: number, index: number, little: boolean, extended: boolean): boolean {
    const L = extended ? WATCH_EXT : WATCH;
    const b = offset + RECORD_HEADER_SIZE;
    const wireEnd = b + view.getUint32(offset + 4, little);
    if (wireEnd < b + L.wpath) return false; // (the fixed fields must lie in the record)
    const connId = view.getUint32(b + L.connId, little);
    const wpathLen = view.getUint16(b + L.wpathLen, little);
    const tokenLen = view.getUint16(b + L.tokenLen, little);
    const wpath = b + L.wpath;
    const token = wpath + wpathLen;
    const bodyEnd = token + tokenLen;
    if (wpathLen < 2 || tokenLen < 1 || wireEnd !== b + ((bodyEnd - b + 7) & ~7) || buf[token - 1] !== 0 || buf[bodyEnd - 1] !== 0) return false;
    for (let i = bodyEnd; i < wireEnd; i++) if (buf[i] !== 0) return false;
    if (this.endAt !== undefined || !this.conns.has(connId)) return false;
    if (extended) {
      // (A target has something to say about nearly every extended watch; a correct pad and
      // NULs where the document puts them mean it is not Xen 4.22's short header.)
      const depth = view.getUint16(b + L.depth, little);
      if (this.profile || this.header.version < 2 || view.getUint16(b + L.pad, little) !== 0) return false;
      if (depth === DEPTH_UNLIMITED || depth > Math.floor(Math.max(0, PATH_MAX - (wpathLen === 2 && buf[wpath] === SLASH ? 0 : wpathLen - 1)) / 2)) return false;
    }
    if (!syntaxCleanBytes(buf, wpath, wpath + wpathLen - 1)) return false;
    for (let i = token; i < bodyEnd - 1; i++) if (buf[i] === 0) return false;
    // Its key (see watchKey): kind 0, conn-id, then wpath, NUL, token as they lie in the record.
    const len = 5 + wpathLen + tokenLen - 1;
    const key = this.keyRoom(len);
    key[0] = 0;
    this.keyView.setUint32(1, connId, true);
    for (let i = 5, j = wpath; i < len; i++, j++) key[i] = buf[j]!;
    if (this.watches.add(key, this.keyView, 0, len)) return false; // (a duplicate: the full path reports it)
    this.index = index + 1;
    this.lastType = extended ? 'WATCH_DATA_EXTENDED' : 'WATCH_DATA';
    return true;
  }

  /**
   * The fast path for connections: the CONNECTION_DATA record at `buf[offset, ...)`, as
   * visitNodeBytes() takes a node. Taken when it is canonical, its conn-id is new and non-zero,
   * its conn-type, fields and domain ids are ones no rule objects to, and its queued output is
   * whole messages; else nothing changes and false sends the caller to decode and visit it.
   */
  visitConnBytes(buf: Uint8Array, view: DataView, offset: number, index: number, little: boolean): boolean {
    const b = offset + RECORD_HEADER_SIZE;
    const wireEnd = b + view.getUint32(offset + 4, little);
    if (wireEnd < b + CONN.data) return false;
    const connId = view.getUint32(b + CONN.connId, little);
    const connType = view.getUint16(b + CONN.connType, little);
    const fields = view.getUint16(b + CONN.fields, little);
    if (connId === 0 || this.conns.has(connId) || this.endAt !== undefined) return false;
    if (connType === 0 ? fields !== 0 && fields !== CONN.uniqueIdBit : connType !== 1 || fields !== 0) return false;
    let domid = -1;
    let tdomid = DOMID.INVALID as number;
    if (connType === 0) {
      domid = view.getUint16(b + CONN.ringDomid, little);
      tdomid = view.getUint16(b + CONN.ringTdomid, little);
      if (domid >= DOMID_FIRST_RESERVED || (tdomid >= DOMID_FIRST_RESERVED && tdomid !== DOMID.INVALID) || this.ringByDomid.has(domid)) return false;
      // (A target that compares unique-ids has something to say about each one.)
      if (fields !== 0 && this.profile?.checksUniqueIds) return false;
      if (this.targetLost(domid, tdomid)) return false;
    } else if (view.getUint32(b + CONN.socketPad, little) !== 0) return false;
    const inLen = view.getUint16(b + CONN.inDataLen, little);
    const respLen = view.getUint16(b + CONN.outRespLen, little);
    const outLen = view.getUint32(b + CONN.outDataLen, little);
    const out = b + CONN.data + inLen;
    let bodyEnd = out + outLen;
    if (respLen > outLen || bodyEnd > wireEnd) return false;
    if (fields !== 0) {
      const aligned = b + Math.ceil((bodyEnd - b) / CONN.align) * CONN.align;
      if (aligned + CONN.uniqueIdSize > wireEnd) return false;
      for (let i = bodyEnd; i < aligned; i++) if (buf[i] !== 0) return false;
      bodyEnd = aligned + CONN.uniqueIdSize;
    }
    if (wireEnd !== b + ((bodyEnd - b + 7) & ~7)) return false;
    for (let i = bodyEnd; i < wireEnd; i++) if (buf[i] !== 0) return false;
    // out-data: the rest of a partly sent response, then whole messages (see outDataProblem).
    const outEnd = out + outLen;
    for (let pos = out + respLen; pos < outEnd; ) {
      if (outEnd - pos < WIRE_HEADER) return false;
      pos += WIRE_HEADER + view.getUint32(pos + 12, little);
      if (pos > outEnd) return false;
    }
    this.conns.set(connId, connType === 0 ? { index, domid } : { index });
    if (connType === 0) {
      this.ringByDomid.set(domid, index);
      this.noteTarget(tdomid, index);
    }
    this.index = index + 1;
    this.lastType = 'CONNECTION_DATA';
    return true;
  }

  /**
   * The fast path for domains: a canonical DOMAIN_DATA record for a domain not seen before,
   * with features and quota names no rule objects to (and none the target loses); `at`: the
   * record's absolute offset. Else nothing changes and false sends the caller to decode and
   * visit it.
   */
  visitDomainBytes(buf: Uint8Array, view: DataView, offset: number, at: number | undefined, index: number, little: boolean): boolean {
    const b = offset + RECORD_HEADER_SIZE;
    const wireEnd = b + view.getUint32(offset + 4, little);
    if (wireEnd < b + DOMAIN.quotas) return false;
    const domainId = view.getUint16(b + DOMAIN.domainId, little);
    const features = view.getUint32(b + DOMAIN.features, little);
    const nQuota = view.getUint16(b + DOMAIN.nQuota, little);
    if (this.domains.has(domainId) || this.endAt !== undefined) return false;
    // (xen-4.17, the one profile without quota records, reads version 1 only, where features
    // are declined anyway; the condition says what checkDomain would lose.)
    const p = this.profile;
    if ((features & ~KNOWN_FEATURE_MASK) !== 0 || (features !== 0 && (this.header.version < 2 || (p && !p.quotaRecords)))) return false;
    if (nQuota !== 0) {
      if (p && !p.quotaRecords) return false;
      // The names after the values: known to xenstored or the document, each once, as the
      // target reads them; the body ends at the last NUL (then zero padding, no surplus names).
      let pos = b + DOMAIN.quotas + 4 * nQuota;
      const names: string[] = [];
      for (let i = 0; i < nQuota; i++) {
        let name = '';
        for (; pos < wireEnd && buf[pos] !== 0; pos++) name += String.fromCharCode(buf[pos]!);
        if (pos >= wireEnd || !isKnownQuotaName(name) || names.includes(name) || (p?.quotaNames && !p.quotaNames(name))) return false;
        names.push(name);
        pos++;
      }
      if (wireEnd !== b + ((pos - b + 7) & ~7)) return false;
      for (let i = pos; i < wireEnd; i++) if (buf[i] !== 0) return false;
    } else if (wireEnd !== b + DOMAIN.quotas || DOMAIN.quotas % 8 !== 0) return false;
    this.domains.set(domainId, index);
    this.pendingDomains.push({
      index,
      // (As recordPlace makes it: the offset only where findings name offsets.)
      place: at === undefined ? { recordIndex: index, recordType: 'DOMAIN_DATA' } : { recordIndex: index, recordType: 'DOMAIN_DATA', offset: at },
      domainId,
      earlierRing: this.domainExists(domainId),
      earlierOwner: this.ownerFirstOf(domainId) !== undefined,
    });
    this.index = index + 1;
    this.lastType = 'DOMAIN_DATA';
    return true;
  }

  /** keyBuf, at least `n` bytes long. */
  private keyRoom(n: number): Uint8Array {
    if (this.keyBuf.length < n) {
      this.keyBuf = new Uint8Array(2 * n);
      this.keyView = new DataView(this.keyBuf.buffer);
    }
    return this.keyBuf;
  }

  /**
   * Writes the key of a watch into keyBuf and returns its length: a watch is the same as an
   * earlier one when conn-id and `wpath NUL token` are. Kind 0: a conn-id that is a u32 and
   * strings of one byte per character: [0, conn-id (u32 LE), the characters]. Anything else
   * (possible only from API callers): [1, the UTF-16 code units (LE) of conn-id in decimal,
   * NUL, wpath, NUL, token]. No key of one kind equals one of the other.
   */
  private watchKey(connId: number, wpath: string, token: string): number {
    const n = 5 + wpath.length + 1 + token.length;
    if (connId >>> 0 === connId) {
      const key = this.keyRoom(n);
      key[0] = 0;
      this.keyView.setUint32(1, connId, true);
      let j = 5;
      let narrow = true;
      for (let i = 0; i < wpath.length; i++) {
        const c = wpath.charCodeAt(i);
        if (c > 0xff) narrow = false;
        key[j++] = c;
      }
      key[j++] = 0;
      for (let i = 0; i < token.length; i++) {
        const c = token.charCodeAt(i);
        if (c > 0xff) narrow = false;
        key[j++] = c;
      }
      if (narrow) return j;
    }
    const text = `${connId}\0${wpath}\0${token}`;
    const key = this.keyRoom(1 + 2 * text.length);
    key[0] = 1;
    for (let i = 0; i < text.length; i++) this.keyView.setUint16(1 + 2 * i, text.charCodeAt(i), true);
    return 1 + 2 * text.length;
  }

  /**
   * The bytes last given to visitNodeBytes() are about to change (the caller reuses its buffer):
   * the checker reads them again at the next node unless told so.
   */
  detachInput(): void {
    this.committed.detach();
  }

  // The no-finding path of checkNode allocates nothing: places, descriptions and `who` are
  // made only for a finding.
  private checkNode(r: NodeData, index: number, loc: RecordLocation | undefined): void {
    const committed = r.connId === 0;
    const path = r.path;
    const absolute = path.charCodeAt(0) === SLASH;
    let pathHasNul = false;
    // A committed absolute path goes into the path set first, which says whether it is clean
    // (rules below only report; nothing they do reads the set); else one regular expression;
    // else the full rules, which name what is wrong.
    let seen = -1;
    let clean: boolean;
    if (committed && absolute && !path.includes('\0')) {
      seen = this.committed.commit(path);
      clean = this.committed.lastClean;
    } else clean = absolute && path.length <= PATH_MAX && CLEAN_ABSOLUTE.test(path);
    if (!clean && !pathClean(path)) {
      const who = this.nodeWho(r);
      const place = recordPlace(index, r, loc);
      pathHasNul = !r.unterminated?.includes('path') && path.includes('\0');
      if (pathHasNul) this.find('strings.embedded-nul', place, `path ${q(path)} holds a NUL before its end`, who);
      const special = path.startsWith('@');
      if (!special && !absolute) {
        this.find('strings.path-not-absolute', place, `path ${q(path)} is neither absolute nor an @-special name`, who);
      } else if (!pathHasNul) {
        const problem = pathSyntaxProblem(path, absolute);
        if (problem) this.find('strings.path-syntax', place, `path ${q(path)}: ${problem}`, who);
      }
    }

    // permissions
    const perms = r.perms;
    for (let i = 0; i < perms.length; i++) {
      const perm = perms[i]!;
      const letter = perm.perm;
      if (letter !== 'n' && letter !== 'r' && letter !== 'w' && letter !== 'b' && !(letter in PERM_LETTERS)) {
        this.find('nodes.perm-letter', recordPlace(index, r, loc), `node ${q(path)} permission ${i + 1} has letter ${q(letter)}; n, r, w and b are defined (xenstored reads others as n)`, this.nodeWho(r));
      }
      const unknown = perm.flags & ~PERM_FLAG_STALE;
      if (unknown) this.find('nodes.perm-flags-unknown', recordPlace(index, r, loc), `node ${q(path)} permission ${i + 1} flags ${hex(perm.flags, 2)} set undefined bits`, this.nodeWho(r));
    }
    const owner = perms[0];
    if (owner) {
      if (owner.flags & PERM_FLAG_STALE) {
        this.find('nodes.owner-invalid', recordPlace(index, r, loc), `node ${q(path)}: the owner entry (domain ${owner.domid}) is marked stale; xenstored hands a vanished owner's nodes to dom0 instead`, this.nodeWho(r));
      } else if (owner.domid === DOMID.ANY || owner.domid === DOMID.INVALID) {
        this.find('nodes.owner-invalid', recordPlace(index, r, loc), `node ${q(path)}: owner ${hex(owner.domid, 4)} (${reservedDomidName(owner.domid)}) cannot own a node`, this.nodeWho(r));
      }
      this.noteOwner(owner.domid, index);
    }
    if (this.ownedCount) this.daemonNodeDomains(r, index, loc);
    if (perms.length === 0 && (committed || r.access !== 0)) {
      this.find('nodes.no-permissions', recordPlace(index, r, loc), `node ${q(path)} has perm-count 0; only a node deleted in a pending transaction has no permissions (the first names the owner)`, this.nodeWho(r));
    }

    if (committed) {
      if (r.access !== 0) this.find('nodes.access-on-committed', recordPlace(index, r, loc), `node ${q(path)} is committed (conn-id 0) but has access ${r.access}; access is for transaction nodes and is ignored here`);
      if (r.txId !== 0) this.find('nodes.txid-on-committed', recordPlace(index, r, loc), `node ${q(path)} is committed (conn-id 0) but has tx-id ${r.txId}, which is ignored`);
      if (absolute && !pathHasNul) {
        if (seen < 0) seen = this.committed.commit(path); // (a NUL inside an unterminated path)
        if (seen === PATH_DUPLICATE) {
          this.find('nodes.duplicate-path', recordPlace(index, r, loc), `node ${q(path)} appears twice as a committed node`);
          this.daemonRewrite(r, index, loc, 'an earlier committed node');
        } else if (this.txPaths.size && this.txPaths.has(path)) {
          this.daemonRewrite(r, index, loc, 'a transaction node written into the tree before it');
        }
        if (seen === PATH_PARENT_MISSING) {
          const place = recordPlace(index, r, loc);
          const desc = `node ${q(path)}`;
          const parent = parentOf(path);
          this.find('nodes.parent-missing', place, `${desc}: its parent ${q(parent)} has not appeared earlier; xenstored rebuilds the tree in stream order`);
          if (this.profile?.daemon && !this.txPaths.has(parent)) this.lose('refuse', place, desc, `parent ${q(parent)} not restored yet: xenstored aborts ("read parent error restoring node")`);
        }
      }
    } else {
      const place = recordPlace(index, r, loc);
      const who = this.nodeWho(r);
      const desc = `node ${q(path)}`;
      const unknownAccess = r.access & ~3;
      if (unknownAccess) this.find('nodes.access-unknown', place, `${desc} access ${hex(r.access, 4)}: only read (1) and written (2) are defined, 0 meaning deleted`, who);
      if (!this.transactions.has(`${r.connId}:${r.txId}`)) {
        this.find('refs.node-transaction-unknown', place, `${desc} belongs to transaction ${r.txId} of conn-id ${r.connId}, which no earlier TRANSACTION_DATA declares`, who);
      }
      if (this.profile && !this.profile.transactions) this.daemonTransactionNode(r, place, who, desc);
    }
  }

  /**
   * xenstored writes a transaction node straight into the committed tree (it reads neither
   * conn-id, tx-id nor access): what that does, by the target's rules for any node written.
   */
  private daemonTransactionNode(r: NodeData, place: Place, who: Who, desc: string): void {
    const p = this.profile!;
    const subject = this.connSubject(r.connId);
    const path = r.path;
    const pending = `pending ${desc} of transaction ${r.txId}`;
    const commit: RestoreEffect = { kind: 'commit-node' };
    if (!p.daemon) {
      this.lose('lose', place, subject, `${pending}: written into the committed tree (${p.name} ignores conn-id and tx-id)`, who, commit);
      return;
    }
    if (!path.startsWith('/')) {
      this.lose('lose', place, subject, `${pending}: written as the special node ${q(path)} (xenstored ignores conn-id and tx-id)`, who, commit);
      return;
    }
    if (path === '/') {
      this.lose('lose', place, subject, `${pending}: xenstored writes it as the committed root, which drops every node restored before it out of the tree`, who, commit);
    } else if (this.committed.has(path) || this.txPaths.has(path)) {
      if (p.duplicateNode === 'dies') {
        this.lose('refuse', place, subject, `${pending}: xenstored writes it into the committed tree, where ${q(path)} already exists: the restore aborts ("write node error restoring node")`, who);
      } else {
        this.lose('lose', place, subject, `${pending}: xenstored writes it over the committed node ${q(path)}: the committed value, permissions and children are replaced, and its name is listed twice in its parent`, who, commit);
      }
    } else {
      const parent = parentOf(path);
      if (parent !== '/' && !this.committed.has(parent) && !this.txPaths.has(parent)) {
        this.lose('refuse', place, subject, `${pending}: xenstored writes it into the committed tree, where its parent ${q(parent)} does not exist: the restore aborts ("read parent error restoring node")`, who);
      } else if (r.perms.length === 0) {
        this.lose('lose', place, subject, `${pending} (deleted in the transaction): xenstored writes it into the committed tree as a node without permissions, which no client can read`, who, commit);
      } else {
        this.lose('lose', place, subject, `${pending}: xenstored ignores conn-id and tx-id and writes it into the committed tree`, who, commit);
      }
    }
    this.txPaths.add(path);
  }

  /** A committed node written where the daemon already has one (a duplicate, or a transaction node before it). */
  private daemonRewrite(r: NodeData, index: number, loc: RecordLocation | undefined, what: string): void {
    const p = this.profile;
    if (!p?.duplicateNode || r.path === '/') return;
    const place = recordPlace(index, r, loc);
    const desc = `node ${q(r.path)}`;
    if (p.duplicateNode === 'dies') {
      this.lose('refuse', place, desc, `written over ${what}: xenstored aborts the restore ("write node error restoring node")`);
    } else {
      this.lose('lose', place, desc, `written over ${what}: the earlier value, permissions and children are replaced, and the name is listed twice in its parent`);
    }
  }

  /**
   * Daemon targets: the node's owner must be a domain the restore has created by now, or the
   * node accounting aborts the restore; counts what each domain owns and is named in, for the
   * domains released at the end (finishReleases).
   */
  private daemonNodeDomains(r: NodeData, index: number, loc: RecordLocation | undefined): void {
    const perms = r.perms;
    const owner = perms[0];
    if (!owner) return;
    const p = this.profile!;
    const domid = owner.domid;
    const special = !r.path.startsWith('/');
    if ((domid >>> 0) === domid && domid < DOMID_TABLE) {
      this.ownedCount![domid]!++;
      const fresh = special ? this.freshEntrySpecial! : this.freshEntryTree!;
      for (let i = 1; i < perms.length; i++) {
        const d = perms[i]!.domid;
        if ((d >>> 0) !== d || d >= DOMID_TABLE) continue;
        if (d !== domid) this.permEntryCount![d]!++;
        if ((perms[i]!.flags & PERM_FLAG_STALE) === 0) fresh[d]!++;
      }
    }
    if (p.ownersNeedDomain && !(special && p.ownersNeedDomain === 'tree') && !this.domainExists(domid)) {
      this.lose('refuse', recordPlace(index, r, loc), `node ${q(r.path)}`,
        `owned by domain ${domid}, which no ring connection before it introduces (nor names as its SET_TARGET target): xenstored's node accounting finds no domain and the restore aborts ("write node error restoring node")`, { domid });
    }
  }

  private checkQuotaNames(list: readonly Quota[], listName: string, place: Place, who: Who): void {
    const seen = new Set<string>();
    for (const x of list) {
      if (seen.has(x.name)) this.find('quotas.name-duplicate', place, `quota ${q(x.name)} appears twice in ${listName}`, who);
      seen.add(x.name);
      if (!isKnownQuotaName(x.name)) this.find('quotas.name-unknown', place, `quota ${q(x.name)} (${x.value}) in ${listName} is not a name xenstored or the protocol document knows; readers keep or ignore it`, who);
    }
  }

  private surplusFinding(place: Place, names: string[], who: Who): void {
    this.find('quotas.names-exceed-values', place, `${plural(names.length, 'quota name')} after the last one the counts cover (${names.map((n) => q(n)).join(', ')}): more names than values`, who);
  }

  private checkGlobalQuota(r: GlobalQuotaData, place: Place, surplus: string[] | undefined): void {
    if (surplus) this.surplusFinding(place, surplus, {});
    this.checkQuotaNames(r.domQuotas, 'the per-domain defaults', place, {});
    this.checkQuotaNames(r.globQuotas, 'the global quotas', place, {});
    const p = this.profile;
    if (!p) return;
    if (!p.quotaRecords || !p.globalQuotas) {
      this.lose('lose', place, 'global quotas', `GLOBAL_QUOTA_DATA is skipped (unknown to ${p.name}): ${plural(r.domQuotas.length, 'per-domain default')} and ${plural(r.globQuotas.length, 'global quota')} fall back to the daemon's built-in defaults`, {}, { kind: 'skip-record' });
    } else if (p.quotaNames) {
      const ignored = [...r.domQuotas, ...r.globQuotas].filter((x) => !p.quotaNames!(x.name));
      if (ignored.length) this.lose('lose', place, 'global quotas', `${p.quotaWhy ?? `${p.name} ignores quota names it does not know`}: ${quotaList(ignored)}`, {}, { kind: 'ignore-quotas', names: ignored.map((x) => x.name) });
    }
    if (p.quotaRecords && p.globalQuotas && p.globalQuotasAsDefaults) {
      const global = r.globQuotas.filter((x) => !p.quotaNames || p.quotaNames(x.name));
      if (global.length) this.lose('lose', place, 'global quotas', `${p.name} reads the global quotas as per-domain defaults (it keeps no global limits; a default of the same name is overridden): ${quotaList(global)}`, {}, { kind: 'global-quotas-as-defaults' });
    }
  }

  private checkDomain(r: DomainData, index: number, place: Place, surplus: string[] | undefined): void {
    const who: Who = { domid: r.domainId };
    const prev = this.domains.get(r.domainId);
    if (prev !== undefined) {
      this.find('refs.domain-duplicate', place, `a second DOMAIN_DATA for domain ${r.domainId} (the first is record #${prev}); one per domain`, who);
    } else {
      this.domains.set(r.domainId, index);
    }
    if (surplus) this.surplusFinding(place, surplus, who);
    if (this.header.version < 2 && r.features !== 0) {
      this.find('v2.features-in-v1', place, `domain ${r.domainId} features ${hex(r.features >>> 0)} (${featureNames(r.features).join(', ')}) in a version-${this.header.version} stream: features are valid only in version 2 and readers ignore them`, who);
    }
    const unknownBits = (r.features & ~KNOWN_FEATURE_MASK) >>> 0;
    if (unknownBits) this.find('v2.features-unknown', place, `domain ${r.domainId} features ${hex(r.features >>> 0)} set undefined bits ${hex(unknownBits)}`, who);
    this.checkQuotaNames(r.quotas, `domain ${r.domainId}'s quotas`, place, who);

    this.pendingDomains.push({
      index,
      place,
      domainId: r.domainId,
      earlierRing: this.domainExists(r.domainId),
      earlierOwner: this.ownerFirstOf(r.domainId) !== undefined,
    });

    const p = this.profile;
    if (!p) return;
    const subject = `domain ${r.domainId}`;
    const v1 = this.header.version < 2;
    if (!p.quotaRecords) {
      const parts: string[] = [];
      if (r.quotas.length) parts.push(`its ${plural(r.quotas.length, 'quota')} fall back to the daemon's defaults`);
      if (!v1 && r.features !== 0) parts.push(`features ${hex(r.features >>> 0)} (${featureNames(r.features).join(', ')}) are lost`);
      if (parts.length) this.lose('lose', place, subject, `DOMAIN_DATA is skipped (unknown to ${p.name}): ${parts.join('; ')}`, who, { kind: 'skip-record' });
    } else if (p.quotaNames) {
      const ignored = r.quotas.filter((x) => !p.quotaNames!(x.name));
      if (ignored.length) this.lose('lose', place, subject, `${p.quotaWhy ?? `${p.name} ignores quota names it does not know`}: ${quotaList(ignored)}`, who, { kind: 'ignore-quotas', names: ignored.map((x) => x.name) });
    }
    if (v1 && r.features !== 0) {
      this.lose('lose', place, subject, `features ${hex(r.features >>> 0)} (${featureNames(r.features).join(', ')}) are ignored in a version-1 stream; a guest that relies on them may break`, who, { kind: 'ignore-features' });
    }
  }

  // -- end ------------------------------------------------------------------------------------

  /** Rules that need the whole stream; returns the report. `trailing`: bytes after END (or their count). */
  finish(trailing?: Uint8Array | { length: number }): CheckReport {
    if (this.lastType !== 'END') {
      const place: Place = this.lastType === undefined ? { recordType: 'stream' } : { recordIndex: this.index - 1, recordType: this.lastType };
      this.find('framing.end-missing', place, this.lastType === undefined ? 'the stream has no records; it must end with an END record' : 'the last record is not END; the stream must end with exactly one END record');
    }
    if (trailing && trailing.length > 0) {
      const at = this.endAt?.loc ? this.endAt.loc.offset + this.endAt.loc.wireLen : undefined;
      const place: Place = at === undefined ? { recordType: 'after END' } : { offset: at, recordType: 'after END' };
      this.find('framing.trailing-bytes', place, `${plural(trailing.length, 'byte')} follow the END record; readers stop at END and ignore them`);
    }
    this.finishDomains();
    this.finishReleases();
    const findings = this.findings;
    const report: CheckReport = { findings, ok: !this.errorFound };
    if (this.profile) {
      report.losses = this.losses;
      report.hostDependent = this.hostItems;
      report.ok = report.ok && this.losses.length === 0;
    }
    return report;
  }

  /**
   * Domains the target releases when the restore ends: a ring connection's unique-id that is
   * not the host's (noteUniqueId), and a SET_TARGET target without a ring of its own, whose
   * temporary domain the restore destroys. Releasing deletes the nodes the domain owns, with
   * everything below them, and with releaseDropsPermEntries its entries in other nodes'
   * permission lists; releasing dom0 leaves a daemon running with a tree no client may read.
   */
  private finishReleases(): void {
    const p = this.profile;
    if (!p?.daemon) return;
    const released = new Set<number>();
    for (const t of this.targets.keys()) {
      if (this.ringByDomid.has(t)) continue;
      const ring = this.targets.get(t)!;
      this.releases.push({ domid: t, place: { recordIndex: ring, recordType: 'CONNECTION_DATA' }, closesConnection: false, hostDependent: false, why: `it is only the SET_TARGET target of a ring connection (record #${ring}), with no ring of its own: the restore makes it a temporary domain and destroys it at the end` });
    }
    for (const rel of this.releases) {
      if (released.has(rel.domid)) continue;
      released.add(rel.domid);
      const owned = rel.domid < DOMID_TABLE ? this.ownedCount![rel.domid]! : 0;
      const entries = p.releaseDropsPermEntries && rel.domid < DOMID_TABLE ? this.permEntryCount![rel.domid]! : 0;
      const record = this.domains.get(rel.domid);
      if (!rel.closesConnection && owned === 0 && entries === 0 && record === undefined) continue; // (nothing of it to lose)
      const what: string[] = [];
      if (rel.closesConnection) what.push('its ring connection is closed');
      if (record !== undefined) what.push(`its DOMAIN_DATA (record #${record}: features, quotas) goes with it`);
      if (owned) what.push(`the ${plural(owned, 'node')} it owns ${owned === 1 ? 'is deleted with everything below it' : 'are deleted with everything below them'}`);
      if (entries) what.push(`its ${plural(entries, 'entry', 'entries')} in other nodes' permission lists ${entries === 1 ? 'is' : 'are'} removed`);
      const dom0 = rel.domid === 0 && rel.closesConnection;
      if (dom0) what.push('dom0 itself is gone, and no client may read the tree');
      // (The daemon lives on without dom0, seen in the rig: a loss of everything, not a refusal.)
      const kind: TargetLoss['kind'] = rel.hostDependent ? 'host' : 'lose';
      const text = `${rel.hostDependent ? 'would be' : 'is'} released when the restore ends (${rel.why}): ${what.join('; ')}`;
      this.lose(kind, rel.place, `domain ${rel.domid}`, text, { domid: rel.domid }, {
        kind: 'release-domain', domid: rel.domid, dropsPermEntries: !!p.releaseDropsPermEntries, closesConnection: rel.closesConnection,
      });
    }
    // Entries naming a domain without a ring connection are restored marked stale (those of a
    // released domain that the target removes are gone anyway).
    if (!p.staleForRingless) return;
    const special = p.staleForRingless === 'all';
    for (let d = 0; d < DOMID_TABLE; d++) {
      const n = this.freshEntryTree![d]! + (special ? this.freshEntrySpecial![d]! : 0);
      if (n === 0 || this.ringByDomid.has(d) || (released.has(d) && p.releaseDropsPermEntries)) continue;
      this.lose('lose', { recordType: 'stream' }, `domain ${d}`, `its ${plural(n, 'permission entry', 'permission entries')} ${n === 1 ? 'is' : 'are'} restored marked stale: no ring connection in the stream introduces domain ${d}, so ${p.name} ignores ${n === 1 ? 'it' : 'them'} in access checks`, { domid: d }, { kind: 'mark-stale', domid: d, specialNodes: special });
    }
  }

  private finishDomains(): void {
    // Where each domain first turns up, for "appears only later" hints.
    for (const d of this.pendingDomains) {
      const id = d.domainId;
      const who: Who = { domid: id };
      if (d.earlierRing) continue;
      if (d.earlierOwner) {
        if (!this.ringByDomid.has(id)) {
          this.find('refs.domain-without-connection', d.place, `domain ${id} has no ring connection, only owns nodes (first at record #${this.ownerFirstOf(id)}); its features have no ring page to appear on`, who);
        }
        continue;
      }
      const later: string[] = [];
      const ring = this.ringByDomid.get(id);
      if (ring !== undefined) later.push(`its ring connection is record #${ring}`);
      const owner = this.ownerFirstOf(id);
      if (owner !== undefined) later.push(`its first owned node is record #${owner}`);
      const text = later.length
        ? `domain ${id} is not known yet at this point (${later.join(', ')}): records that others depend on must come first; xenstored 4.21+ aborts ("referenced domain not found")`
        : `domain ${id} has no ring connection and owns no node: xenstored 4.21+ aborts the restore ("referenced domain not found"); Xen 4.22 writes such a record for a domain only named in a permission or quota`;
      this.find('refs.domain-not-found', d.place, text, who);
      if (this.profile?.abortsOnUnknownDomain) {
        this.lose('refuse', d.place, `domain ${id}`, `${this.profile.name} aborts the restore: the domain does not exist when its DOMAIN_DATA is read ("referenced domain not found")`, who);
      }
    }
  }
}
