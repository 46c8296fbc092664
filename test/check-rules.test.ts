// One hand-assembled fixture per check rule, each triggering exactly that rule; the registry,
// the fixtures and spec/check-rules.md must name the same rules.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkStream, RULE_LIST } from '../src/check/index.js';
import { decodeStreamDetailed } from '../src/model/decode.js';
import type { Stream } from '../src/model/types.js';
import {
  ascii, connection, cstr, domain, end, globalData, globalQuota, header, node, record, ring, socket, stream,
  transaction, u16, u32, watch, watchExt, watchExtXen422, zeros, type Bytes,
} from './helpers/assemble.js';

const H1 = header(1);
const H2 = header(2);
const ROOT = node('/');
/** A wire message header: type, req-id, tx-id, len (u32 each, record byte order). */
const wireMsg = (type: number, payload: Bytes, declaredLen = payload.length): Bytes => [...u32(type), ...u32(0), ...u32(0), ...u32(declaredLen), ...payload];

interface Fixture {
  rule: string;
  /** Hand-assembled bytes, decoded and checked with their locations. */
  bytes?: () => Uint8Array;
  /** A model built in the test (for what the decoder cannot produce). */
  model?: () => Stream;
}

const decodeOnly = (b: Uint8Array): Stream => decodeStreamDetailed(b).stream;

