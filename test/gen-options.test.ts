// `xsmig gen`'s options that shape random streams (--domids, --transactions, --unique-ids,
// --host-ids, --no-sockets, --no-pending, --no-set-target, --no-extended-watches, --restorable)
// and the streamArbitrary options behind them. Each option is checked over 50 seeds by
// decoding the output, and each check is also run on the streams of the same seeds without the
// option, where it must fail at least once: a check that passes on the old streams too proves
// nothing. CLI tests spawn the built CLI (npm run build first).

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fc, streamArbitrary } from '../src/model/arbitraries.js';
import { decodeStream } from '../src/model/decode.js';
import { formatHostIds } from '../src/model/host-ids.js';
import type { ConnectionData, RingSpec, Stream } from '../src/model/types.js';
import { DOMID } from '../src/wire/constants.js';
import { runCli } from './helpers/cli.js';
import { firstBrokenRule } from './helpers/stream-rules.js';

const tmp = mkdtempSync(join(tmpdir(), 'xsmig-gen-options-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SEEDS = 50;
let dirs = 0;

/** The 50 streams of `gen --seed 5 --count 50 ARGS`, decoded, each checked against the rules. */
function corpus(...args: string[]): Stream[] {
  const dir = join(tmp, `c${dirs++}`);
  const r = runCli(['gen', '--seed', '5', '--count', String(SEEDS), '--out-dir', dir, ...args], { cwd: tmp });
  expect(r.stderr, args.join(' ')).toBe('');
  expect(r.status, args.join(' ')).toBe(0);
  return readdirSync(dir).sort().map((f) => {
    const bytes = readFileSync(join(dir, f));
    const s = decodeStream(bytes);
    expect(firstBrokenRule(s, bytes), `${args.join(' ')}: ${f}`).toBeUndefined();
    return s;
  });
}

const conns = (s: Stream) => s.records.filter((r): r is ConnectionData => r.type === 'CONNECTION_DATA');
const rings = (s: Stream) => conns(s).filter((c) => c.connType === 0).map((c) => ({ c, spec: c.connSpec as RingSpec }));

/** Every domain id a stream names, with where: ring domids and tdomids, owners, permissions. */
function domids(s: Stream): { where: string; domid: number }[] {
  const out: { where: string; domid: number }[] = [];
  for (const { spec } of rings(s)) {
    out.push({ where: 'ring domid', domid: spec.domid });
    if (spec.tdomid !== DOMID.INVALID) out.push({ where: 'tdomid', domid: spec.tdomid });
  }
  for (const r of s.records) {
    if (r.type === 'NODE_DATA') r.perms.forEach((p, i) => out.push({ where: `${i ? 'perm' : 'owner'} of ${r.path}`, domid: p.domid }));
    if (r.type === 'DOMAIN_DATA') out.push({ where: 'DOMAIN_DATA', domid: r.domainId });
  }
  return out;
}

/** A property of a stream: the first thing that breaks it, or undefined. */
type Check = (s: Stream) => string | undefined;

const noUniqueIds: Check = (s) => {
  const c = conns(s).find((c) => c.fields & 1 || c.uniqueId !== undefined);
  return c && `conn ${c.connId} has a unique-id`;
};
const noSockets: Check = (s) => {
  const c = conns(s).find((c) => c.connType !== 0);
  return c && `conn ${c.connId} is of type ${c.connType}`;
};
const noPending: Check = (s) => {
  const c = conns(s).find((c) => c.inData.length || c.outData.length || c.outRespLen);
  return c && `conn ${c.connId} has pending data`;
};
const noTarget: Check = (s) => {
  const r = rings(s).find(({ spec }) => spec.tdomid !== DOMID.INVALID);
  return r && `conn ${r.c.connId} has tdomid ${r.spec.tdomid}`;
};
const noTransactions: Check = (s) => {
  const r = s.records.find((r) => r.type === 'TRANSACTION_DATA' || (r.type === 'NODE_DATA' && r.connId !== 0));
  return r && `a ${r.type} of a transaction`;
};
const noExtendedWatches: Check = (s) => (s.records.some((r) => r.type === 'WATCH_DATA_EXTENDED') ? 'a WATCH_DATA_EXTENDED' : undefined);
const littleEndian: Check = (s) => (s.header.byteOrder === 'little' ? undefined : 'big-endian');
const domidsWithin = (max: number): Check => (s) => {
  const d = domids(s).find((d) => d.domid > max && d.domid !== DOMID.ANY);
  return d && `${d.where}: domain ${d.domid}`;
};
/** Every ring connection carries exactly the host's id for its domain; every domain named is the host's. */
const hostIds = (ids: Map<number, bigint>): Check => (s) => {
  for (const { c, spec } of rings(s)) {
    if (!(c.fields & 1) || c.uniqueId !== ids.get(spec.domid)) return `conn ${c.connId} (domain ${spec.domid}): unique-id ${c.uniqueId}, host ${ids.get(spec.domid)}`;
  }
  const d = domids(s).find((d) => !ids.has(d.domid) && d.domid !== DOMID.ANY);
  return d && `${d.where}: domain ${d.domid} not on the host`;
};
/** Most transactions any one connection has open. */
const maxTx = (ss: Stream[]) => Math.max(...ss.map((s) => Math.max(0, ...conns(s).map((c) => s.records.filter((r) => r.type === 'TRANSACTION_DATA' && r.connId === c.connId).length))));

function holdsOnAll(ss: Stream[], check: Check, what: string) {
  ss.forEach((s, i) => expect(check(s), `${what}: stream ${i}`).toBeUndefined());
}
function failsOnSome(ss: Stream[], check: Check, what: string) {
  expect(ss.some((s) => check(s) !== undefined), `${what}: the check cannot fail on the default streams`).toBe(true);
}

/** Guest ring connections over all streams: the options must not get rid of them. */
const guestRings = (ss: Stream[]) => ss.reduce((n, s) => n + rings(s).filter(({ spec }) => spec.domid !== 0).length, 0);

// A sparse host: dom0 and six guests, each with the rig's id 0x0102030405060000|D but 40, which
// has an id of its own (so that an id derived from the domid alone would fail).
const HOST = new Map<number, bigint>([0, 2, 3, 7, 12, 40, 63].map((d) => [d, d === 40 ? 0xfeedfacecafebeefn : 0x0102030405060000n | BigInt(d)]));
const hostFile = join(tmp, 'host-ids.txt');
writeFileSync(hostFile, formatHostIds(HOST));

describe('xsmig gen: options for random streams', () => {
  const base = corpus();
  const base2 = corpus('--version', '2');

  it('--unique-ids none: no connection carries a unique-id', () => {
    const ss = corpus('--unique-ids', 'none');
    holdsOnAll(ss, noUniqueIds, 'none');
    failsOnSome(base, noUniqueIds, 'none');
    expect(guestRings(ss)).toBeGreaterThan(SEEDS);
  });

  it('--host-ids FILE: each ring connection has the host id of its domain, and only host domains appear', () => {
    const check = hostIds(HOST);
    const ss = corpus('--host-ids', hostFile);
    holdsOnAll(ss, check, 'host-ids');
    failsOnSome(base, check, 'host-ids');
    expect(guestRings(ss)).toBeGreaterThan(SEEDS);
    // Every guest of the host shows up somewhere as a ring domain.
    const seen = new Set(ss.flatMap((s) => rings(s).map(({ spec }) => spec.domid)));
    expect([...seen].sort((a, b) => a - b)).toEqual([...HOST.keys()]);
    // --unique-ids host --host-ids FILE is the same thing.
    const same = corpus('--unique-ids', 'host', '--host-ids', hostFile);
    expect(same.map((s) => JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? String(v) : v)))).toEqual(ss.map((s) => JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? String(v) : v))));
  });

  it('--no-sockets: ring connections only, as many as before', () => {
    const ss = corpus('--no-sockets');
    holdsOnAll(ss, noSockets, 'no-sockets');
    failsOnSome(base, noSockets, 'no-sockets');
    // (the connections that were sockets became rings: more guests, not fewer connections)
    expect(ss.reduce((n, s) => n + conns(s).length, 0)).toBe(base.reduce((n, s) => n + conns(s).length, 0));
  });

  it('--no-pending: no in-data, out-data or out-resp-len anywhere', () => {
    const ss = corpus('--no-pending');
    holdsOnAll(ss, noPending, 'no-pending');
    failsOnSome(base, noPending, 'no-pending');
  });

  it('--no-set-target: every ring tdomid is DOMID_INVALID', () => {
    holdsOnAll(corpus('--no-set-target'), noTarget, 'no-set-target');
    failsOnSome(base, noTarget, 'no-set-target');
  });

  it('--transactions 0: no TRANSACTION_DATA and no transaction node; --transactions 5: more than the default 2', () => {
    holdsOnAll(corpus('--transactions', '0'), noTransactions, 'transactions 0');
    failsOnSome(base, noTransactions, 'transactions 0');
    expect(maxTx(base)).toBeLessThanOrEqual(2);
    const five = maxTx(corpus('--transactions', '5'));
    expect(five).toBeGreaterThan(2);
    expect(five).toBeLessThanOrEqual(5);
  });

  it('--domids 1-63: every domain id named is within 0..63 or DOMID_ANY', () => {
    const ss = corpus('--domids', '1-63');
    holdsOnAll(ss, domidsWithin(63), 'domids');
    failsOnSome(base, domidsWithin(63), 'domids');
    expect(guestRings(ss)).toBeGreaterThan(SEEDS);
    // a single id is a range too
    holdsOnAll(corpus('--domids', '9'), (s) => domids(s).find((d) => d.domid !== 0 && d.domid !== 9 && d.domid !== DOMID.ANY)?.where, 'domids 9');
  });

  it('--no-extended-watches: version 2 streams with plain WATCH_DATA only', () => {
    holdsOnAll(corpus('--version', '2', '--no-extended-watches'), noExtendedWatches, 'no-extended-watches');
    failsOnSome(base2, noExtendedWatches, 'no-extended-watches');
  });

  const RESTORABLE: [string, Check][] = [
    ['no unique-ids', noUniqueIds], ['no sockets', noSockets], ['no pending data', noPending], ['no set-target', noTarget],
    ['no transactions', noTransactions], ['no extended watches', noExtendedWatches], ['domids 0-63', domidsWithin(63)], ['little-endian', littleEndian],
  ];

  it('--restorable: all of that (unique-ids none, domids 1-63, little-endian)', () => {
    const ss = corpus('--restorable');
    for (const [what, check] of RESTORABLE) {
      holdsOnAll(ss, check, what);
      failsOnSome(what === 'no extended watches' ? base2 : base, check, what);
    }
    expect(guestRings(ss)).toBeGreaterThan(SEEDS);
    expect(new Set(ss.map((s) => s.header.version))).toEqual(new Set([1, 2]));
  });

  it('--restorable --host-ids FILE: the same, with the host ids; explicit --domids and --byte-order still count', () => {
    const ss = corpus('--restorable', '--host-ids', hostFile, '--version', '2');
    for (const [what, check] of RESTORABLE.filter(([w]) => w !== 'no unique-ids')) holdsOnAll(ss, check, what);
    holdsOnAll(ss, hostIds(HOST), 'host-ids');
    const wide = corpus('--restorable', '--domids', '100-200', '--byte-order', 'big');
    holdsOnAll(wide, (s) => domids(s).find((d) => d.domid !== 0 && d.domid !== DOMID.ANY && (d.domid < 100 || d.domid > 200))?.where, 'domids 100-200');
    expect(wide.every((s) => s.header.byteOrder === 'big')).toBe(true);
  });

  it('without these options the bytes stay what they were for a seed', () => {
    // Recorded before the options existed (other tests rely on seeds).
    const sha = (...args: string[]) => {
      const r = runCli(['gen', ...args, '-o', '-']);
      expect(r.status).toBe(0);
      return createHash('sha256').update(r.stdoutBytes).digest('hex').slice(0, 16);
    };
    expect([sha('--seed', '42'), sha('--seed', '7', '--version', '1'), sha('--seed', '3', '--non-canonical')]).toEqual(GOLDEN);
  });

  it('answers bad values with exit 64 and one line', () => {
    writeFileSync(join(tmp, 'no-dom0.txt'), '1 0x0102030405060001\n');
    writeFileSync(join(tmp, 'bad.txt'), '1 two\n');
    for (const args of [
      ['--domids', '0-63'], ['--domids', '64-63'], ['--domids', '1-40000'], ['--domids', 'few'],
      ['--transactions', '-1'], ['--transactions', '1.5'], ['--transactions', 'many'],
      ['--unique-ids', 'host'], ['--unique-ids', 'none', '--host-ids', hostFile],
      ['--host-ids', join(tmp, 'no-dom0.txt')], ['--host-ids', join(tmp, 'bad.txt')], ['--host-ids', hostFile, '--domids', '41-62'],
      ['--restorable', '--sockets'], ['--restorable', '--pending'], ['--restorable', '--transactions', '1'], ['--restorable', '--unique-ids', 'random'],
      ['--nodes', '100', '--restorable'], ['--size', '1M', '--host-ids', hostFile], ['--nodes', '100', '--no-sockets'], ['--nodes', '100', '--transactions', '0'],
    ]) {
      const r = runCli(['gen', '--seed', '1', ...args, '-o', join(tmp, 'x.bin')]);
      expect(r.status, args.join(' ')).toBe(64);
      expect(r.stderr, args.join(' ')).toMatch(/^xsmig: [^\n]+\n$/);
    }
    expect(runCli(['gen', '--host-ids', join(tmp, 'absent.txt'), '-o', join(tmp, 'x.bin')]).status).toBe(66);
  });
});

