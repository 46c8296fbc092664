// The registry of check rules: one stable id, one severity and one line of summary each.
// spec/check-rules.md holds a section per id (what, why); a test keeps the two in step and
// requires a fixture per rule.

import type { Severity } from './types.js';

export interface RuleDef {
  id: string;
  severity: Severity;
  /** One line: what the rule looks for. */
  summary: string;
}

const r = (id: string, severity: Severity, summary: string): RuleDef => ({ id, severity, summary });

export const RULE_LIST: readonly RuleDef[] = [
  // header
  r('header.version-unknown', 'error', 'header version is neither 1 nor 2'),
  r('header.reserved-flags', 'error', 'header flag bits 1-31 are not zero'),
  // framing
  r('framing.len-not-padded', 'error', '`len` is not a multiple of 8 (xenstored reads exactly `len`)'),
  r('framing.len-excess', 'warning', '`len` leaves more than 7 bytes after the body'),
  r('framing.padding-not-zero', 'warning', 'bytes after the body up to the next record are not zero'),
  r('framing.reserved-not-zero', 'warning', 'a reserved or padding field inside a body is not zero'),
  r('framing.end-missing', 'error', 'the last record is not END'),
  r('framing.end-not-last', 'error', 'an END record is followed by more records'),
  r('framing.trailing-bytes', 'warning', 'bytes follow the END record'),
  r('framing.type-unknown', 'warning', 'record type is reserved (9 and up): readers skip it'),
  // references
  r('refs.conn-id-zero', 'error', 'CONNECTION_DATA with conn-id 0'),
  r('refs.conn-id-duplicate', 'error', 'two CONNECTION_DATA records with the same conn-id'),
  r('refs.watch-conn-unknown', 'error', 'watch for a conn-id with no earlier CONNECTION_DATA'),
  r('refs.watch-duplicate', 'warning', 'the same watch (connection, path, token) twice'),
  r('refs.transaction-conn-unknown', 'error', 'TRANSACTION_DATA for a conn-id with no earlier CONNECTION_DATA'),
  r('refs.transaction-duplicate', 'error', 'the same transaction (conn-id, tx-id) twice'),
  r('refs.node-transaction-unknown', 'error', 'transaction NODE_DATA with no earlier TRANSACTION_DATA for its conn-id and tx-id'),
  r('refs.domain-duplicate', 'error', 'two DOMAIN_DATA records for one domain'),
  r('refs.domain-not-found', 'error', 'DOMAIN_DATA for a domain with no earlier ring connection and no earlier owned node'),
  r('refs.domain-without-connection', 'info', 'DOMAIN_DATA for a domain known only as a node owner (no ring connection)'),
  r('refs.global-duplicate', 'error', 'more than one GLOBAL_DATA or GLOBAL_QUOTA_DATA'),
  // strings
  r('strings.unterminated', 'error', 'a string whose length does not include its terminating NUL'),
  r('strings.embedded-nul', 'error', 'a NUL inside a path, watch path or token'),
  r('strings.path-not-absolute', 'error', 'node path neither absolute nor an @-special name'),
  r('strings.path-syntax', 'warning', 'path with characters xenstored rejects, `//`, a trailing `/`, or over the length limit'),
  // nodes
  r('nodes.parent-missing', 'error', "committed node whose parent has not appeared earlier"),
  r('nodes.duplicate-path', 'error', 'the same committed path twice'),
  r('nodes.perm-letter', 'error', 'permission letter other than n, r, w, b'),
  r('nodes.no-permissions', 'error', 'perm-count 0 on a node that is not a deleted transaction node'),
  r('nodes.owner-invalid', 'warning', 'first permission (the owner) is stale or names a domain id that cannot own'),
  r('nodes.perm-flags-unknown', 'warning', 'permission flags with bits other than bit 0 (stale)'),
  r('nodes.access-on-committed', 'warning', 'access bits on a committed node (ignored)'),
  r('nodes.access-unknown', 'error', 'transaction node access with bits other than read (1) and written (2)'),
  r('nodes.txid-on-committed', 'info', 'tx-id set on a committed node (ignored)'),
  // connections
  r('connections.conn-type-unknown', 'error', 'conn-type other than 0 (shared ring) or 1 (socket)'),
  r('connections.out-resp-len', 'error', 'out-resp-len larger than out-data-len'),
  r('connections.out-data-framing', 'error', 'queued out-data is not a sequence of whole messages'),
  r('connections.fields-unknown', 'warning', 'CONNECTION_DATA `fields` bits other than bit 0 (unique-id)'),
  r('connections.unique-id-not-ring', 'warning', 'unique-id on a connection that is not a shared ring'),
  r('connections.domid-invalid', 'error', 'ring domid or tdomid is a reserved domain id'),
  r('connections.ring-domid-duplicate', 'error', 'two ring connections for one domain'),
  // quotas
  r('quotas.names-exceed-values', 'error', 'more quota names than values (names left after the body)'),
  r('quotas.name-duplicate', 'warning', 'a quota name twice in one list'),
  r('quotas.name-unknown', 'info', 'quota name neither xenstored nor the protocol document knows'),
  // version 2 content
  r('v2.features-in-v1', 'warning', 'DOMAIN_DATA `features` not zero in a version-1 stream (ignored when read)'),
  r('v2.features-unknown', 'warning', 'DOMAIN_DATA `features` with undefined bits'),
  r('v2.watch-depth-unlimited', 'info', 'WATCH_DATA_EXTENDED with unlimited depth (a plain WATCH_DATA says the same)'),
  r('v2.watch-depth-excessive', 'info', 'watch depth too large to limit anything'),
  // producer defects
  r('defect.xen-4.22-short-header', 'error', "Xen 4.22's WATCH_DATA_EXTENDED without depth: the depth is lost and every other reader misreads the record"),
  r('defect.xen-4.22-short-header-overrun', 'error', "Xen 4.22's WATCH_DATA_EXTENDED without depth whose len runs into the next record"),
  r('defect.xen-4.22-v1-extended-watch', 'error', 'WATCH_DATA_EXTENDED in a version-1 stream: 4.17-4.20 readers skip it'),
];

export const RULES: ReadonlyMap<string, RuleDef> = new Map(RULE_LIST.map((d) => [d.id, d]));

export function ruleDef(id: string): RuleDef {
  const d = RULES.get(id);
  if (!d) throw new Error(`unknown check rule ${id}`);
  return d;
}