const FIXTURES: Fixture[] = [
  { rule: 'header.version-unknown', bytes: () => stream(header(3), ROOT, end()) },
  { rule: 'header.reserved-flags', bytes: () => stream(header(2, 0x2), ROOT, end()) },
  // Root node body: 16 fixed + 4 perm + 2 path = 22 bytes; len declared as 22, not 24.
  { rule: 'framing.len-not-padded', bytes: () => stream(H2, node('/', { len: 22 }), end()) },
  // len 32 for a 22-byte body: 10 zero bytes after it.
  { rule: 'framing.len-excess', bytes: () => stream(H2, node('/', { len: 32, tail: zeros(10) }), end()) },
  { rule: 'framing.padding-not-zero', bytes: () => stream(H2, node('/', { tail: [0xaa, 0x00] }), end()) },
  // socket conn-spec: socket-fd 5, pad 0xdeadbeef.
  { rule: 'framing.reserved-not-zero', bytes: () => stream(H2, socket(1, 5, { pad: 0xdeadbeef }), ROOT, end()) },
  {
    rule: 'framing.end-missing',
    model: () => {
      const s = decodeOnly(stream(H2, ROOT, end()));
      s.records.pop();
      return s;
    },
  },
  {
    rule: 'framing.end-not-last',
    model: () => {
      const s = decodeOnly(stream(H2, ROOT, end()));
      s.records.push({ type: 'END' });
      return s;
    },
  },
  { rule: 'framing.trailing-bytes', bytes: () => stream(H2, ROOT, end(), ascii('garbage!')) },
  { rule: 'framing.type-unknown', bytes: () => stream(H2, ROOT, record(9, [1, 2, 3, 4, 5, 6, 7, 8]), end()) },

  { rule: 'refs.conn-id-zero', bytes: () => stream(H2, ring(0, 1), ROOT, end()) },
  { rule: 'refs.conn-id-duplicate', bytes: () => stream(H2, ring(1, 1), socket(1, 5), ROOT, end()) },
  { rule: 'refs.watch-conn-unknown', bytes: () => stream(H2, watch(5, '/vm', 't'), ROOT, end()) },
  { rule: 'refs.watch-duplicate', bytes: () => stream(H2, socket(1, 5), watch(1, '/vm', 't'), watch(1, '/vm', 't'), ROOT, end()) },
  { rule: 'refs.transaction-conn-unknown', bytes: () => stream(H2, transaction(7, 1), ROOT, end()) },
  { rule: 'refs.transaction-duplicate', bytes: () => stream(H2, socket(1, 5), transaction(1, 1), transaction(1, 1), ROOT, end()) },
  {
    rule: 'refs.node-transaction-unknown',
    bytes: () => stream(H2, socket(1, 5), ROOT, node('/x', { connId: 1, txId: 5, access: 2 }), end()),
  },
  { rule: 'refs.domain-duplicate', bytes: () => stream(H2, ring(1, 1), ROOT, domain(1), domain(1), end()) },
  { rule: 'refs.domain-not-found', bytes: () => stream(H2, ROOT, domain(7), end()) },
  { rule: 'refs.domain-without-connection', bytes: () => stream(H2, ROOT, node('/d', { perms: [['n', 0, 5]] }), domain(5), end()) },
  { rule: 'refs.global-duplicate', bytes: () => stream(H2, globalData(), globalData(), ROOT, end()) },

  // token-len 3 counts "tok" without its NUL.
  { rule: 'strings.unterminated', bytes: () => stream(H2, socket(1, 5), watch(1, '/a', ascii('tok')), ROOT, end()) },
  // token-len 4: "a", NUL, "b", NUL.
  { rule: 'strings.embedded-nul', bytes: () => stream(H2, socket(1, 5), watch(1, '/a', [...ascii('a'), 0, ...cstr('b')]), ROOT, end()) },
  { rule: 'strings.path-not-absolute', bytes: () => stream(H2, ROOT, node('local'), end()) },
  { rule: 'strings.path-syntax', bytes: () => stream(H2, ROOT, node('/a b'), end()) },

  { rule: 'nodes.parent-missing', bytes: () => stream(H2, ROOT, node('/a/b'), end()) },
  { rule: 'nodes.duplicate-path', bytes: () => stream(H2, ROOT, node('/a'), node('/a'), end()) },
  { rule: 'nodes.perm-letter', bytes: () => stream(H2, ROOT, node('/a', { perms: [['x', 0, 0]] }), end()) },
  { rule: 'nodes.no-permissions', bytes: () => stream(H2, ROOT, node('/a', { perms: [] }), end()) },
  { rule: 'nodes.owner-invalid', bytes: () => stream(H2, ROOT, node('/a', { perms: [['n', 1, 0]] }), end()) },
  { rule: 'nodes.perm-flags-unknown', bytes: () => stream(H2, ROOT, node('/a', { perms: [['n', 0, 0], ['r', 0x02, 1]] }), end()) },
  { rule: 'nodes.access-on-committed', bytes: () => stream(H2, ROOT, node('/a', { access: 1 }), end()) },
  {
    rule: 'nodes.access-unknown',
    bytes: () => stream(H2, socket(1, 5), transaction(1, 1), ROOT, node('/a', { connId: 1, txId: 1, access: 4 }), end()),
  },
  { rule: 'nodes.txid-on-committed', bytes: () => stream(H2, ROOT, node('/a', { txId: 3 }), end()) },

  { rule: 'connections.conn-type-unknown', bytes: () => stream(H2, connection(1, 2, zeros(8)), ROOT, end()) },
  // out-resp-len 5, but only 3 bytes of out-data.
  { rule: 'connections.out-resp-len', bytes: () => stream(H2, socket(1, 5, { outRespLen: 5, outData: cstr('OK') }), ROOT, end()) },
  // One queued message whose header says 10 payload bytes; 3 follow.
  { rule: 'connections.out-data-framing', bytes: () => stream(H2, socket(1, 5, { outData: wireMsg(0, cstr('OK'), 10) }), ROOT, end()) },
  { rule: 'connections.fields-unknown', bytes: () => stream(H2, socket(1, 5, { fields: 0x2 }), ROOT, end()) },
  { rule: 'connections.unique-id-not-ring', bytes: () => stream(H2, socket(1, 5, { fields: 1, uniqueId: 0x0102030405060708n }), ROOT, end()) },
  { rule: 'connections.domid-invalid', bytes: () => stream(H2, ring(1, 0x7ff0), ROOT, end()) },
  { rule: 'connections.ring-domid-duplicate', bytes: () => stream(H2, ring(1, 1), ring(2, 1), ROOT, end()) },

  // n-dom-quota 1 (nodes=100) but two names: "watches" left after the body.
  { rule: 'quotas.names-exceed-values', bytes: () => stream(H2, globalQuota([['nodes', 100]], [], ['watches']), ROOT, end()) },
  { rule: 'quotas.name-duplicate', bytes: () => stream(H2, globalQuota([['nodes', 1], ['nodes', 2]]), ROOT, end()) },
  { rule: 'quotas.name-unknown', bytes: () => stream(H2, globalQuota([['bogus', 1]]), ROOT, end()) },

  { rule: 'v2.features-in-v1', bytes: () => stream(H1, ring(1, 1), ROOT, domain(1, 2), end()) },
  { rule: 'v2.features-unknown', bytes: () => stream(H2, ring(1, 1), ROOT, domain(1, 0x10), end()) },
  { rule: 'v2.watch-depth-unlimited', bytes: () => stream(H2, socket(1, 5), watchExt(1, '/a', 't', 0xffff), ROOT, end()) },
  { rule: 'v2.watch-depth-excessive', bytes: () => stream(H2, socket(1, 5), watchExt(1, '/a', 't', 2000), ROOT, end()) },

  // wpath-len 6 + token-len 3 = 9: roundup(12+9) = roundup(8+9) = 24, len fits.
  { rule: 'defect.xen-4.22-short-header', bytes: () => stream(H2, socket(1, 5), watchExtXen422(1, '/abcd', 'tk'), ROOT, end()) },
  // wpath-len 5 + token-len 3 = 8: len roundup(20) = 24 but the record ends at 16.
  { rule: 'defect.xen-4.22-short-header-overrun', bytes: () => stream(H2, socket(1, 5), watchExtXen422(1, '/abc', 'tk'), ROOT, end()) },
  { rule: 'defect.xen-4.22-v1-extended-watch', bytes: () => stream(H1, socket(1, 5), watchExt(1, '/a', 't', 2), ROOT, end()) },
];

