// Reader profiles for `check --target`: what each reader of the stream does with what it is
// given (spec/check-rules.md, "Reader profiles"). The xen-* profiles describe C xenstored's
// live-update reader (lu.c and its callees) at those releases; the spec-* ones a reader that
// follows the design document to the letter.

import type { ByteOrder } from '../wire/constants.js';
import { XENSTORED_QUOTA_NAMES } from '../wire/constants.js';
import type { TargetName } from './types.js';

/** How a reader treats WATCH_DATA_EXTENDED (type 8). */
export type WatchExtHandling =
  /** As the document lays it out: depth at +8, pad at +10, wpath at +12 (version 2 streams only). */
  | 'document'
  /** Unknown type: skipped, the watch is not restored. */
  | 'skip'
  /**
   * xenstored 4.22: depth at +8 and wpath at +10 (its struct has no pad), in any stream version;
   * a record laid out as the document says kills it ("allocation error for read watch").
   */
  | 'xen-4.22';

export interface ReaderProfile {
  name: TargetName;
  /** One line for `--help` and the verdict. */
  title: string;
  versions: readonly number[];
  byteOrders: readonly ByteOrder[];
  /** Compares the whole flags word with its own (so reserved bits make it refuse). */
  exactFlags: boolean;
  /** Consumes exactly `len` bytes per record, without rounding up (xenstored). */
  exactLen: boolean;
  /** Reads GLOBAL_QUOTA_DATA and DOMAIN_DATA (else skips them as unknown). */
  quotaRecords: boolean;
  watchExt: WatchExtHandling;
  /** Aborts on DOMAIN_DATA for a domain it has not created from a ring connection or a SET_TARGET target. */
  abortsOnUnknownDomain: boolean;
  /** Restores TRANSACTION_DATA and transaction nodes (xenstored ignores the former and commits the latter). */
  transactions: boolean;
  /** Is xenstored: aborts on a watch for an unknown connection or a node without parent. */
  daemon: boolean;
  /** Reads GLOBAL_QUOTA_DATA (4.21 skips it as unknown, though it reads DOMAIN_DATA). */
  globalQuotas: boolean;
  /** Quota names it applies; undefined: any name the document allows. */
  quotaNames?: (name: string) => boolean;
  /**
   * Reads GLOBAL_QUOTA_DATA's global quotas into its per-domain defaults, overriding a default
   * of the same name (4.22 keeps one table: seen in the rig, its next dump lists them there).
   */
  globalQuotasAsDefaults?: boolean;
  /** Why it drops the quota names quotaNames refuses (for the loss message). */
  quotaWhy?: string;
  /**
   * Keeps a ring connection's SET_TARGET target only when the target's own ring connection came
   * earlier in the stream; else the target is written back as DOMID_INVALID (every xenstored).
   */
  targetNeedsEarlierRing?: boolean;
  /**
   * Marks stale every permission entry (not the owner) naming a domain with no ring connection
   * in the stream: `all` nodes (4.21+) or only the tree's (4.17 leaves the @-special nodes).
   */
  staleForRingless?: 'all' | 'tree';
  /**
   * xenstored's node accounting: every node's owner must be a domain the restore has created
   * by then (a ring connection, or a ring connection's SET_TARGET target), or the restore
   * aborts ("write node error restoring node"). `all`: the @-special nodes too (4.21+);
   * `tree`: only nodes of the tree (4.17 does not account the special nodes); undefined: no
   * such rule (readers of the document).
   */
  ownersNeedDomain?: 'all' | 'tree';
  /**
   * A node written at a path that already exists (a second committed record, or a
   * transaction node, which xenstored writes into the committed tree): `dies` (4.21+: "write
   * node error restoring node"), or `relists` (4.17: the node is overwritten, its children
   * are dropped and its name is listed once more in its parent). `/` is replaced everywhere.
   */
  duplicateNode?: 'dies' | 'relists';
  /**
   * Compares each ring connection's unique-id with the hypervisor's id of that domain after
   * the restore and releases a domain whose id differs (4.21+). 4.17 knows no unique-ids.
   */
  checksUniqueIds?: boolean;
  /**
   * Releasing a domain (a unique-id that differs, or a SET_TARGET target without a ring of its
   * own) also removes the permission entries naming it from every other node (4.22, not 4.21).
   */
  releaseDropsPermEntries?: boolean;
}

