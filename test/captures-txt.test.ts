// Each real capture (fixtures/captures/NAME.bin) decoded must agree with its description
// (NAME.txt): the daemon's own `xenstore-ls -fp` listing just before the dump, the populate
// scripts and their replies, the connections held open at dump time, the state read back
// after the restore. Expectations are parsed from the .txt, not copied by hand.

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeStream } from '../src/model/decode.js';
import type { ConnectionData, NodeData, RingSpec, SocketSpec, Stream, XsRecord } from '../src/model/types.js';
import { parseCaptureTxt, type CaptureTxt } from './helpers/capture-txt.js';

const dir = new URL('../fixtures/captures/', import.meta.url);
const names = readdirSync(dir).filter((f) => f.endsWith('.txt')).map((f) => f.slice(0, -4)).sort();

interface Loaded {
  txt: CaptureTxt;
  bin: Buffer;
  stream: Stream;
}
const loaded = new Map<string, Loaded>();
function load(name: string): Loaded {
  let l = loaded.get(name);
  if (!l) {
    const bin = readFileSync(new URL(`${name}.bin`, dir));
    l = { txt: parseCaptureTxt(name, readFileSync(new URL(`${name}.txt`, dir), 'utf8')), bin, stream: decodeStream(bin) };
    loaded.set(name, l);
  }
  return l;
}

const DOMID_INVALID = 0x7ff4;
/** Feature bits the upstream daemon offers by default: the populate script's comment and
 * the post-restore `getfeature 1 -> '14'` both say 14 (error, watch-depth, domid-any). */
const DEFAULT_FEATURES = 14;

const of = <T extends XsRecord['type']>(s: Stream, t: T) => s.records.filter((r): r is Extract<XsRecord, { type: T }> => r.type === t);
const connections = (s: Stream) => of(s, 'CONNECTION_DATA');
const committed = (s: Stream) => of(s, 'NODE_DATA').filter((n) => n.connId === 0);

/** Watches that follow a connection record (the daemon writes them right after it). */
function watchesOf(s: Stream, c: ConnectionData): XsRecord[] {
  return s.records.filter((r) => (r.type === 'WATCH_DATA' || r.type === 'WATCH_DATA_EXTENDED') && r.connId === c.connId);
}

/** `'2000\x00'` -> `2000` (a reply printed by the capture tool). */
function numericReply(result: string): number | undefined {
  const m = /^'(\d+)\\x00'$/.exec(result);
  return m ? Number(m[1]) : undefined;
}

function streamVersionOf(producedBy: string): number {
  if (/stream version 1 only/.test(producedBy)) return 1;
  if (/writes stream version 2 by default/.test(producedBy)) return 2;
  throw new Error(`cannot tell the stream version from "${producedBy}"`);
}

/** Lines `CMD ARGS -> RESULT` of the sections describing the state after the restore. */
function afterRestore(txt: CaptureTxt): { args: string[]; result: string }[] {
  const out: { args: string[]; result: string }[] = [];
  for (const s of txt.sections.filter((x) => x.title.startsWith('After the restore'))) {
    for (const l of s.lines) {
      const m = /^(.*?) -> (.*)$/.exec(l);
      if (m) out.push({ args: m[1]!.split(' '), result: m[2]! });
    }
  }
  return out;
}

