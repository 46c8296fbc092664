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

/** What a reader profile would lose or refuse, per connection / domain. */
export interface TargetLoss extends Place {
  target: TargetName;
  /** `refuse`: the reader aborts the restore; `lose`: it restores without this item. */
  kind: 'refuse' | 'lose';
  /** Whose item it is: `domain 1`, `connection 4 (domain 1)`, `global quotas`, `node "/a"`; empty for the stream as a whole. */
  subject?: string;
  message: string;
}

export interface CheckOptions {
  target?: TargetName;
  /** Offsets of the records as decoded (decodeStreamDetailed); without them messages omit offsets. */
  locations?: RecordLocation[];
}

export interface CheckReport {
  findings: Finding[];
  /** Present when a target was given. */
  losses?: TargetLoss[];
  /** true when no error finding and (with a target) no loss. */
  ok: boolean;
}

export type CheckFn = (stream: Stream, opts?: CheckOptions) => CheckReport;