function run(f: Fixture) {
  if (f.bytes) {
    const { stream: s, locations } = decodeStreamDetailed(f.bytes());
    return checkStream(s, { locations });
  }
  return checkStream(f.model!());
}

describe('check rules: one fixture each', () => {
  it('the base streams are clean', () => {
    for (const h of [H1, H2]) {
      const r = run({ rule: '', bytes: () => stream(h, globalData(), ring(1, 1), socket(2, 5), watch(2, '/vm', 't'), ROOT, node('/vm'), domain(1), end()) });
      expect(r.findings).toEqual([]);
      expect(r.ok).toBe(true);
    }
  });

  for (const f of FIXTURES) {
    it(`${f.rule} fires, and only it`, () => {
      const report = run(f);
      expect([...new Set(report.findings.map((x) => x.rule))]).toEqual([f.rule]);
      const def = RULE_LIST.find((d) => d.id === f.rule)!;
      for (const x of report.findings) {
        expect(x.severity).toBe(def.severity);
        expect(x.message).not.toMatch(/\n/);
        if (x.recordIndex !== undefined) expect(x.message).toContain(`record #${x.recordIndex} (${x.recordType})`);
        if (f.bytes && x.recordIndex !== undefined) {
          expect(x.offset).toBeTypeOf('number');
          expect(x.message).toContain(`at byte ${x.offset} (0x${x.offset!.toString(16)})`);
        }
      }
      expect(report.ok).toBe(def.severity !== 'error');
    });
  }
});

describe('rule registry', () => {
  const ids = RULE_LIST.map((d) => d.id);
  const doc = readFileSync(new URL('../spec/check-rules.md', import.meta.url), 'utf8');

  it('ids are unique and well formed', () => {
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^(header|framing|refs|strings|nodes|connections|quotas|v2|defect)\.[a-z0-9.-]+$/);
  });

  it('every rule has exactly one fixture, and every fixture a rule', () => {
    const fixtureRules = FIXTURES.map((f) => f.rule);
    expect(ids.filter((id) => !fixtureRules.includes(id)), 'rules without a fixture').toEqual([]);
    expect(fixtureRules.filter((id) => !ids.includes(id)), 'fixtures for unknown rules').toEqual([]);
    expect(new Set(fixtureRules).size).toBe(fixtureRules.length);
  });

  it('spec/check-rules.md has a section and a table row per rule, with its severity', () => {
    const sections = [...doc.matchAll(/^### `([^`]+)`\n\n- Severity: (\w+)/gm)].map((m) => [m[1], m[2]]);
    expect(sections.map(([id]) => id).sort()).toEqual([...ids].sort());
    for (const [id, sev] of sections) expect(sev, id).toBe(RULE_LIST.find((d) => d.id === id)!.severity);
    for (const d of RULE_LIST) expect(doc).toContain(`| \`${d.id}\` | ${d.severity} |`);
  });
});
