// Conversion between stream versions and byte orders, and repair of known producer defects.
// The converter changes only what it must and says what each change costs:
//
// - to version 1: WATCH_DATA_EXTENDED becomes WATCH_DATA (lossless only for an unlimited
//   depth: a plain watch fires at any depth) and DOMAIN_DATA `features` becomes 0 (lossy
//   when not zero: the guest may already rely on the bits); every other record is kept as
//   it is, extras included;
// - to version 2: the header only;
// - byte order: every integer, including the headers of pending wire messages (raw traffic
//   in the record byte order); lossless except for bytes whose meaning is unknown;
// - repair: Xen 4.22's short-header WATCH_DATA_EXTENDED (its depth was never written: needs
//   an assumed depth, reported as an assumption), DOMAIN_DATA for a domain a 4.21+ reader
//   cannot find, and non-canonical framing (len, padding, reserved bits, bytes after END).
//
// Each change names the item in the vocabulary of the diff (section, key, field, old, new),
// so that diff(input, output) lists exactly the reported changes.

import type { TargetLoss, TargetName } from '../check/types.js';
import { TARGET_NAMES } from '../check/types.js';
import type { CheckFn } from '../check/types.js';
import type { ConnectionData, DomainData, Stream, StreamHeader, WatchData, WatchDataExtended, XsRecord } from '../model/types.js';
import { DEPTH_UNLIMITED, DOMID, featureNames, RecordType, recordTypeLabel, type ByteOrder } from '../wire/constants.js';
import { checkStream, PROFILES } from '../check/index.js';
import { eachFacetDifference, itemKeys, recordFraming, type ItemKey, showDelta, showDepth, watchDepth, type Delta, type DeltaValue, type Section } from './diff.js';
import { describePending, parsePending, swapPending } from './pending.js';

export type ChangeKind = 'lossless' | 'lossy';

export interface Change extends Delta {
  kind: ChangeKind;
  /** One line for people: what changed and what it costs. */
  message: string;
  /** Index of the record in the input (absent for header-level changes). */
  recordIndex?: number;
  recordType?: string;
  connId?: number;
  domid?: number;
  /** Set when the new value is an assumption the user supplied, not a fact from the input. */
  assumption?: string;
}

/** A loss that no field comparison shows (bytes whose byte order cannot be converted). */
export interface Loss {
  source: 'byte-order';
  message: string;
  recordIndex?: number;
  recordType?: string;
  connId?: number;
}

export type RefusalReason = 'lossy' | 'needs-assume-depth' | 'target-refuses';

export interface ConvertOptions {
  /** Stream version to write; default: the target's highest, else the input's. */
  toVersion?: number;
  /** Record byte order to write; default: the target's (little for xen-*), else the input's. */
  byteOrder?: ByteOrder;
  /** Reader profile the output is meant for: its losses are reported, its refusals refuse. */
  target?: TargetName;
  /** Accept lossy changes. */
  force?: boolean;
  /** Rewrite known producer defects and non-canonical framing. */
  repair?: boolean;
  /** Depth to assume for watches whose producer lost it (with repair). */
  assumeDepth?: number | 'unlimited';
  /** The host's unique-id of each domain (CheckOptions.hostIds), for a target that compares them. */
  hostIds?: ReadonlyMap<number, bigint>;
  /** The checker for target losses (default: the project's). */
  check?: CheckFn;
}

export interface ConvertPlan {
  /** The converted stream (as far as it could be planned when refused). */
  stream: Stream;
  from: { version: number; byteOrder: ByteOrder };
  to: { version: number; byteOrder: ByteOrder };
  target?: TargetName;
  changes: Change[];
  losses: Loss[];
  /** What the target reader would still lose or refuse in the output. */
  targetLosses: TargetLoss[];
  /** Things worth knowing that change nothing (defaults chosen for a target, items not repaired). */
  notes: string[];
  /** Any lossy change, loss, or item the target loses. */
  lossy: boolean;
  refused: boolean;
  refusal?: { reason: RefusalReason; message: string };
}

/** The options cannot be applied (bad value, or an input the converter cannot handle). */
export class ConvertError extends Error {
  override readonly name = 'ConvertError';
}

/** The conversion would lose state without `force`, or cannot be done as asked. */
export class ConvertRefused extends Error {
  override readonly name = 'ConvertRefused';
  constructor(readonly plan: ConvertPlan) {
    super(plan.refusal?.message ?? 'conversion refused');
  }
}

