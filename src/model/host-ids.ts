// The host's domain unique-ids: what the hypervisor reports for each domain, which xenstored
// 4.21+ compares with the `unique-id` of each ring CONNECTION_DATA after a restore (a domain
// whose id differs is taken as gone and released). xsmig cannot ask the hypervisor, so the
// user says what it would answer, in a small text file (spec/check-rules.md, "Host facts"):
//
//     # domid  unique-id
//     0        0x0102030405060000
//     1        72623859790381057
//
// One domain a line, the id in decimal or 0x-hex (u64); `#` starts a comment; blank lines are
// ignored. A domain the file does not list does not exist on the host.

/** A host-ids file cannot be read as one. */
export class HostIdsError extends Error {
  override readonly name = 'HostIdsError';
}

export type HostIds = ReadonlyMap<number, bigint>;

const U64_MAX = 0xffffffffffffffffn;

/** Parses the text of a host-ids file; `source` names it in errors. */
export function parseHostIds(text: string, source = 'host ids'): Map<number, bigint> {
  const ids = new Map<number, bigint>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const where = `${source}, line ${i + 1}`;
    const m = /^(\d+)\s+(0x[0-9a-fA-F]+|\d+)$/.exec(line);
    if (!m) throw new HostIdsError(`${where}: expected "DOMID UNIQUE-ID" (e.g. "1 0x0102030405060001"), found ${JSON.stringify(raw.trim())}`);
    const domid = Number(m[1]);
    const id = BigInt(m[2]!);
    if (domid > 0x7fef) throw new HostIdsError(`${where}: domid ${domid} is not a guest domain id (0-32751)`);
    if (id > U64_MAX) throw new HostIdsError(`${where}: unique-id ${m[2]} does not fit in 64 bits`);
    if (ids.has(domid)) throw new HostIdsError(`${where}: domain ${domid} is listed twice`);
    ids.set(domid, id);
  });
  return ids;
}

/** The text of a host-ids file listing `ids` (parseHostIds reads it back). */
export function formatHostIds(ids: HostIds): string {
  const rows = [...ids].sort((a, b) => a[0] - b[0]).map(([d, id]) => `${d} 0x${id.toString(16).padStart(16, '0')}`);
  return `# domid unique-id\n${rows.join('\n')}\n`;
}
