// The JSON contract (issue 17): every --json output of the CLI, and the decode form, validated
// against its schema in spec/schemas/ with a real validator (Ajv, draft 2020-12), on every
// bundled capture and on generated and hand-made streams; and the schemas shown to reject
// wrong documents, so that these tests can fail.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeStream } from '../src/model/encode.js';
import { streamFromJson } from '../src/model/json.js';
import { CAPTURES, ROOT, runCli } from './helpers/cli.js';

const SCHEMAS = join(ROOT, 'spec/schemas');
const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
const schemaFiles = readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json')).sort();
for (const f of schemaFiles) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, f), 'utf8')) as object);

function validator(name: string): ValidateFunction {
  const v = ajv.getSchema(`${name}.schema.json`);
  if (!v) throw new Error(`no schema ${name}`);
  return v;
}

const explain = (errors: ErrorObject[] | null | undefined): string =>
  (errors ?? []).slice(0, 8).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('\n');

/** Asserts that `doc` is valid against schema `name`; returns it. */
function valid<T = Record<string, unknown>>(name: string, doc: unknown, what: string): T {
  const v = validator(name);
  if (!v(doc)) throw new Error(`${what}: not valid against ${name}.schema.json:\n${explain(v.errors)}\n${JSON.stringify(doc).slice(0, 400)}`);
  return doc as T;
}

const rejects = (name: string, doc: unknown): boolean => !validator(name)(doc);

const captures = readdirSync(CAPTURES).filter((f) => f.endsWith('.bin')).sort().map((f) => join(CAPTURES, f));
let dir: string;
/** Streams beyond the captures: generated ones (random, non-canonical, realistic, big-endian v1) and hand-made ones. */
const extra: string[] = [];
let findings: string; // a stream check finds errors in
let cut: string; // cut short inside the node records (after part of the tree)
let cutEarly: string; // cut short in its second record
let garbage: string; // not a stream at all
let trailing: string; // bytes after END
let framing: string; // the quota capture with non-zero padding (a representation-only difference)

function cli(args: string[], expectStatus?: number | number[]): ReturnType<typeof runCli> {
  const r = runCli(args);
  if (expectStatus !== undefined) {
    const ok = Array.isArray(expectStatus) ? expectStatus : [expectStatus];
    if (!ok.includes(r.status)) throw new Error(`xsmig ${args.join(' ')}: exit ${r.status}, expected ${ok.join(' or ')}\n${r.stderr}`);
  }
  return r;
}