/** Highest stream version the target's reader restores. */
function targetMaxVersion(t: TargetName): number {
  return Math.max(...PROFILES[t].versions);
}

/** The one byte order the target reads (xenstored: its host's), undefined when it reads both. */
function targetByteOrder(t: TargetName): ByteOrder | undefined {
  const orders = PROFILES[t].byteOrders;
  return orders.length === 1 ? orders[0] : undefined;
}

function checkOptions(o: ConvertOptions): void {
  if (o.toVersion !== undefined && o.toVersion !== 1 && o.toVersion !== 2) {
    throw new ConvertError(`cannot write stream version ${o.toVersion}: versions 1 and 2 exist`);
  }
  if (o.byteOrder !== undefined && o.byteOrder !== 'little' && o.byteOrder !== 'big') {
    throw new ConvertError(`byte order must be little or big, not ${String(o.byteOrder)}`);
  }
  if (o.target !== undefined && !TARGET_NAMES.includes(o.target)) {
    throw new ConvertError(`unknown target ${String(o.target)}: one of ${TARGET_NAMES.join(', ')}`);
  }
  if (o.assumeDepth !== undefined) {
    if (!o.repair) throw new ConvertError('an assumed depth is used only when repairing: add --repair');
    const d = o.assumeDepth;
    if (d !== 'unlimited' && !(Number.isInteger(d) && d >= 0 && d <= DEPTH_UNLIMITED)) {
      throw new ConvertError(`assumed depth must be 0..65535 or unlimited, not ${String(d)}`);
    }
  }
}

function recordLabel(r: XsRecord, i: number): string {
  const type = r.type === 'UNKNOWN' ? recordTypeLabel(r.typeCode) : r.type;
  switch (r.type) {
    case 'WATCH_DATA':
    case 'WATCH_DATA_EXTENDED':
      return `record #${i} ${type} (conn ${r.connId}, path "${r.wpath}", token "${r.token}")`;
    case 'DOMAIN_DATA':
      return `record #${i} ${type} (domain ${r.domainId})`;
    case 'CONNECTION_DATA':
      return `record #${i} ${type} (conn ${r.connId})`;
    case 'NODE_DATA':
      return `record #${i} ${type} (${r.path})`;
    default:
      return `record #${i} ${type}`;
  }
}

const FRAMING_WHY: Record<string, string> = {
  len: 'declared len replaced by the body size rounded up to 8',
  padding: 'padding bytes set to zero',
  unterminated: 'strings without their NUL',
  pad: 'reserved pad set to zero',
  'data-pad': 'padding before unique-id set to zero',
  'conn-spec.pad': 'socket conn-spec pad set to zero',
  'producer-defect': 'the short header of the defective writer is not written again',
  'tx-id (ignored)': 'tx-id of a committed node (ignored by readers) set to zero',
};

/**
 * Drops the extras that only a non-canonical input carries (repair). A record of an unknown
 * type keeps its len: its body is len bytes, whatever they hold, so a len that is not a
 * multiple of 8 cannot be rounded up without changing the body.
 */
function canonicalFraming<T extends XsRecord>(r: T): T {
  const c = { ...r } as XsRecord;
  if (c.type !== 'UNKNOWN') delete c.len;
  delete c.padding;
  if (c.type === 'WATCH_DATA_EXTENDED') delete c.pad;
  if (c.type === 'CONNECTION_DATA') {
    delete c.dataPad;
    if ('pad' in c.connSpec && c.connSpec.pad) {
      const { pad: _pad, ...spec } = c.connSpec;
      c.connSpec = spec;
    }
  }
  if (c.type === 'NODE_DATA' && c.connId === 0) c.txId = 0;
  return c as T;
}

function watchAsPlain(r: WatchDataExtended): WatchData {
  const w: WatchData = { type: 'WATCH_DATA', connId: r.connId, wpath: r.wpath, token: r.token };
  if (r.unterminated) w.unterminated = [...r.unterminated];
  return w;
}

/**
 * Plans a conversion record by record: `record` returns each output record as its input
 * record passes, and notes the changes; `finish` gives the plan (without the stream). What a
 * record-by-record pass cannot know is given by the caller: the domains a 4.21+ reader
 * recreates (`known`, needed only by repair: knownDomains, or a pass of its own over the
 * input, knownDomainsPass in streaming.ts) and the
 * target reader's losses on the output (a checker run over the output records).
 */