/** The quota names xenstored 4.22 knows: those it writes (of the soft limits only soft-memory; fuzz:daemon saw it drop soft-watches and soft-transactions). */
const XEN_422_QUOTA_NAMES = new Set([...XENSTORED_QUOTA_NAMES, 'soft-memory']);
const xen422QuotaName = (name: string): boolean => XEN_422_QUOTA_NAMES.has(name);

export const PROFILES: Record<TargetName, ReaderProfile> = {
  'spec-v1': {
    name: 'spec-v1',
    title: 'a reader of version 1 as the design document defines it',
    versions: [1],
    byteOrders: ['little', 'big'],
    exactFlags: false,
    exactLen: false,
    quotaRecords: true,
    watchExt: 'skip',
    abortsOnUnknownDomain: false,
    transactions: true,
    daemon: false,
    globalQuotas: true,
  },
  'spec-v2': {
    name: 'spec-v2',
    title: 'a reader of versions 1 and 2 as the design document defines them',
    versions: [1, 2],
    byteOrders: ['little', 'big'],
    exactFlags: false,
    exactLen: false,
    quotaRecords: true,
    watchExt: 'document',
    abortsOnUnknownDomain: false,
    transactions: true,
    daemon: false,
    globalQuotas: true,
  },
  'xen-4.17': {
    name: 'xen-4.17',
    title: 'xenstored 4.17 to 4.20 (version 1 only, little-endian host)',
    versions: [1],
    byteOrders: ['little'],
    exactFlags: true,
    exactLen: true,
    quotaRecords: false,
    watchExt: 'skip',
    abortsOnUnknownDomain: false,
    transactions: false,
    daemon: true,
    ownersNeedDomain: 'tree',
    duplicateNode: 'relists',
    globalQuotas: false,
    targetNeedsEarlierRing: true,
    staleForRingless: 'tree',
  },
  'xen-4.21': {
    name: 'xen-4.21',
    title: 'xenstored 4.21 (versions 1 and 2, no watch depth, little-endian host)',
    versions: [1, 2],
    byteOrders: ['little'],
    exactFlags: true,
    exactLen: true,
    quotaRecords: true,
    watchExt: 'skip',
    abortsOnUnknownDomain: true,
    transactions: false,
    daemon: true,
    quotaNames: () => false,
    quotaWhy: 'xenstored 4.21 has no quota support and keeps no quota',
    globalQuotas: false,
    ownersNeedDomain: 'all',
    duplicateNode: 'dies',
    checksUniqueIds: true,
    targetNeedsEarlierRing: true,
    staleForRingless: 'all',
  },
  'xen-4.22': {
    name: 'xen-4.22',
    title: 'xenstored 4.22 (versions 1 and 2, watch depth, little-endian host)',
    versions: [1, 2],
    byteOrders: ['little'],
    exactFlags: true,
    exactLen: true,
    quotaRecords: true,
    watchExt: 'xen-4.22',
    abortsOnUnknownDomain: true,
    transactions: false,
    daemon: true,
    quotaNames: xen422QuotaName,
    quotaWhy: 'xenstored 4.22 drops quota names it does not know',
    globalQuotas: true,
    globalQuotasAsDefaults: true,
    ownersNeedDomain: 'all',
    duplicateNode: 'dies',
    checksUniqueIds: true,
    releaseDropsPermEntries: true,
    targetNeedsEarlierRing: true,
    staleForRingless: 'all',
  },
};