const json = (text: string, what: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what}: stdout is not one JSON document (${(e as Error).message}):\n${text.slice(0, 300)}`);
  }
};

/** Validates every NDJSON line of a dump; returns the lines parsed. */
function dumpLines(stdout: string, what: string): Record<string, unknown>[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  expect(lines.length, what).toBeGreaterThan(0);
  return lines.map((l, i) => valid('dump', json(l, `${what} line ${i}`), `${what} line ${i}`));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'xsmig-schemas-'));
  const gen = (name: string, args: string[]): string => {
    const out = join(dir, name);
    cli(['gen', ...args, '-o', out], 0);
    extra.push(out);
    return out;
  };
  for (const seed of [1, 2, 3, 4]) gen(`random-${seed}.bin`, ['--seed', String(seed)]);
  for (const seed of [5, 6, 7, 8, 9, 10]) gen(`odd-${seed}.bin`, ['--seed', String(seed), '--non-canonical']);
  gen('realistic.bin', ['--nodes', '300', '--seed', '1']);
  gen('v1-big.bin', ['--nodes', '100', '--seed', '2', '--version', '1', '--byte-order', 'big']);

  // A DOMAIN_DATA for a domain nothing else names (issue 17 defect 6): check errors.
  const form = json(cli(['decode', join(CAPTURES, 'head-v2-quota.bin')], 0).stdout, 'decode') as { records: Record<string, unknown>[] };
  const withDomain = structuredClone(form);
  withDomain.records.splice(withDomain.records.length - 1, 0, { type: 'DOMAIN_DATA', domainId: 77, features: 0, quotas: [] });
  writeFileSync(join(dir, 'findings.json'), JSON.stringify(withDomain));
  findings = join(dir, 'findings.bin');
  cli(['encode', join(dir, 'findings.json'), '-o', findings], 0);
  extra.push(findings);
  // Non-zero padding after the first record that has padding (found by trying each size).
  framing = join(dir, 'framing.bin');
  padding: for (let i = 0; i < form.records.length - 1; i++) {
    for (let k = 1; k < 8; k++) {
      const padded = structuredClone(form);
      padded.records[i]!.paddingHex = `${'00'.repeat(k - 1)}01`;
      try {
        writeFileSync(framing, encodeStream(streamFromJson(padded)));
        break padding;
      } catch {
        // (not the padding this record has)
      }
    }
  }
  extra.push(framing);

  const quota = readFileSync(join(CAPTURES, 'head-v2-quota.bin'));
  trailing = join(dir, 'trailing.bin');
  writeFileSync(trailing, Buffer.concat([quota, Buffer.from('tail!')]));
  extra.push(trailing);
  cut = join(dir, 'cut.bin');
  writeFileSync(cut, quota.subarray(0, 5000));
  cutEarly = join(dir, 'cut-early.bin');
  writeFileSync(cutEarly, quota.subarray(0, 100));
  garbage = join(dir, 'garbage.bin');
  writeFileSync(garbage, 'garbage!garbage!garbage!garbage!');
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const allStreams = (): string[] => [...captures, ...extra];

describe('the schemas themselves', () => {
  it('one per output, each compiling under Ajv strict mode (draft 2020-12), each output schema with its version const', () => {
    expect(schemaFiles).toEqual([
      'check.schema.json', 'common.schema.json', 'convert.schema.json', 'diff.schema.json', 'dump.schema.json', 'encode.schema.json',
      'error.schema.json', 'gen.schema.json', 'info.schema.json', 'rollback-plan.schema.json', 'stream.schema.json', 'tree.schema.json',
    ]);
    for (const f of schemaFiles) {
      const s = JSON.parse(readFileSync(join(SCHEMAS, f), 'utf8')) as Record<string, unknown>;
      expect(s.$schema, f).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(s.$id, f).toBe(f);
      expect(ajv.getSchema(f), f).toBeTypeOf('function');
    }
  });
});

describe('every --json output validates against its schema', () => {
  it('info --json, on every capture and stream; --salvage on a cut one', () => {
    for (const f of allStreams()) {
      const o = valid('info', json(cli(['info', '--json', f], 0).stdout, `info ${f}`), `info ${f}`);
      expect(o.schema).toBe('xsmig-info/1');
    }
    const s = valid<{ salvage: { ended: boolean } }>('info', json(cli(['info', '--json', '--salvage', cut], 2).stdout, 'info --salvage'), 'info --salvage');
    expect(s.salvage.ended).toBe(false);
  });

  it('check --json, plain, --strict, --target, --salvage; with findings', () => {
    let sawFindings = false;
    let sawLosses = false;
    for (const f of allStreams()) {
      for (const args of [[], ['--strict'], ['--target', 'xen-4.17'], ['--target', 'spec-v1']]) {
        const o = valid<{ findings: unknown[]; losses: unknown[] | null }>('check', json(cli(['check', '--json', ...args, f], [0, 1]).stdout, `check ${f}`), `check ${args.join(' ')} ${f}`);
        if (o.findings.length) sawFindings = true;
        if (o.losses?.length) sawLosses = true;
      }
    }
    const bad = valid<{ ok: boolean; counts: { error: number } }>('check', json(cli(['check', '--json', findings], 1).stdout, 'check findings'), 'check findings');
    expect(bad.ok).toBe(false);
    expect(bad.counts.error).toBeGreaterThan(0);
    expect(sawFindings && sawLosses).toBe(true);
    valid('check', json(cli(['check', '--json', '--salvage', cut], 2).stdout, 'check --salvage'), 'check --salvage');
  });

  it('dump --json: every NDJSON line, header line first; with filters, --record, --salvage, trailing bytes', () => {
    let pending = false;
    let unknown = false;
    for (const f of allStreams()) {
      const lines = dumpLines(cli(['dump', '--json', f], 0).stdout, `dump ${f}`);
      expect(lines[0]!.schema).toBe('xsmig-dump/1');
      expect(lines.filter((l) => 'type' in l).at(-1)!.type).toBe('END');
      if (lines.some((l) => 'inDataMessages' in l || 'outDataMessages' in l)) pending = true;
      if (lines.some((l) => l.type === 'UNKNOWN')) unknown = true;
    }
    expect(pending).toBe(true);
    expect(unknown).toBe(true);
    const q = join(CAPTURES, 'head-v2-quota.bin');
    dumpLines(cli(['dump', '--json', '--type', 'node', '--path', '/local/**', q], 0).stdout, 'dump filtered');
    dumpLines(cli(['dump', '--json', '--record', '3-5', q], 0).stdout, 'dump --record');
    const t = dumpLines(cli(['dump', '--json', trailing], 0).stdout, 'dump trailing');
    expect(t.at(-1)).toEqual({ trailingBytes: 5 });
    const s = dumpLines(cli(['dump', '--json', '--salvage', cut], 2).stdout, 'dump --salvage');
    expect(s.at(-1)!.salvage).toBeDefined();
  });

  it('diff --json: equal, semantic differences, representation-only differences', () => {
    const [a, b] = [join(CAPTURES, 'head-v2-quota.bin'), join(CAPTURES, 'head-v2-basic.bin')];
    const same = valid<{ equal: boolean }>('diff', json(cli(['diff', '--json', a, a], 0).stdout, 'diff a a'), 'diff a a');
    expect(same.equal).toBe(true);
    const d = valid<{ semantic: unknown[] }>('diff', json(cli(['diff', '--json', a, b], 1).stdout, 'diff a b'), 'diff a b');
    expect(d.semantic.length).toBeGreaterThan(0);
    const fr = valid<{ bytes: unknown[]; semantic: unknown[] }>('diff', json(cli(['diff', '--json', a, framing], 1).stdout, 'diff framing'), 'diff framing');
    expect(fr.bytes.length).toBeGreaterThan(0);
    expect(fr.semantic).toEqual([]);
    for (const f of extra) valid('diff', json(cli(['diff', '--json', a, f], [0, 1]).stdout, `diff ${f}`), `diff ${f}`);
  });

  it('convert --json: written, dry run, refused, failed, salvage', () => {
    const out = join(dir, 'converted.bin');
    for (const f of allStreams()) {
      const o = valid<{ result: string }>('convert', json(cli(['convert', '--json', f, '--byte-order', 'big', '--repair', '--force', '-o', out], [0, 1]).stdout, `convert ${f}`), `convert ${f}`);
      expect(['written', 'refused', 'failed']).toContain(o.result);
      valid('convert', json(cli(['convert', '--json', f, '--target', 'xen-4.17', '--dry-run'], [0, 1]).stdout, `convert --dry-run ${f}`), `convert --dry-run ${f}`);
    }
    const written = valid<{ result: string; outputCheck: unknown }>('convert', json(cli(['convert', '--json', captures[0]!, '--byte-order', 'big', '-o', out], 0).stdout, 'convert written'), 'convert written');
    expect(written.result).toBe('written');
    expect(written.outputCheck).toBeDefined();
    const refused = valid<{ result: string; plan: { refused: boolean } }>('convert', json(cli(['convert', '--json', join(CAPTURES, 'head-v2-quota.bin'), '--to-version', '1', '-o', join(dir, 'v1.bin')], 1).stdout, 'refused'), 'refused');
    expect(refused.result).toBe('refused');
    expect(refused.plan.refused).toBe(true);
    const failed = valid<{ result: string; failedStage: string }>('convert', json(cli(['convert', '--json', garbage, '-o', join(dir, 'x.bin')], 2).stdout, 'failed'), 'failed');
    expect(failed).toMatchObject({ result: 'failed', failedStage: 'read' });
    const sv = valid<{ result: string; salvage: unknown }>('convert', json(cli(['convert', '--json', '--salvage', cut, '-o', join(dir, 's.bin')], 1).stdout, 'salvage refused'), 'salvage refused');
    expect(sv).toMatchObject({ result: 'refused' });
    valid('convert', json(cli(['convert', '--json', '--salvage', '--force', cut, '-o', join(dir, 's.bin')], 2).stdout, 'salvage forced'), 'salvage forced');
    // With -o -, the report goes to stderr (stdout is the stream).
    const toStdout = cli(['convert', '--json', captures[0]!, '-o', '-'], 0);
    valid('convert', json(toStdout.stderr, 'convert -o -'), 'convert -o -');
  });

  it('tree --json: whole, subtree, --all, --salvage; a failure after part of the listing', () => {
    for (const f of allStreams()) {
      const t = valid<{ schema: string; nodes: unknown[] }>('tree', json(cli(['tree', '--json', f], 0).stdout, `tree ${f}`), `tree ${f}`);
      expect(t.schema).toBe('xsmig-tree/1');
      valid('tree', json(cli(['tree', '--json', '--all', f], 0).stdout, `tree --all ${f}`), `tree --all ${f}`);
    }
    const sub = valid<{ nodes: unknown[] }>('tree', json(cli(['tree', '--json', join(CAPTURES, 'head-v2-quota.bin'), '/local/domain/1'], 0).stdout, 'subtree'), 'subtree');
    expect(sub.nodes.length).toBeGreaterThan(0);
    valid('tree', json(cli(['tree', '--json', '--salvage', cut], 2).stdout, 'tree --salvage'), 'tree --salvage');
    // Cut after part of the listing: the object is closed, with the error in it (stdout stays one JSON document).
    const late = valid<{ ok: boolean; nodes: unknown[]; error: { kind: string } }>('tree', json(cli(['tree', '--json', cut], 2).stdout, 'tree cut'), 'tree cut');
    expect(late.ok).toBe(false);
    expect(late.nodes.length).toBeGreaterThan(0);
    expect(late.error.kind).toBe('not-decodable');
  });

  it('rollback plan --json, for each target', () => {
    for (const f of allStreams()) {
      for (const target of ['xen-4.17', 'xen-4.22', 'spec-v1']) {
        valid('rollback-plan', json(cli(['rollback', 'plan', '--json', '--target', target, f], [0, 1]).stdout, `rollback ${f}`), `rollback plan ${target} ${f}`);
      }
    }
  });

  it('decode: the JSON form of every stream validates against stream.schema.json', () => {
    let extras = false;
    for (const f of [...allStreams(), trailing]) {
      const form = valid<{ format: string; records: Record<string, unknown>[]; trailingHex?: string }>('stream', json(cli(['decode', f], 0).stdout, `decode ${f}`), `decode ${f}`);
      expect(form.format).toBe('xsmig-stream/1');
      if (form.records.some((r) => 'paddingHex' in r || 'unterminated' in r || 'len' in r)) extras = true;
    }
    expect(extras).toBe(true);
  });

  it('gen --json and encode --json: a summary of what was written', () => {
    const g = valid<{ files: { path: string; bytes: number }[] }>('gen', json(cli(['gen', '--json', '--seed', '3', '-o', join(dir, 'g.bin')], 0).stdout, 'gen'), 'gen');
    expect(g.files[0]!.bytes).toBe(readFileSync(join(dir, 'g.bin')).length);
    const many = valid<{ files: unknown[] }>('gen', json(cli(['gen', '--json', '--seed', '3', '--count', '3', '--out-dir', join(dir, 'corpus')], 0).stdout, 'gen --count'), 'gen --count');
    expect(many.files).toHaveLength(3);
    valid('gen', json(cli(['gen', '--json', '--nodes', '50', '--seed', '1', '-o', join(dir, 'r.bin')], 0).stdout, 'gen --nodes'), 'gen --nodes');
    valid('gen', json(cli(['gen', '--json', '--seed', '3', '-o', '-'], 0).stderr, 'gen -o -'), 'gen -o -');
    writeFileSync(join(dir, 'g.json'), cli(['decode', join(dir, 'g.bin')], 0).stdout);
    const e = valid<{ bytes: number }>('encode', json(cli(['encode', '--json', join(dir, 'g.json'), '-o', join(dir, 'g2.bin')], 0).stdout, 'encode'), 'encode');
    expect(e.bytes).toBe(readFileSync(join(dir, 'g2.bin')).length);
    expect(readFileSync(join(dir, 'g2.bin')).equals(readFileSync(join(dir, 'g.bin')))).toBe(true);
  });
});

describe('a failing --json command prints the error object on stdout', () => {
  const cases: [string, () => string[], number][] = [
    ['info, undecodable', () => ['info', '--json', garbage], 2],
    ['info, cut short', () => ['info', '--json', cutEarly], 2],
    ['check, undecodable', () => ['check', '--json', garbage], 2],
    ['check, no such file', () => ['check', '--json', join(dir, 'nope.bin')], 66],
    ['tree, undecodable', () => ['tree', '--json', garbage], 2],
    ['tree, cut before any node', () => ['tree', '--json', cutEarly], 2],
    ['tree, no such PATH', () => ['tree', '--json', captures[0]!, '/no/such/path'], 1],
    ['diff, undecodable', () => ['diff', '--json', garbage, captures[0]!], 2],
    ['rollback plan, undecodable', () => ['rollback', 'plan', '--json', '--target', 'xen-4.17', garbage], 2],
    ['convert, usage', () => ['convert', '--json', captures[0]!], 64],
    ['encode, not a JSON form', () => ['encode', '--json', garbage, '-o', join(dir, 'e.bin')], 2],
    ['gen, usage', () => ['gen', '--json', '--count', '0', '-o', join(dir, 'x.bin')], 64],
  ];
  for (const [what, args, status] of cases) {
    it(what, () => {
      const r = cli(args(), status);
      const o = valid<{ ok: boolean; error: { exitCode: number } }>('error', json(r.stdout, what), what);
      expect(o.ok).toBe(false);
      expect(o.error.exitCode).toBe(status);
      expect(r.stderr).toMatch(/^xsmig: /);
    });
  }
  it('dump: the NDJSON ends with the error object on one line', () => {
    const lines = dumpLines(cli(['dump', '--json', cut], 2).stdout, 'dump cut');
    expect(lines[0]!.schema).toBe('xsmig-dump/1');
    valid('error', lines.at(-1), 'dump cut: last line');
    const g = dumpLines(cli(['dump', '--json', garbage], 2).stdout, 'dump garbage');
    expect(g).toHaveLength(1);
    valid('error', g[0], 'dump garbage');
    valid('error', json(cli(['dump', '--json', '--conn', 'abc', captures[0]!], 64).stdout, 'dump usage'), 'dump usage');
  });
});

describe('the schemas reject wrong documents', () => {
  const q = join(CAPTURES, 'head-v2-quota.bin');
  it('check: a wrong severity, a missing field, an unknown key, a wrong version', () => {
    const good = json(cli(['check', '--json', findings], 1).stdout, 'check') as { findings: Record<string, unknown>[] } & Record<string, unknown>;
    expect(rejects('check', good)).toBe(false);
    expect(rejects('check', { ...good, findings: [{ ...good.findings[0]!, severity: 'fatal' }] })).toBe(true);
    const { counts: _c, ...noCounts } = good;
    expect(rejects('check', noCounts)).toBe(true);
    expect(rejects('check', { ...good, extra: 1 })).toBe(true);
    expect(rejects('check', { ...good, schema: 'xsmig-check/2' })).toBe(true);
    expect(rejects('check', { ...good, target: null, ready: true })).toBe(true);
    expect(rejects('check', { ...good, records: '61' })).toBe(true);
  });
  it('dump: a record line of an unknown type, with a key of another type, without its offset; a header line without schema', () => {
    const lines = cli(['dump', '--json', q], 0).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const node = lines.find((l) => l.type === 'NODE_DATA')!;
    expect(rejects('dump', node)).toBe(false);
    expect(rejects('dump', { ...node, type: 'NODE' })).toBe(true);
    expect(rejects('dump', { ...node, token: 't' })).toBe(true);
    const { offset: _o, ...noOffset } = node;
    expect(rejects('dump', noOffset)).toBe(true);
    const { value: _v, ...noValue } = node;
    expect(rejects('dump', noValue)).toBe(true);
    expect(rejects('dump', { ...node, valueHex: 'zz' })).toBe(true);
    expect(rejects('dump', { header: lines[0]!.header })).toBe(true);
    expect(rejects('dump', { ...lines[0]!, header: { version: 2, byteOrder: 'middle', reservedFlags: 0 } })).toBe(true);
  });
  it('the decode form: no END, two ENDs, another format, a uniqueId as a number', () => {
    const form = json(cli(['decode', q], 0).stdout, 'decode') as { records: Record<string, unknown>[] } & Record<string, unknown>;
    expect(rejects('stream', form)).toBe(false);
    expect(rejects('stream', { ...form, records: form.records.slice(0, -1) })).toBe(true);
    expect(rejects('stream', { ...form, records: [...form.records, { type: 'END' }] })).toBe(true);
    expect(rejects('stream', { ...form, format: 'xsmig-stream/2' })).toBe(true);
    const conn = form.records.findIndex((r) => r.type === 'CONNECTION_DATA');
    const records = form.records.map((r, i) => (i === conn ? { ...r, uniqueId: 72623859790381056 } : r));
    expect(rejects('stream', { ...form, records })).toBe(true);
  });
  it('the error object, diff, convert, info, tree, rollback plan, gen, encode', () => {
    expect(rejects('error', { schema: 'xsmig-error/1', ok: false, error: { kind: 'not-decodable', exitCode: 2, message: 'x' } })).toBe(true); // (no offset)
    expect(rejects('error', { schema: 'xsmig-error/1', ok: false, error: { kind: 'oops', exitCode: 2, message: 'x' } })).toBe(true);
    expect(rejects('error', { schema: 'xsmig-error/1', ok: true, error: { kind: 'usage', exitCode: 64, message: 'x' } })).toBe(true);
    expect(rejects('error', { schema: 'xsmig-error/1', ok: false, error: { kind: 'usage', exitCode: 64, message: 'x' } })).toBe(false);
    const d = json(cli(['diff', '--json', q, join(CAPTURES, 'head-v2-basic.bin')], 1).stdout, 'diff') as Record<string, unknown>;
    expect(rejects('diff', { ...d, equal: true })).toBe(true);
    expect(rejects('diff', { ...d, bytes: d.semantic })).toBe(true);
    const c = json(cli(['convert', '--json', q, '--to-version', '1', '--dry-run'], 1).stdout, 'convert') as Record<string, unknown>;
    expect(rejects('convert', c)).toBe(false);
    expect(rejects('convert', { ...c, result: 'failed' })).toBe(true);
    expect(rejects('convert', { ...c, result: 'ok' })).toBe(true);
    const i = json(cli(['info', '--json', q], 0).stdout, 'info') as Record<string, unknown>;
    expect(rejects('info', { ...i, byType: { NODE: 3 } })).toBe(true);
    expect(rejects('info', { ...i, anomalies: [{ kind: 'weird', message: 'x' }] })).toBe(true);
    const t = json(cli(['tree', '--json', q], 0).stdout, 'tree') as Record<string, unknown>;
    expect(rejects('tree', { ...t, ok: false })).toBe(true); // (ok without error)
    expect(rejects('tree', { ...t, nodes: [{ path: '/a', value: 'x', valueHex: '00', perms: [] }] })).toBe(true);
    const r = json(cli(['rollback', 'plan', '--json', '--target', 'xen-4.17', q], [0, 1]).stdout, 'rollback') as Record<string, unknown>;
    expect(rejects('rollback-plan', { ...r, target: 'xen-5' })).toBe(true);
    expect(rejects('gen', { schema: 'xsmig-gen/1', seed: 1, kind: 'random', files: [] })).toBe(true);
    expect(rejects('encode', { schema: 'xsmig-encode/1', input: 'a', output: 'b', bytes: 100, version: 2, byteOrder: 'little' })).toBe(true);
  });
});