export class ConversionPlanner {
  readonly header: StreamHeader;
  readonly from: { version: number; byteOrder: ByteOrder };
  readonly to: { version: number; byteOrder: ByteOrder };
  readonly changes: Change[] = [];
  readonly losses: Loss[] = [];
  readonly notes: string[] = [];
  /** Notes that come after the per-record ones (features that take effect in version 2). */
  private readonly lateNotes: string[] = [];
  private refusal: ConvertPlan['refusal'];
  private readonly swap: boolean;
  private readonly repair: boolean;
  private readonly assumed: number | undefined;
  /**
   * Why every WATCH_DATA_EXTENDED becomes a plain WATCH_DATA, when it does: the target reads
   * none correctly (4.21 skips them, 4.22 takes wpath from +10 and dies on the documented
   * layout), or version 1 has none. Undefined: only where repair makes one plain.
   */
  private readonly plainWatches: string | undefined;

  constructor(input: StreamHeader, private readonly opts: ConvertOptions = {}, private readonly known?: ReadonlySet<number>) {
    checkOptions(opts);
    const inVersion = input.version;
    if (inVersion !== 1 && inVersion !== 2) throw new ConvertError(`cannot convert a version-${inVersion} stream: only versions 1 and 2 are defined`);
    const notes = this.notes;
    const target = opts.target;
    let toVersion = opts.toVersion;
    if (toVersion === undefined && target && inVersion > targetMaxVersion(target)) {
      toVersion = targetMaxVersion(target);
      notes.push(`version ${toVersion} chosen: ${target} reads version ${toVersion} at most`);
    }
    toVersion ??= inVersion;
    let byteOrder = opts.byteOrder;
    if (byteOrder === undefined && target && targetByteOrder(target) && targetByteOrder(target) !== input.byteOrder) {
      byteOrder = targetByteOrder(target);
      notes.push(`${byteOrder}-endian chosen: ${target} reads only its host's byte order`);
    }
    byteOrder ??= input.byteOrder;
    this.swap = byteOrder !== input.byteOrder;
    this.repair = !!opts.repair;
    if (this.repair && !known) throw new Error('ConversionPlanner: repair needs the set of known domains (the whole stream)');
    this.assumed = opts.assumeDepth === 'unlimited' ? DEPTH_UNLIMITED : opts.assumeDepth;
    this.from = { version: inVersion, byteOrder: input.byteOrder };
    this.to = { version: toVersion, byteOrder };
    const ext = target ? PROFILES[target].watchExt : undefined;
    this.plainWatches = toVersion === 1
      ? 'version 1 has no extended watches'
      : ext === 'skip'
        ? `${target} skips WATCH_DATA_EXTENDED, and reads a plain watch`
        : ext === 'xen-4.22'
          ? `${target} reads no WATCH_DATA_EXTENDED correctly (it takes wpath from +10: the documented layout kills it, its own short header is misread), and reads a plain watch`
          : undefined;

    const changes = this.changes;
    const header = { ...input, version: toVersion, byteOrder };
    if (toVersion !== inVersion) {
      changes.push({
        kind: 'lossless', section: 'header', key: 'header', field: 'version', old: inVersion, new: toVersion,
        message: `header: version ${inVersion} -> ${toVersion}`,
      });
    }
    if (this.swap) {
      changes.push({
        kind: 'lossless', section: 'header', key: 'header', field: 'byte-order', old: input.byteOrder, new: byteOrder,
        message: `header: byte order ${input.byteOrder} -> ${byteOrder} (every record rewritten)`,
      });
    }
    if (this.repair && input.reservedFlags) {
      header.reservedFlags = 0;
      changes.push({
        kind: 'lossless', section: 'framing', key: 'header', field: 'reserved-flags', old: input.reservedFlags, new: 0,
        message: `header: reserved flag bits 0x${input.reservedFlags.toString(16)} cleared`,
      });
    }
    this.header = header;
  }

