// The checker the converter uses (target losses, the CLI's check and verify stages).
//
// STAND-IN: src/check is being written in parallel. Until its checkStream lands, this file
// implements only what conversion needs, against the contract in src/check/types.ts:
// version-2 content in a version-1 stream, and what a reader profile refuses (version,
// byte order, an orphan DOMAIN_DATA for 4.21+) or skips (quota and domain records for 4.17).
// Delete it and re-export the real checker once it exists.

import type { CheckFn, CheckOptions, CheckReport, Finding, TargetLoss, TargetName } from '../check/types.js';
import type { Stream } from '../model/types.js';
import { MAX_KNOWN_VERSION } from '../wire/constants.js';

/** Highest stream version each reader profile restores. */
export const TARGET_MAX_VERSION: Record<TargetName, number> = {
  'spec-v1': 1,
  'spec-v2': 2,
  'xen-4.17': 1,
  'xen-4.21': 2,
  'xen-4.22': 2,
};

/** Byte order a real daemon accepts: its host's, little-endian on every Xen host in practice. */
export function targetByteOrder(t: TargetName): 'little' | undefined {
  return t.startsWith('xen-') ? 'little' : undefined;
}

const standIn: CheckFn = (stream: Stream, opts?: CheckOptions): CheckReport => {
  const findings: Finding[] = [];
  const at = (i: number): { recordIndex: number; offset?: number } => {
    const off = opts?.locations?.[i]?.offset;
    return off === undefined ? { recordIndex: i } : { recordIndex: i, offset: off };
  };
  const where = (i: number, type: string): string => {
    const off = opts?.locations?.[i]?.offset;
    return `record #${i}${off === undefined ? '' : ` at byte ${off}`} (${type})`;
  };
  const v = stream.header.version;
  if (v < 1 || v > MAX_KNOWN_VERSION) {
    findings.push({ rule: 'header.version', severity: 'error', message: `header: version ${v} is not 1 or 2`, recordIndex: -1, offset: 8 });
  }
  stream.records.forEach((r, i) => {
    if (v === 1 && r.type === 'WATCH_DATA_EXTENDED') {
      findings.push({
        rule: 'version.record-type', severity: 'error', recordType: r.type, connId: r.connId, ...at(i),
        message: `${where(i, r.type)}: version-2 record in a version-1 stream (readers 4.17-4.20 skip it: the watch vanishes)`,
      });
    }
    if (v === 1 && r.type === 'DOMAIN_DATA' && r.features !== 0) {
      findings.push({
        rule: 'version.features-in-v1', severity: 'error', recordType: r.type, domid: r.domainId, ...at(i),
        message: `${where(i, r.type)}: features 0x${r.features.toString(16)} in a version-1 stream (must be zero)`,
      });
    }
  });

  let losses: TargetLoss[] | undefined;
  const target = opts?.target;
  if (target) {
    losses = [];
    if (v > TARGET_MAX_VERSION[target]) {
      losses.push({ target, kind: 'refuse', message: `${target} reads stream version ${TARGET_MAX_VERSION[target]} at most, this is version ${v}` });
    }
    if (targetByteOrder(target) && stream.header.byteOrder !== targetByteOrder(target)) {
      losses.push({ target, kind: 'refuse', message: `${target} refuses a ${stream.header.byteOrder}-endian stream (it reads only its host's byte order, little-endian)` });
    }
    const ringDomains = new Set<number>();
    const owners = new Set<number>();
    for (const r of stream.records) {
      if (r.type === 'CONNECTION_DATA' && r.connType === 0) ringDomains.add((r.connSpec as { domid: number }).domid);
      if (r.type === 'NODE_DATA' && r.perms.length) owners.add(r.perms[0]!.domid);
    }
    stream.records.forEach((r, i) => {
      if (target === 'xen-4.17' && (r.type === 'GLOBAL_QUOTA_DATA' || r.type === 'DOMAIN_DATA')) {
        const what = r.type === 'DOMAIN_DATA' ? `quotas of domain ${r.domainId}` : 'global quota settings';
        losses!.push({
          target, kind: 'lose', recordType: r.type, ...at(i), ...(r.type === 'DOMAIN_DATA' ? { domid: r.domainId } : {}),
          message: `${where(i, r.type)}: skipped as unknown by ${target}: the ${what} fall back to the daemon's defaults`,
        });
      }
      if (target === 'xen-4.17' && r.type === 'WATCH_DATA_EXTENDED') {
        losses!.push({ target, kind: 'lose', recordType: r.type, connId: r.connId, ...at(i), message: `${where(i, r.type)}: skipped as unknown by ${target}: the watch vanishes` });
      }
      if ((target === 'xen-4.21' || target === 'xen-4.22') && r.type === 'DOMAIN_DATA' && !ringDomains.has(r.domainId) && !owners.has(r.domainId)) {
        losses!.push({
          target, kind: 'refuse', recordType: r.type, domid: r.domainId, ...at(i),
          message: `${where(i, r.type)}: domain ${r.domainId} has no ring connection and owns no node: ${target} aborts with "referenced domain not found"`,
        });
      }
    });
  }
  const ok = !findings.some((f) => f.severity === 'error') && !(losses && losses.length);
  return losses ? { findings, losses, ok } : { findings, ok };
};

export const checkStream: CheckFn = standIn;
/** True while checkStream is the stand-in above (the CLI says so in its report). */
export const CHECKER_IS_STAND_IN = true;
