// Contract of the checker (layer 3), shared by `xsmig check`, `convert` (its verify stage)
// and the inspector (findings marked on records).

import type { RecordLocation, Stream } from '../model/types.js';

export type Severity = 'error' | 'warning' | 'info';

export type TargetName = 'spec-v1' | 'spec-v2' | 'xen-4.17' | 'xen-4.21' | 'xen-4.22';
export const TARGET_NAMES: TargetName[] = ['spec-v1', 'spec-v2', 'xen-4.17', 'xen-4.21', 'xen-4.22'];

/** Where a finding or loss sits: record, byte offset, connection, domain (each when known). */
export interface Place {
  recordIndex?: number;
  offset?: number;
  recordType?: string;
  connId?: number;
  domid?: number;
}

export interface Finding extends Place {
  /** Stable rule id, e.g. `framing.len-not-padded`; documented in spec/check-rules.md. */
  rule: string;
  severity: Severity;
  /** One line for the terminal; names record index, byte offset and record type where there is one. */
  message: string;
}

/**
 * What the reader does to the item of a loss, for the model of what it holds after the restore
 * (restore-model.ts): the record at the loss's `recordIndex` is skipped, or (a transaction node)
 * written into the committed tree; a domain is released at the end of the restore (its nodes
 * and their subtrees deleted, with `dropsPermEntries` also its entries in other nodes'
 * permission lists, and its ring connection closed); a watch is restored as something else;
 * quota names or features are ignored; a ring connection's SET_TARGET target is dropped; the
 * permission entries naming a domain are marked stale.
 */
export type RestoreEffect =
  | { kind: 'skip-record' }
  | { kind: 'commit-node' }
  | { kind: 'release-domain'; domid: number; dropsPermEntries: boolean; closesConnection: boolean }
  | { kind: 'misread-watch'; wpath: string; token: string; depth: number | null }
  | { kind: 'ignore-quotas'; names: string[] }
  | { kind: 'ignore-features' }
  | { kind: 'clear-target' }
  | { kind: 'global-quotas-as-defaults' }
  | { kind: 'mark-stale'; domid: number; specialNodes: boolean };

/** What a reader profile would lose or refuse, per connection / domain. */
export interface TargetLoss extends Place {
  target: TargetName;
  /**
   * `refuse`: the reader aborts the restore (or keeps nothing usable); `lose`: it restores
   * without this item; `host`: it loses the item unless the host agrees (a unique-id that
   * xsmig cannot compare without the host's ids; listed in CheckReport.hostDependent).
   */
  kind: 'refuse' | 'lose' | 'host';
  /** What the restore does to the item (absent for a refusal, and where nothing is restored differently). */
  effect?: RestoreEffect;
  /** Whose item it is: `domain 1`, `connection 4 (domain 1)`, `global quotas`, `node "/a"`; empty for the stream as a whole. */
  subject?: string;
  message: string;
}

export interface CheckOptions {
  target?: TargetName;
  /**
   * The host's unique-id of each domain (model/host-ids.ts), for targets that compare them
   * (4.21+); without it each ring connection's id is a `host` item.
   */
  hostIds?: ReadonlyMap<number, bigint>;
  /** Offsets of the records as decoded (decodeStreamDetailed); without them messages omit offsets. */
  locations?: RecordLocation[];
}

export interface CheckReport {
  findings: Finding[];
  /** Present when a target was given. */
  losses?: TargetLoss[];
  /**
   * With a target: items it loses unless the host agrees (kind `host`: a ring connection's
   * unique-id, without the host's ids to compare it with). Not counted in `ok`.
   */
  hostDependent?: TargetLoss[];
  /** true when no error finding and (with a target) no loss. */
  ok: boolean;
}

export type CheckFn = (stream: Stream, opts?: CheckOptions) => CheckReport;