describe('streamArbitrary: uniqueIds, sockets, pendingData, setTarget, extendedWatches', () => {
  const sample = (o: Parameters<typeof streamArbitrary>[0]) => fc.sample(streamArbitrary(o), { seed: 11, numRuns: 50 });

  it('all off, with the host ids: every check holds', () => {
    const ss = sample({ uniqueIds: HOST, sockets: false, pendingData: false, setTarget: false, extendedWatches: false, counts: { transactions: 0 } });
    for (const check of [hostIds(HOST), noSockets, noPending, noTarget, noTransactions, noExtendedWatches]) holdsOnAll(ss, check, 'all off');
    expect(guestRings(ss)).toBeGreaterThan(50);
  });

  it('the host ids narrowed by domids; a host that cannot serve is a RangeError', () => {
    holdsOnAll(sample({ uniqueIds: HOST, domids: { min: 3, max: 12 } }), (s) => domids(s).find((d) => ![0, 3, 7, 12, DOMID.ANY].includes(d.domid))?.where, 'domids 3-12');
    expect(() => streamArbitrary({ uniqueIds: new Map([[1, 1n]]) })).toThrow(RangeError);
    expect(() => streamArbitrary({ uniqueIds: new Map([[0, 1n]]) })).toThrow(/no guest domain/);
    expect(() => streamArbitrary({ uniqueIds: HOST, domids: { min: 41, max: 62 } })).toThrow(/within 41-62/);
  });
});

const GOLDEN = ['8492ba2aa608b18a', '61ed5e519cc95425', 'b9df5ff567162933'];