  /**
   * Whether every record of type `typeCode` (0xffffffff: an unknown type) passes this
   * conversion unchanged, with no change, loss or note, and its item key cannot number a
   * record that changes (see ItemKeyCounter): then it may be rewritten raw (model/transcode.ts)
   * without `record` seeing it. Read the cases off `record` below.
   */
  passesRaw(typeCode: number): boolean {
    if (this.repair) return false;
    const v2 = this.to.version === 2;
    switch (typeCode) {
      case RecordType.NODE_DATA:
      case RecordType.GLOBAL_DATA:
      case RecordType.TRANSACTION_DATA:
      case RecordType.GLOBAL_QUOTA_DATA:
        return true;
      case RecordType.WATCH_DATA:
      case RecordType.WATCH_DATA_EXTENDED:
        // (Both are items of one section: a plain watch numbers an extended one that changes.)
        return v2 && this.plainWatches === undefined;
      case RecordType.DOMAIN_DATA:
        return v2 && this.from.version === 2;
      case RecordType.CONNECTION_DATA:
        return !this.swap; // (pending wire messages are swapped, see below)
      case RecordType.END:
        return false;
      default:
        return !this.swap; // (an unknown body cannot be swapped: a loss to report)
    }
  }

  /**
   * Every output record has the size and place of its input record: no repair, and a version-2
   * output (to version 1, a WATCH_DATA_EXTENDED becomes a shorter WATCH_DATA, also in a
   * version-1 input that holds one).
   */
  keepsPlaces(): boolean {
    return !this.repair && this.to.version === 2 && this.plainWatches === undefined;
  }

  /** The output record for input record `r` (number `i`, item `id`); undefined: dropped. */
  record(r: XsRecord, i: number, keyOf: () => ItemKey): XsRecord | undefined {
    const { changes, losses, notes, repair, swap, assumed } = this;
    const { version: toVersion, byteOrder } = this.to;
    const inOrder = this.from.byteOrder;
    // (Label and item key are made only for a record that changes: most pass unchanged.)
    let labelMade: string | undefined;
    const label = (): string => (labelMade ??= recordLabel(r, i));
    let id: ItemKey;
    let idMade = false;
    const key = (): ItemKey => {
      if (!idMade) {
        id = keyOf();
        idMade = true;
      }
      return id;
    };
    const add = (c: Omit<Change, 'recordIndex' | 'recordType' | 'section' | 'key'> & { section?: Section; key?: string }): void => {
      const k = key()!;
      changes.push({ section: k.section, key: k.key, recordIndex: i, recordType: r.type === 'UNKNOWN' ? recordTypeLabel(r.typeCode) : r.type, ...c } as Change);
    };
    let out: XsRecord | undefined = r;

    if (r.type === 'WATCH_DATA_EXTENDED') {
      const oldDepth = watchDepth(r);
      let newDepth: DeltaValue = oldDepth;
      let assumption: string | undefined;
      if (r.producerDefect && repair && assumed !== undefined) {
        assumption = `depth ${showDepth(assumed)} assumed (--assume-depth): the producer did not write it`;
        newDepth = assumed;
      }
      // Plain when the output cannot hold it, or (repair) when a plain watch says the same.
      const plainWhy = this.plainWatches ?? (repair && newDepth === DEPTH_UNLIMITED && (r.producerDefect ? assumed !== undefined : true) ? 'a plain WATCH_DATA says the same as an unlimited depth' : undefined);
      if (plainWhy) {
        out = watchAsPlain(r);
        add({
          kind: 'lossless', field: 'record', old: r.type, new: 'WATCH_DATA', connId: r.connId,
          message: `${label()}: becomes WATCH_DATA (${plainWhy})`,
        });
        if (oldDepth !== DEPTH_UNLIMITED) {
          const lossless = newDepth === DEPTH_UNLIMITED;
          const why = lossless
            ? 'a plain watch has no depth limit, which is the depth assumed'
            : oldDepth === 'lost'
              ? `the depth the guest asked for is unknown${assumption ? ` (assumed ${showDepth(newDepth)})` : ''}; a plain watch fires at any depth, possibly deeper than asked`
              : `a plain watch fires at any depth: the guest asked for ${oldDepth} level(s) below ${r.wpath} and will get events from deeper paths`;
          const from = oldDepth === 'lost' ? 'unknown (its producer did not write it)' : showDepth(oldDepth);
          const c: Omit<Change, 'recordIndex' | 'recordType' | 'section' | 'key'> = {
            kind: lossless ? 'lossless' : 'lossy', field: 'depth', old: oldDepth, new: DEPTH_UNLIMITED, connId: r.connId,
            message: `${label()}: depth ${from} -> unlimited: ${why}`,
          };
          if (assumption) c.assumption = assumption;
          add(c);
        }
      } else if (r.producerDefect && repair) {
        if (assumed === undefined) {
          this.refusal ??= {
            reason: 'needs-assume-depth',
            message: `${label()} was written by Xen 4.22's defective writer, which never wrote the depth: ` +
              'repairing it needs --assume-depth N|unlimited (the depth the guest registered, if known; unlimited is what a plain watch does)',
          };
        } else {
          const w: WatchDataExtended = { type: 'WATCH_DATA_EXTENDED', connId: r.connId, depth: assumed, wpath: r.wpath, token: r.token };
          if (r.unterminated) w.unterminated = [...r.unterminated];
          out = w;
          add({
            kind: 'lossless', field: 'depth', old: 'lost', new: assumed, connId: r.connId, assumption: assumption!,
            message: `${label()}: depth lost (its producer did not write it) -> ${showDepth(assumed)}`,
          });
        }
      }
    }

