// Record filters shared by dump (and the HTML report): by type, path glob, connection, domain.

import { ALL_RECORD_TYPE_NAMES, RecordType } from '../wire/constants.js';
import type { XsRecord } from '../model/types.js';
import { CliError, EXIT } from './exit-codes.js';

export interface FilterArgs {
  type?: string;
  path?: string;
  conn?: number;
  domid?: number;
}

/** `*` matches within one path element, `**` across elements, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

export function parseTypeList(s: string): Set<string> {
  const out = new Set<string>();
  for (const raw of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const up = raw.toUpperCase().replace(/-/g, '_');
    // Exact name, name without _DATA, or an unambiguous prefix (conn, node, tx ...).
    const prefixed = ALL_RECORD_TYPE_NAMES.filter((n) => n.startsWith(up));
    const name =
      ALL_RECORD_TYPE_NAMES.find((n) => n === up || n === `${up}_DATA`) ??
      (up === 'TX' ? 'TRANSACTION_DATA' : prefixed.length === 1 ? prefixed[0] : undefined);
    if (name) out.add(name);
    else if (up === 'UNKNOWN') out.add('UNKNOWN');
    else if (/^\d+$/.test(raw)) {
      const code = Number(raw);
      const n = ALL_RECORD_TYPE_NAMES.find((k) => RecordType[k] === code);
      out.add(n ?? 'UNKNOWN');
    } else {
      throw new CliError(EXIT.USAGE, `unknown record type "${raw}" in --type (known: ${ALL_RECORD_TYPE_NAMES.join(', ')}, UNKNOWN)`);
    }
  }
  return out;
}

/** The path a record is about: a node's path, a watch's wpath; undefined for other records. */
export function recordPath(r: XsRecord): string | undefined {
  return r.type === 'NODE_DATA' ? r.path : r.type === 'WATCH_DATA' || r.type === 'WATCH_DATA_EXTENDED' ? r.wpath : undefined;
}

/** The connection a record belongs to (CONNECTION_DATA: its own id). */
export function recordConnId(r: XsRecord): number | undefined {
  return 'connId' in r ? (r.connId as number) : undefined;
}

/**
 * Attributes records to a domain, fed in stream order: it remembers each ring connection's
 * domain as the connections go by, so a domain also owns its watches and transactions; a
 * committed node belongs to its owner (first permission), a transaction node to its connection.
 */
export class DomainTracker {
  private readonly connDomid = new Map<number, number>();
  domidOf(r: XsRecord): number | undefined {
    if (r.type === 'CONNECTION_DATA' && r.connType === 0) this.connDomid.set(r.connId, (r.connSpec as { domid: number }).domid);
    if (r.type === 'DOMAIN_DATA') return r.domainId;
    if (r.type === 'NODE_DATA') return r.connId !== 0 ? this.connDomid.get(r.connId) : r.perms[0]?.domid;
    const connId = recordConnId(r);
    return connId !== undefined ? this.connDomid.get(connId) : undefined;
  }
}

/** A u32 option (yargs gives NaN for "abc"): a usage error unless a whole number 0..2^32-1. */
export function checkU32Option(name: string, v: number | undefined): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new CliError(EXIT.USAGE, `--${name} takes a whole number 0..4294967295${Number.isNaN(v) ? '' : `, not ${v}`}`);
  }
}

/** A predicate over records in stream order (see DomainTracker for `--domid`). */
export function makeFilter(a: FilterArgs): ((r: XsRecord) => boolean) | undefined {
  checkU32Option('conn', a.conn);
  checkU32Option('domid', a.domid);
  if (a.type === undefined && a.path === undefined && a.conn === undefined && a.domid === undefined) return undefined;
  const types = a.type !== undefined ? parseTypeList(a.type) : undefined;
  const path = a.path !== undefined ? globToRegExp(a.path) : undefined;
  const domains = new DomainTracker();
  return (r) => {
    const domid = domains.domidOf(r); // every record, so that connections are remembered
    if (types && !types.has(r.type)) return false;
    if (path) {
      const p = recordPath(r);
      if (p === undefined || !path.test(p)) return false;
    }
    if (a.conn !== undefined && recordConnId(r) !== a.conn) return false;
    if (a.domid !== undefined && domid !== a.domid) return false;
    return true;
  };
}