describe('captures agree with their .txt', () => {
  it('there are the four described captures', () => {
    expect(names).toEqual(expect.arrayContaining(['417-basic', 'head-v2-basic', 'head-v2-depth-a', 'head-v2-quota']));
  });

  for (const name of names) {
    describe(name, () => {
      it('is the file the .txt describes (size, sha256)', () => {
        const { txt, bin } = load(name);
        expect(bin.length).toBe(txt.size);
        expect(createHash('sha256').update(bin).digest('hex')).toBe(txt.sha256);
      });

      it('has the stream version its producer writes, little-endian, no reserved bits', () => {
        const { txt, stream } = load(name);
        expect(stream.header).toEqual({ version: streamVersionOf(txt.producedBy), byteOrder: 'little', reservedFlags: 0 });
        expect(stream.trailing).toBeUndefined();
      });

      it('holds every node of the xenstore-ls listing, with its value and permissions', () => {
        const { txt, stream } = load(name);
        expect(txt.listing.length).toBeGreaterThan(20);
        const byPath = new Map<string, NodeData>();
        for (const n of committed(stream)) {
          expect(byPath.has(n.path), `duplicate node ${n.path}`).toBe(false);
          byPath.set(n.path, n);
        }
        for (const l of txt.listing) {
          const n = byPath.get(l.path);
          expect(n, `node ${l.path}`).toBeDefined();
          expect(Buffer.from(n!.value).equals(l.value), `value of ${l.path}`).toBe(true);
          expect(n!.perms.map((p) => ({ perm: p.perm, domid: p.domid })), `permissions of ${l.path}`).toEqual(l.perms);
        }
      });

      it('holds no committed node that the listing lacks (besides / and the @ nodes)', () => {
        const { txt, stream } = load(name);
        const listed = new Set(txt.listing.map((l) => l.path));
        const extra = committed(stream).map((n) => n.path).filter((p) => p !== '/' && !p.startsWith('@') && !listed.has(p));
        expect(extra).toEqual([]);
      });

      it('has the special @ nodes with the permissions set on them', () => {
        const { txt, stream } = load(name);
        const nodes = committed(stream);
        for (const special of ['@releaseDomain', '@introduceDomain']) expect(nodes.map((n) => n.path)).toContain(special);
        const set = txt.populate.filter((c) => c.args[0] === 'setperms' && c.args[1]!.startsWith('@') && c.result === 'OK');
        expect(set.length).toBeGreaterThan(0);
        for (const c of set) {
          const n = nodes.find((x) => x.path === c.args[1]);
          const perms = c.args.slice(2).map((p) => ({ perm: p[0], domid: Number(p.slice(1)) }));
          expect(n!.perms.map((p) => ({ perm: p.perm, domid: p.domid })), c.args.join(' ')).toEqual(perms);
        }
      });

      it('writes the tree in pre-order from /, the @ nodes first (4.17) or last (newer)', () => {
        const { txt, stream } = load(name);
        const paths = of(stream, 'NODE_DATA').map((n) => n.path);
        const at = paths.filter((p) => p.startsWith('@'));
        expect(at.sort()).toEqual(['@introduceDomain', '@releaseDomain']);
        const tree = paths.filter((p) => !p.startsWith('@'));
        if (/4\.17/.test(txt.producedBy)) expect(paths.slice(0, 2).every((p) => p.startsWith('@'))).toBe(true);
        else expect(paths.slice(-2).every((p) => p.startsWith('@'))).toBe(true);
        expect(tree[0]).toBe('/');
        // Pre-order: every node's parent came before it.
        const seen = new Set<string>();
        for (const p of tree) {
          const parent = p === '/' ? undefined : p.slice(0, p.lastIndexOf('/')) || '/';
          if (parent) expect(seen.has(parent), `parent of ${p}`).toBe(true);
          seen.add(p);
        }
      });

      it('has one ring connection per introduced domain (and dom0), with its event channel, target and unique-id', () => {
        const { txt, stream } = load(name);
        const version = stream.header.version;
        const introduced = txt.populate.filter((c) => c.args[0] === 'introduce' && c.result === 'OK').map((c) => Number(c.args[1]));
        const targets = new Map(txt.populate.filter((c) => c.args[0] === 'settarget' && c.result === 'OK').map((c) => [Number(c.args[1]), Number(c.args[2])]));
        const rings = connections(stream).filter((c) => c.connType === 0);
        expect(rings.map((c) => (c.connSpec as RingSpec).domid).sort((a, b) => a - b)).toEqual([0, ...introduced].sort((a, b) => a - b));
        for (const c of rings) {
          const d = (c.connSpec as RingSpec).domid;
          expect(c.connSpec, `ring of domain ${d}`).toEqual({ domid: d, tdomid: targets.get(d) ?? DOMID_INVALID, evtchn: txt.evtchnBase + d });
          if (version >= 2) {
            expect(c.fields & 1).toBe(1);
            expect(c.uniqueId).toBe(txt.uniqueIdBase | BigInt(d));
          } else {
            expect(c.fields).toBe(0);
            expect(c.uniqueId).toBeUndefined();
          }
        }
      });

      it('has each held connection with its watches (tokens, depth), in order', () => {
        const { txt, stream } = load(name);
        expect(txt.held.length).toBeGreaterThan(0);
        for (const h of txt.held) {
          const expected = h.commands.filter((c) => c[0] === 'watch').map((c) =>
            c.length > 3
              // A watch with a depth: this daemon writes WATCH_DATA_EXTENDED with the 4.22
              // short header (the .txt says so), so the depth is lost.
              ? { type: 'WATCH_DATA_EXTENDED', connId: 0, depth: null, wpath: c[1], token: c[2], producerDefect: 'xen-4.22-short-header' }
              : { type: 'WATCH_DATA', connId: 0, wpath: c[1], token: c[2] });
          const matches = connections(stream).filter((c) => {
            if (c.connType !== 1) return false;
            const w = watchesOf(stream, c).map((x) => ({ ...x, connId: 0 }));
            return JSON.stringify(w) === JSON.stringify(expected);
          });
          expect(matches.length, `held connection ${h.number} (${h.script})`).toBe(1);
        }
      });

      it('has the watches of the xenstore-watch clients', () => {
        const { txt, stream } = load(name);
        for (const path of txt.xenstoreWatch) {
          const found = connections(stream).filter((c) => {
            const w = watchesOf(stream, c);
            return c.connType === 1 && w.length === 1 && (w[0] as { wpath: string }).wpath === path;
          });
          expect(found.length, `xenstore-watch ${path}`).toBeGreaterThanOrEqual(1);
        }
      });

      it('keeps a half-sent request as in-data: wire header and the bytes sent so far', () => {
        const { txt, stream } = load(name);
        for (const h of txt.held) {
          for (const c of h.commands.filter((x) => x[0] === 'partial')) {
            // partial TYPE SENT ARGS...: a request of TYPE whose payload is ARGS joined with
            // NULs (each NUL-terminated), of which SENT bytes were sent.
            const type = Number(c[1]);
            const sent = Number(c[2]);
            const payload = Buffer.from(c.slice(3).map((a) => `${a}\0`).join(''), 'latin1');
            const withIn = connections(stream).filter((x) => x.inData.length > 0);
            expect(withIn.length).toBe(1);
            const inData = Buffer.from(withIn[0]!.inData);
            expect(inData.length).toBe(16 + sent);
            expect(inData.readUInt32LE(0)).toBe(type); // wire type
            expect(inData.readUInt32LE(8)).toBe(0); // tx-id: sent outside the transaction (notx)
            expect(inData.readUInt32LE(12)).toBe(payload.length); // full payload length
            expect(inData.subarray(16).equals(payload.subarray(0, sent))).toBe(true);
            // and the held connection also kept its watch
            expect(watchesOf(stream, withIn[0]!).map((w) => (w as { wpath: string }).wpath)).toEqual(
              h.commands.filter((x) => x[0] === 'watch').map((x) => x[1]),
            );
          }
        }
      });

      it("queues the live-update client's OK reply as out-data", () => {
        const { stream } = load(name);
        const withOut = connections(stream).filter((c) => c.outData.length > 0);
        expect(withOut.length).toBe(1);
        const c = withOut[0]!;
        expect(c.connType).toBe(1);
        expect((c.connSpec as SocketSpec).socketFd).toBeGreaterThan(0);
        const out = Buffer.from(c.outData);
        expect(out.length).toBe(16 + 3);
        expect(out.readUInt32LE(0)).toBe(0); // XS_CONTROL, the live-update command
        expect(out.readUInt32LE(12)).toBe(3);
        expect(out.subarray(16).toString('latin1')).toBe('OK\0');
      });

      it('writes no transaction (the daemon drops open ones on live update)', () => {
        const { stream } = load(name);
        expect(of(stream, 'TRANSACTION_DATA')).toEqual([]);
        expect(of(stream, 'NODE_DATA').filter((n) => n.connId !== 0)).toEqual([]);
      });

      it('has the quotas and features set and read back', () => {
        const { txt, stream } = load(name);
        const gq = of(stream, 'GLOBAL_QUOTA_DATA');
        const dd = of(stream, 'DOMAIN_DATA');
        if (stream.header.version === 1) {
          // 4.17 knows neither record.
          expect(gq).toEqual([]);
          expect(dd).toEqual([]);
          return;
        }
        expect(gq.length).toBe(1);
        const defaults = new Map(gq[0]!.domQuotas.map((q) => [q.name, q.value]));
        // `getquota` with no argument lists the daemon's quota names, in its order.
        const listing = txt.populate.find((c) => c.args.length === 1 && c.args[0] === 'getquota');
        if (listing) {
          const names = /^'(.*)\\x00'$/.exec(listing.result)![1]!.split(' ');
          expect(gq[0]!.domQuotas.map((q) => q.name)).toEqual(names);
        }
        // One DOMAIN_DATA per domain with a ring.
        const rings = connections(stream).filter((c) => c.connType === 0).map((c) => (c.connSpec as RingSpec).domid);
        expect(dd.map((d) => d.domainId).sort((a, b) => a - b)).toEqual([...rings].sort((a, b) => a - b));
        const domain = (d: number) => dd.find((x) => x.domainId === d)!;
        const quotaOf = (d: number, q: string) => domain(d).quotas.find((x) => x.name === q)?.value;

        const set = txt.populate.filter((c) => c.result === 'OK');
        for (const c of set.filter((x) => x.args[0] === 'setquota')) {
          if (c.args.length === 3) expect(defaults.get(c.args[1]!), c.args.join(' ')).toBe(Number(c.args[2]));
          else expect(quotaOf(Number(c.args[1]), c.args[2]!), c.args.join(' ')).toBe(Number(c.args[3]));
        }
        const featureSet = new Map(set.filter((x) => x.args[0] === 'setfeature').map((c) => [Number(c.args[1]), Number(c.args[2])]));
        for (const d of dd) expect(d.features, `features of domain ${d.domainId}`).toBe(featureSet.get(d.domainId) ?? DEFAULT_FEATURES);

        // What the restored daemon reported must be what the stream carried.
        for (const c of afterRestore(txt)) {
          const v = numericReply(c.result);
          if (v === undefined) continue;
          if (c.args[0] === 'getquota' && c.args.length === 2) expect(defaults.get(c.args[1]!), c.args.join(' ')).toBe(v);
          if (c.args[0] === 'getquota' && c.args.length === 3) expect(quotaOf(Number(c.args[1]), c.args[2]!), c.args.join(' ')).toBe(v);
          if (c.args[0] === 'getfeature') expect(domain(Number(c.args[1])).features, c.args.join(' ')).toBe(v);
        }
      });
    });
  }

  // The numbers the issue names, so that a parser slip above cannot hide them.
  it('head-v2-quota: the named quotas, features and target', () => {
    const { stream } = load('head-v2-quota');
    const gq = of(stream, 'GLOBAL_QUOTA_DATA')[0]!;
    const dq = new Map(gq.domQuotas.map((q) => [q.name, q.value]));
    expect([dq.get('nodes'), dq.get('soft-memory'), dq.get('watches')]).toEqual([2000, 1500000, 256]);
    const dom = (d: number) => of(stream, 'DOMAIN_DATA').find((x) => x.domainId === d)!;
    const q = (d: number, n: string) => dom(d).quotas.find((x) => x.name === n)!.value;
    expect([q(1, 'nodes'), q(1, 'soft-memory'), q(2, 'transactions')]).toEqual([500, 1048576, 3]);
    expect([dom(5).features, dom(6).features, dom(0).features, dom(1).features, dom(2).features, dom(3).features]).toEqual([2, 0, 14, 14, 14, 14]);
    const ring3 = connections(stream).find((c) => c.connType === 0 && (c.connSpec as RingSpec).domid === 3)!;
    expect((ring3.connSpec as RingSpec).tdomid).toBe(1);
    // The half-sent request was found in the .txt (so the in-data test above did run).
    expect(load('head-v2-quota').txt.held.some((h) => h.commands.some((c) => c[0] === 'partial'))).toBe(true);
    expect(connections(stream).filter((c) => c.inData.length > 0).length).toBe(1);
  });

  it('head-v2-depth-a: the three depth watches are short-header records, the plain one is not', () => {
    const { stream } = load('head-v2-depth-a');
    const ext = of(stream, 'WATCH_DATA_EXTENDED');
    expect(ext.map((w) => [w.wpath, w.token, w.depth, w.producerDefect])).toEqual([
      ['/local/domain', 'd1', null, 'xen-4.22-short-header'],
      ['/vm', 'vmdeep', null, 'xen-4.22-short-header'],
      ['/a/b/c', 'zero', null, 'xen-4.22-short-header'],
    ]);
    expect(of(stream, 'WATCH_DATA').map((w) => [w.wpath, w.token])).toEqual([['/a', 'plain']]);
  });
});