    if (r.type === 'DOMAIN_DATA') {
      if (repair && !this.known!.has(r.domainId)) {
        out = undefined;
        add({
          kind: 'lossy', field: 'exists', old: true, new: false, domid: r.domainId,
          message: `${label()}: removed: domain ${r.domainId} has no ring connection and owns no node, so xenstored 4.21+ aborts the restore on it ` +
            `("referenced domain not found"); its ${r.quotas.length} quota setting(s)${r.features ? ' and features' : ''} are dropped`,
        });
      } else if (toVersion === 1 && r.features !== 0) {
        out = { ...r, features: 0 } as DomainData;
        add({
          kind: 'lossy', field: 'features', old: r.features, new: 0, domid: r.domainId,
          message: `${label()}: features 0x${r.features.toString(16)} (${featureNames(r.features).join(', ')}) -> 0: ` +
            'version 1 has no features; the guest may already rely on these bits, which a server never withdraws',
        });
      }
      if (toVersion === 2 && this.from.version === 1 && r.features) {
        this.lateNotes.push(`domain ${r.domainId}: features 0x${r.features.toString(16)} were ignored in version 1 and take effect in version 2`);
      }
    }

    if (out && swap && r.type === 'CONNECTION_DATA') {
      const c = { ...(out as ConnectionData) };
      for (const [key, field, data, respLen] of [['inData', 'in-data', c.inData, 0], ['outData', 'out-data', c.outData, c.outRespLen]] as const) {
        const s = swapPending(data, inOrder, respLen);
        c[key] = s.data;
        if (s.unconverted) {
          // The copied bytes now read as the other byte order: a change the diff sees.
          add({
            kind: 'lossy', field, connId: r.connId,
            old: describePending(parsePending(data, inOrder, respLen), inOrder).join(' | '),
            new: describePending(parsePending(s.data, byteOrder, respLen), byteOrder).join(' | '),
            message: `${label()}: ${field}: ${s.unconverted}`,
          });
        }
      }
      if (c.connType !== 0 && c.connType !== 1) {
        losses.push({ source: 'byte-order', recordIndex: i, recordType: r.type, connId: r.connId, message: `${label()}: conn-spec of unknown conn-type ${c.connType} copied unconverted` });
      }
      out = c;
    }
    if (out && swap && r.type === 'UNKNOWN') {
      losses.push({ source: 'byte-order', recordIndex: i, recordType: recordTypeLabel(r.typeCode), message: `${label()}: body of an unknown record type copied unconverted (its integers, if any, keep the old byte order)` });
    }
    if (out && repair) {
      if (!(out.type === 'WATCH_DATA_EXTENDED' && out.producerDefect)) out = canonicalFraming(out);
      if (out.unterminated?.length) notes.push(`${label()}: ${out.unterminated.join(', ')} without terminating NUL: not repaired (the string's length would change)`);
    }
    if (out && out !== r) {
      // Representation-only changes (extras the output record no longer carries). (A record
      // passed on as it is keeps all of them.)
      const a = recordFraming(r);
      const b = recordFraming(out);
      eachFacetDifference(a, b, (field, va, vb) => {
        if (!key()) return;
        changes.push({
          kind: 'lossless', section: 'framing', key: `${id!.section} ${id!.key}`, field, old: va, new: vb, recordIndex: i,
          recordType: r.type === 'UNKNOWN' ? recordTypeLabel(r.typeCode) : r.type,
          message: `${label()}: ${field} ${showDelta(va)} -> ${showDelta(vb)} (${FRAMING_WHY[field] ?? 'representation only'})`,
        });
      });
    }
    return out;
  }

  /** The bytes after END to write (kept unless repairing), given those of the input. */
  trailing(count: number, hexOf: () => string): boolean {
    if (count === 0) return false;
    if (this.repair) {
      this.changes.push({
        kind: 'lossless', section: 'framing', key: 'after END', field: 'trailing', old: hexOf(), new: null,
        message: `${count} byte(s) after the END record dropped (readers stop at END)`,
      });
      return false;
    }
    return true;
  }

  /** The plan, given what the target reader loses or refuses in the output (a check of it). */
  finish(targetLosses: TargetLoss[] = []): Omit<ConvertPlan, 'stream'> {
    const { opts, changes, losses } = this;
    const target = opts.target;
    let refusal = this.refusal;
    if (target) {
      const refuse = targetLosses.filter((l) => l.kind === 'refuse');
      if (refuse.length && !refusal) {
        refusal = { reason: 'target-refuses', message: `${target} would refuse the output: ${refuse.map((l) => l.message).join('; ')}` };
      }
    }
    const lossyCount = changes.filter((c) => c.kind === 'lossy').length + losses.length + targetLosses.filter((l) => l.kind === 'lose').length;
    if (!refusal && lossyCount > 0 && !opts.force) {
      refusal = { reason: 'lossy', message: `${lossyCount} lossy item(s): state would be lost; rerun with --force to accept (see the report)` };
    }
    const plan: Omit<ConvertPlan, 'stream'> = {
      from: this.from,
      to: this.to,
      changes,
      losses,
      targetLosses: target ? targetLosses : [],
      notes: [...this.notes, ...this.lateNotes],
      lossy: lossyCount > 0,
      refused: refusal !== undefined,
    };
    if (target) plan.target = target;
    if (refusal) plan.refusal = refusal;
    return plan;
  }
}

/** Domains a 4.21+ reader recreates: those with a ring connection or a ring's SET_TARGET target, or owning a node. */
export function knownDomains(records: Iterable<XsRecord>): Set<number> {
  const known = new Set<number>();
  for (const r of records) noteKnownDomain(known, r);
  return known;
}

/** Adds to `known` the domain record `r` makes known (see knownDomains), if any. */
export function noteKnownDomain(known: Set<number>, r: XsRecord): void {
  if (r.type === 'CONNECTION_DATA' && r.connType === 0) {
    const spec = r.connSpec as { domid: number; tdomid: number };
    known.add(spec.domid);
    // (A SET_TARGET target exists while the restore reads DOMAIN_DATA: seen in the rig.)
    if (spec.tdomid !== DOMID.INVALID) known.add(spec.tdomid);
  }
  if (r.type === 'NODE_DATA' && r.perms.length) known.add(r.perms[0]!.domid);
}

/** Plans a conversion; never throws for a refusal (see `refused`). */
export function planConversion(input: Stream, opts: ConvertOptions = {}): ConvertPlan {
  const planner = new ConversionPlanner(input.header, opts, opts.repair ? knownDomains(input.records) : undefined);
  const keys = itemKeys(input);
  const records: XsRecord[] = [];
  input.records.forEach((r, i) => {
    const out = planner.record(r, i, () => keys[i]);
    if (out) records.push(out);
  });
  const stream: Stream = { header: planner.header, records };
  if (input.trailing && planner.trailing(input.trailing.length, () => Buffer.from(input.trailing!).toString('hex'))) stream.trailing = input.trailing;
  const targetLosses = opts.target ? (opts.check ?? checkStream)(stream, opts.hostIds ? { target: opts.target, hostIds: opts.hostIds } : { target: opts.target }).losses ?? [] : [];
  return { stream, ...planner.finish(targetLosses) };
}

/** Converts, or throws ConvertRefused (carrying the plan) when the plan is refused. */
export function convert(input: Stream, opts: ConvertOptions = {}): ConvertPlan {
  const plan = planConversion(input, opts);
  if (plan.refused) throw new ConvertRefused(plan);
  return plan;
}
