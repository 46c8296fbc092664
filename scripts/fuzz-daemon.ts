// Daemon round-trip fuzzer, for people who develop a xenstored:
//
//   npm run fuzz:daemon -- --xenstored PATH|4.17|4.21|4.22 [--version 1|2] [--runs N] [--seed S]
//                          [--target T] [--jobs J] [--shrink-seconds S] [--out DIR]
//   npm run fuzz:daemon -- --xenstored 4.22 --replay FILE.json
//   npm run fuzz:daemon -- --xenstored 4.22 --seed S --path P        (a shrunk case, exactly)
//
// Each run draws a stream from the library's streamArbitrary (little-endian, domids 1-63, which
// the rig's fake hypervisor knows; by default without open transactions and with the host's
// unique-ids on ring connections, see --transactions and --foreign-ids; WATCH_DATA_EXTENDED fed
// in the --watch-ext layout, for 4.22 the one its reader reads), restores it into a real daemon
// through interop/roundtrip.sh (the daemon under the rig's shim, no hypervisor), sends up to
// --ops SET_PERMS requests (which is how a daemon comes to know a domain never introduced),
// makes the daemon live-update again and decodes what it wrote (its re-dump), and compares BY
// MEANING what the restore model (predictRestore of src/check/restore-model.ts, for the
// target's reader profile) says the daemon should hold with what it wrote: nodes, ring
// connections, their watches, domains, quotas (scripts/lib/daemon-diff.ts lists what is
// compared and what is normalised away). It also reports the daemon's WRITER defects: the
// project's checker runs on the re-dump for the target, and every error finding, `defect.*`
// finding or refusal counts; and whether the daemon survived restoring its own dump.
//
// It keeps going after a failure. Every difference has a signature (its kind and rule); the
// first run showing a new signature is shrunk (scripts/lib/shrink-run.ts: removes subtrees,
// connections, watches, domains, requests; or --shrinker fast-check: the arbitrary's own
// shrinking from the same seed), bounded by --shrink-seconds per signature, to the smallest
// case that still shows it, written as JSON form (FILE.json, `xsmig encode` makes it a stream
// again) with its requests as an xsraw script (FILE.ops.xs), and the command lines that
// replay it. --model loads another predictRestore (scripts/lib/predict.ts).
//
// Exit codes: 0 no difference, 1 differences found, 64 usage error, 69 the rig (or the
// daemon) is not set up on this machine (scripts/interop-setup.sh; one line says why).

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { TARGET_NAMES, type TargetName } from '../src/check/types.js';
import { fc, streamArbitrary } from '../src/model/arbitraries.js';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';
import { streamFromJson, streamToJsonText } from '../src/model/json.js';
import { SHORT_HEADER_DEFECT, type NodeData, type Permission, type Stream, type XsRecord } from '../src/model/types.js';
import { XENSTORED, daemonPath, rigMissing, roundTrip, type DaemonVersion, type RoundTrip } from '../test/helpers/interop-rig.js';
import { compareMeaning, fatalLine, messageClass, signatureOf, writerDefects, type Difference } from './lib/daemon-diff.js';
import { loadPredictRestore, type PredictRestore } from './lib/predict.js';
import { shrinkCase } from './lib/shrink-run.js';

const EXIT = { CLEAN: 0, DIFFERENCES: 1, USAGE: 64, UNAVAILABLE: 69 } as const;
const PROG = 'fuzz:daemon';

function die(code: number, msg: string): never {
  process.stderr.write(`${PROG}: ${msg}\n`);
  process.exit(code);
}

const argv = yargs(hideBin(process.argv))
  .scriptName('npm run fuzz:daemon --')
  .usage('$0 --xenstored PATH|4.17|4.21|4.22 [options]\n\nRound-trip fuzzing of a real xenstored: restore generated streams, compare its re-dump by meaning with what the restore model predicts.')
  .version(false)
  .option('xenstored', { type: 'string', demandOption: true, describe: 'the daemon: 4.17, 4.21, 4.22 (the rig\'s) or the path of a xenstored binary' })
  .option('version', { choices: [1, 2] as const, describe: 'stream version to generate (default: 1 for 4.17, else 2)' })
  .option('runs', { type: 'number', default: 20, describe: 'streams to try' })
  .option('seed', { type: 'number', describe: 'seed of the first run (run i uses seed+i; default: random)' })
  .option('path', { type: 'string', describe: 'with --seed: replay the fast-check path of a shrunk case' })
  .option('replay', { type: 'string', describe: 'restore this JSON-form (or binary) stream once and compare' })
  .option('target', { choices: TARGET_NAMES, describe: 'reader profile of the daemon (default from its version: xen-4.17/4.21/4.22)' })
  .option('transactions', { type: 'boolean', default: false, describe: 'generate open transactions (4.21/4.22 die on a transaction node whose path exists)' })
  .option('foreign-ids', { type: 'boolean', default: false, describe: 'keep random unique-ids on ring connections (the daemon releases those domains) instead of the host\'s' })
  .option('ops', { type: 'number', default: 2, describe: 'at most this many client requests (SET_PERMS) between the restore and the re-dump (0: none)' })
  .option('watch-ext', { choices: ['documented', 'xen-4.22', 'xen-4.22-reader'] as const, describe: "layout of the WATCH_DATA_EXTENDED records fed to the daemon: documented (wpath at +12), xen-4.22 (what 4.22 writes: no depth, wpath at +8), xen-4.22-reader (what 4.22 reads: depth at +8, wpath at +10). Default: xen-4.22-reader for target xen-4.22, else documented" })
  .option('redump-version', { choices: [1, 2] as const, describe: 'ask the daemon for this version on its re-dump (live-update -s -v N; 4.21+)' })
  .option('jobs', { type: 'number', default: 3, describe: 'daemon runs at a time' })
  .option('shrink-seconds', { type: 'number', default: 90, describe: 'time to shrink each new signature (0: no shrinking)' })
  .option('shrinker', { choices: ['records', 'fast-check'] as const, default: 'records' as const, describe: "records: remove records (subtrees, connections, watches, domains) and requests; fast-check: the arbitrary's own shrinking (gives a --seed/--path replay)" })
  .option('model', { type: 'string', describe: 'a module exporting predictRestore to use instead of src/check/restore-model.ts' })
  .option('out', { type: 'string', default: 'fuzz-daemon-out', describe: 'where shrunk cases are written' })
  .option('keep', { type: 'boolean', default: false, describe: 'keep the rig work directories' })
  .check((a) => {
    if (!Number.isInteger(a.runs) || a.runs < 1) throw new Error('--runs must be a positive integer');
    if (!Number.isInteger(a.jobs) || a.jobs < 1 || a.jobs > 8) throw new Error('--jobs must be 1-8');
    if (a.seed !== undefined && !Number.isInteger(a.seed)) throw new Error('--seed must be an integer');
    if (a.path !== undefined && a.seed === undefined) throw new Error('--path needs --seed');
    if (a.path !== undefined && !/^\d+(:\d+)*$/.test(a.path)) throw new Error('--path must look like 0:1:3');
    if (a.replay !== undefined && a.path !== undefined) throw new Error('--replay and --path exclude each other');
    if (!Number.isInteger(a.ops) || a.ops < 0 || a.ops > 8) throw new Error('--ops must be 0-8');
    if (!(a['shrink-seconds'] >= 0)) throw new Error('--shrink-seconds must be 0 or more');
    return true;
  })
  .strict()
  .help()
  .alias('h', 'help')
  .wrap(Math.min(110, process.stdout.columns || 100))
  .epilogue('Exit codes: 0 no difference, 1 differences found, 64 usage error, 69 the rig or the daemon is not set up (run scripts/interop-setup.sh).')
  .fail((msg, err) => {
    if (err && !msg) throw err;
    die(EXIT.USAGE, `${msg ?? err?.message} (see --help)`);
  })
  .parseSync();

// ---------------------------------------------------------------------------------------------
// The daemon, its target, the rig

function resolveDaemon(arg: string): { bin: string; version: DaemonVersion | undefined; label: string } {
  if (arg === '4.17' || arg === '4.21' || arg === '4.22') {
    const why = rigMissing(arg);
    if (why) die(EXIT.UNAVAILABLE, `rig not available for xenstored ${arg}: ${why}`);
    return { bin: daemonPath(arg), version: arg, label: arg };
  }
  const bin = resolve(arg);
  if (!existsSync(bin)) die(EXIT.USAGE, `--xenstored ${arg}: no such file (give 4.17, 4.21, 4.22 or a xenstored binary)`);
  const why = rigMissing('4.17');
  if (why) die(EXIT.UNAVAILABLE, `rig not available: ${why}`);
  let version: DaemonVersion | undefined;
  if (bin === XENSTORED) version = '4.17';
  else {
    // The rig's launchers have a VERSION file beside them ("... Xen 4.22.0) ...").
    const vf = join(dirname(bin), 'VERSION');
    const m = existsSync(vf) ? /Xen (4\.(?:17|21|22))\./.exec(readFileSync(vf, 'utf8')) : null;
    if (m) version = m[1] as DaemonVersion;
  }
  return { bin, version, label: version ?? 'custom' };
}

const daemon = resolveDaemon(argv.xenstored);
const target: TargetName = argv.target ?? (daemon.version ? (`xen-${daemon.version}` as TargetName) : die(EXIT.USAGE, `cannot tell the version of ${daemon.bin}: give --target (${TARGET_NAMES.join(', ')})`));
const genVersion: 1 | 2 = argv.version ?? (target === 'xen-4.17' || target === 'spec-v1' ? 1 : 2);
const redumpArgs = argv['redump-version'] ? `-v ${argv['redump-version']}` : undefined;

/** Under the rig's shim the unique-id of domain D is 0x0102030405060000 | D (domids 0-63). */
const HOST_IDS: ReadonlyMap<number, bigint> = new Map([...Array(64).keys()].map((d) => [d, 0x0102030405060000n | BigInt(d)]));

function withHostIds(s: Stream): Stream {
  for (const r of s.records) {
    if (r.type === 'CONNECTION_DATA' && r.connType === 0 && r.fields & 1) r.uniqueId = HOST_IDS.get((r.connSpec as { domid: number }).domid) ?? r.uniqueId;
  }
  return s;
}

const watchExt = argv['watch-ext'] ?? (target === 'xen-4.22' ? 'xen-4.22-reader' : 'documented');

/**
 * The stream as fed to the daemon, its WATCH_DATA_EXTENDED records in the --watch-ext layout.
 * Xen 4.22 reads `depth` at +8 and wpath at +10: a documented record (wpath at +12) gives it
 * an empty path and kills it, its own writer's record (wpath at +8) is read two bytes off. The
 * layout it reads right is written here as a raw type-8 record.
 */
function fedStream(s: Stream): Stream {
  if (watchExt === 'documented') return s;
  const records = s.records.map((r): XsRecord => {
    if (r.type !== 'WATCH_DATA_EXTENDED') return r;
    if (watchExt === 'xen-4.22') return { type: r.type, connId: r.connId, depth: null, wpath: r.wpath, token: r.token, producerDefect: SHORT_HEADER_DEFECT };
    const p = Buffer.from(`${r.wpath}\0`, 'latin1');
    const t = Buffer.from(`${r.token}\0`, 'latin1');
    // (its length check counts a 12-byte header; the body is padded to 8 here, as the
    // encoder writes an UNKNOWN record's len as its body's length)
    const body = Buffer.alloc((12 + p.length + t.length + 7) & ~7);
    const little = s.header.byteOrder === 'little';
    const u32 = little ? body.writeUInt32LE.bind(body) : body.writeUInt32BE.bind(body);
    const u16 = little ? body.writeUInt16LE.bind(body) : body.writeUInt16BE.bind(body);
    u32(r.connId, 0);
    u16(p.length, 4);
    u16(t.length, 6);
    u16(r.depth ?? 0xffff, 8);
    p.copy(body, 10);
    t.copy(body, 10 + p.length);
    return { type: 'UNKNOWN', typeCode: 8, body: new Uint8Array(body) };
  });
  return { ...s, records };
}

/**
 * What the restore model is asked about, and its answer fixed up, for the xen-4.22-reader
 * layout (which no model reader knows): the model sees plain watches, and the depth the
 * record carried is put back on the watch it predicts.
 */
function predictFor(p: PredictRestore, s: Stream): ReturnType<PredictRestore> {
  if (watchExt !== 'xen-4.22-reader' || !s.records.some((r) => r.type === 'WATCH_DATA_EXTENDED')) return p(s, target, { hostIds: HOST_IDS });
  const depths = new Map<string, number | null>();
  const plain = { ...s, records: s.records.map((r): XsRecord => {
    if (r.type !== 'WATCH_DATA_EXTENDED') return r;
    depths.set(`${r.connId}\0${r.wpath}\0${r.token}`, r.depth);
    return { type: 'WATCH_DATA', connId: r.connId, wpath: r.wpath, token: r.token };
  }) };
  const out = p(plain, target, { hostIds: HOST_IDS });
  if (out.dies) return out;
  const stream = structuredClone(out.stream);
  stream.records = stream.records.map((r): XsRecord => {
    if (r.type !== 'WATCH_DATA') return r;
    const d = depths.get(`${r.connId}\0${r.wpath}\0${r.token}`);
    return d === undefined ? r : { type: 'WATCH_DATA_EXTENDED', connId: r.connId, depth: d, wpath: r.wpath, token: r.token };
  });
  return { dies: false, stream };
}

/**
 * A client request made between the restore and the re-dump: SET_PERMS on a node of the fed
 * stream (or on one that does not exist), keeping its owner, naming domains 0-63 (the
 * daemon knows those that have a ring connection; the host knows them all).
 */
interface Op { onMissing: boolean; pick: number; perms: { perm: string; domid: number }[] }
const opArb: fc.Arbitrary<Op> = fc.record({
  onMissing: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  pick: fc.nat(),
  perms: fc.array(fc.record({ perm: fc.constantFrom('n', 'r', 'w', 'b'), domid: fc.integer({ min: 0, max: 63 }) }), { maxLength: 2 }),
});
interface Case { stream: Stream; ops: Op[] }
/** A SET_PERMS request as sent. */
interface Request { path: string; perms: Permission[] }
/** What one daemon run is given: the stream, and the requests made before the re-dump. */
interface Run { stream: Stream; requests: Request[] }

const MISSING = '/xsmig-fuzz-missing';
/** The ops as SET_PERMS requests on paths of the fed stream: [path, perms] each. */
function resolveOps(s: Stream, ops: Op[]): Request[] {
  const nodes = s.records.filter((r): r is NodeData => r.type === 'NODE_DATA' && r.connId === 0 && r.path.startsWith('/'));
  return ops.map((o) => {
    const n = nodes[o.pick % Math.max(1, nodes.length)];
    const owner = n?.perms[0] ?? { perm: 'n', flags: 0, domid: 0 };
    return { path: o.onMissing || !n ? MISSING : n.path, perms: [{ ...owner, flags: 0 }, ...o.perms.map((p) => ({ ...p, flags: 0 }))] };
  });
}
const toRun = (c: Case): Run => ({ stream: c.stream, requests: resolveOps(c.stream, c.ops) });
const opsScript = (ops: Request[]) =>
  `keep-going\n${ops.map((o) => `setperms ${o.path} ${o.perms.map((p) => `${p.perm}${p.domid}`).join(' ')}\n`).join('')}`;

/** The prediction after the ops: SET_PERMS replaces a node's permissions (none on a missing node). */
/** Requests back from an ops script (opsScript's form). */
function parseOpsScript(text: string): Request[] {
  return text.split('\n').flatMap((l) => {
    const m = /^setperms (\S+)((?: [nrwb]\d+)+)$/.exec(l.trim());
    return m ? [{ path: m[1]!, perms: m[2]!.trim().split(' ').map((p) => ({ perm: p[0]!, flags: 0, domid: Number(p.slice(1)) })) }] : [];
  });
}

function applyOps(s: Stream, ops: Request[]): Stream {
  for (const o of ops) {
    const n = s.records.find((r): r is NodeData => r.type === 'NODE_DATA' && r.connId === 0 && r.path === o.path);
    if (n) n.perms = o.perms.map((p) => ({ ...p }));
  }
  return s;
}

const arbitrary: fc.Arbitrary<Case> = (() => {
  const arb = streamArbitrary({
    version: genVersion,
    byteOrder: 'little',
    domids: { min: 1, max: 63 },
    counts: { connections: { max: 4 }, nodes: { max: 20 }, watches: { max: 3 }, transactions: argv.transactions ? 2 : 0, quotas: 4 },
    maxValueSize: 64,
  });
  const streams = argv['foreign-ids'] ? arb : arb.map(withHostIds);
  return fc.record({ stream: streams, ops: argv.ops ? fc.array(opArb, { maxLength: argv.ops }) : fc.constant([]) });
})();

// ---------------------------------------------------------------------------------------------
// One run: restore, re-dump, compare

const { predict } = await loadPredictRestore(argv.model).catch((e: Error) => die(EXIT.USAGE, `--model ${argv.model}: ${e.message}`));
const work = mkdtempSync(join(tmpdir(), 'xsmig-fuzz-daemon-'));
process.on('exit', () => {
  if (!argv.keep) rmSync(work, { recursive: true, force: true });
});

interface RunResult {
  diffs: Difference[];
  ms: number;
  rt: RoundTrip;
}

function evaluate(c: Run, rt: RoundTrip, p: PredictRestore): Difference[] {
  const stream = c.stream;
  const prediction = predictFor(p, stream);
  if (prediction.dies) {
    return rt.alive ? [{ kind: 'survived', message: `the daemon restored it; predicted to refuse it: ${prediction.reasons.join('; ')}` }] : [];
  }
  if (!rt.alive) {
    const f = fatalLine(rt.daemonOutput);
    return [{ kind: 'died', rule: messageClass(f), message: `the daemon died restoring it: ${f}` }];
  }
  if (!rt.redump) return [{ kind: 'no-redump', message: 'the daemon wrote no state on its second live update' }];
  let dump: Stream;
  try {
    dump = decodeStream(rt.redump);
  } catch (e) {
    return [{ kind: 'writer', rule: 'undecodable', message: `re-dump does not decode: ${(e as Error).message}` }];
  }
  const expected = applyOps(structuredClone(prediction.stream), c.requests);
  const diffs = [...compareMeaning(expected, dump, { target, fedVersion: stream.header.version, hostIds: HOST_IDS }), ...writerDefects(dump, target)];
  if (!rt.aliveAfterRedump) {
    const f = fatalLine(rt.daemonOutputAfterRedump);
    diffs.push({ kind: 'own-dump-died', rule: messageClass(f), message: `the daemon died restoring its own dump: ${f}` });
  } else if (rt.sameTreeAfterRedump === false) {
    diffs.push({ kind: 'own-dump-tree', message: 'the tree after restoring its own dump differs from the one before' });
  }
  return diffs;
}

let runCounter = 0;
async function runOne(c: Run, name: string): Promise<RunResult> {
  const id = `${name}-${++runCounter}`;
  const file = join(work, `${id}.bin`);
  writeFileSync(file, encodeStream(fedStream(c.stream)));
  const env: Record<string, string> = { XENSTORED_BIN: daemon.bin };
  if (c.requests.length) {
    env.BETWEEN = join(work, `${id}.ops.xs`);
    writeFileSync(env.BETWEEN, opsScript(c.requests));
  }
  const t0 = Date.now();
  const rt = await roundTrip(work, file, id, { env, redumpArgs });
  const ms = Date.now() - t0;
  if (!argv.keep) {
    rmSync(file, { force: true });
    if (env.BETWEEN) rmSync(env.BETWEEN, { force: true });
    rmSync(join(work, id), { recursive: true, force: true });
  }
  return { diffs: evaluate(c, rt, predict), ms, rt };
}

// ---------------------------------------------------------------------------------------------
// Output

const out = (s = '') => process.stdout.write(`${s}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sigList = (diffs: Difference[]) => [...new Set(diffs.map(signatureOf))];

function printDiffs(diffs: Difference[], max = 4): void {
  for (const d of diffs.slice(0, max)) out(`    ${d.message}`);
  if (diffs.length > max) out(`    ... and ${diffs.length - max} more`);
}

function streamSize(s: Stream): string {
  const n = (t: string) => s.records.filter((r) => r.type === t).length;
  return `${s.records.length} records (${n('CONNECTION_DATA')} connections, ${n('WATCH_DATA') + n('WATCH_DATA_EXTENDED')} watches, ${n('NODE_DATA')} nodes, ${n('DOMAIN_DATA')} domains)`;
}

/** The options that make the same arbitrary again, for a replay command line. */
function genFlags(): string {
  const f = [`--xenstored ${argv.xenstored}`];
  if (argv.target) f.push(`--target ${argv.target}`);
  if (argv['redump-version']) f.push(`--redump-version ${argv['redump-version']}`);
  if (argv['watch-ext']) f.push(`--watch-ext ${argv['watch-ext']}`);
  return f.join(' ');
}
function arbFlags(): string {
  const f = [`--version ${genVersion}`];
  if (argv.transactions) f.push('--transactions');
  if (argv['foreign-ids']) f.push('--foreign-ids');
  if (argv.ops !== 2) f.push(`--ops ${argv.ops}`);
  return f.join(' ');
}

function header(): void {
  out(`${PROG}: xenstored ${daemon.label} (${daemon.bin}), target ${target}, stream version ${genVersion}, watch layout ${watchExt}, up to ${argv.ops} request(s)${redumpArgs ? `, re-dump ${redumpArgs}` : ''}`);
  if (argv.model) out(`${PROG}: restore model from ${argv.model}`);
}

// ---------------------------------------------------------------------------------------------
// Modes

async function replayFile(file: string): Promise<number> {
  const bytes = readFileSync(file);
  let stream: Stream;
  try {
    stream = bytes[0] === 0x7b ? streamFromJson(JSON.parse(bytes.toString('utf8'))) : decodeStream(new Uint8Array(bytes));
  } catch (e) {
    die(EXIT.USAGE, `--replay ${file}: not a stream or its JSON form: ${(e as Error).message}`);
  }
  const opsFile = file.replace(/(\.json|\.bin)?$/, '.ops.xs');
  const requests = existsSync(opsFile) ? parseOpsScript(readFileSync(opsFile, 'utf8')) : [];
  header();
  const r = await runOne({ stream, requests }, 'replay');
  out(`replay ${file}${requests.length ? ` with ${opsFile}` : ''}: ${streamSize(stream)}, ${requests.length} request(s), ${secs(r.ms)}, ${r.diffs.length ? `${r.diffs.length} difference(s): ${sigList(r.diffs).join(', ')}` : 'no difference'}`);
  printDiffs(r.diffs, 20);
  return r.diffs.length ? EXIT.DIFFERENCES : EXIT.CLEAN;
}

async function replayPath(seed: number, path: string): Promise<number> {
  header();
  let result: { run: Run; r: RunResult } | undefined;
  await fc.check(
    fc.asyncProperty(arbitrary, async (c) => {
      const run = toRun(c);
      result = { run, r: await runOne(run, 'path') };
      return result.r.diffs.length === 0;
    }),
    { seed, path, numRuns: 1, endOnFailure: true },
  );
  if (!result) die(EXIT.USAGE, `--seed ${seed} --path ${path}: fast-check replayed nothing (wrong path for these options?)`);
  const { run, r } = result;
  out(`seed ${seed} path ${path}: ${streamSize(run.stream)}, ${run.requests.length} request(s), ${secs(r.ms)}, ${r.diffs.length ? `${r.diffs.length} difference(s): ${sigList(r.diffs).join(', ')}` : 'no difference'}`);
  printDiffs(r.diffs, 20);
  return r.diffs.length ? EXIT.DIFFERENCES : EXIT.CLEAN;
}

async function pool<T>(items: T[], jobs: number, f: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all([...Array(Math.min(jobs, items.length))].map(async () => {
    while (next < items.length) await f(items[next++]!);
  }));
}

interface Shrunk {
  run: Run;
  diffs: Difference[];
  path?: string;
  evals: number;
  ms: number;
  reproduced: boolean;
  interrupted: boolean;
}

async function shrink(sig: string, seed: number, original: { run: Run; diffs: Difference[] }, k: number): Promise<Shrunk> {
  return argv.shrinker === 'records' ? shrinkRecords(sig, original, k) : shrinkFastCheck(sig, seed, original, k);
}

async function shrinkRecords(sig: string, original: { run: Run; diffs: Difference[] }, k: number): Promise<Shrunk> {
  const t0 = Date.now();
  const hits = new Map<Run, Difference[]>();
  const fails = async (c: Run) => {
    const r = await runOne(c, `shrink${k}`);
    const hit = r.diffs.filter((d) => signatureOf(d) === sig);
    if (hit.length) hits.set(c, hit);
    return hit.length > 0;
  };
  // (the first run again: a signature that does not come back is flaky, and is not shrunk)
  if (!(await fails(original.run))) {
    return { run: original.run, diffs: original.diffs.filter((d) => signatureOf(d) === sig), evals: 1, ms: Date.now() - t0, reproduced: false, interrupted: false };
  }
  const res = await shrinkCase<Request>(original.run, fails, t0 + argv['shrink-seconds'] * 1000);
  return { run: res.best, diffs: hits.get(res.best) ?? [], evals: res.tries + 1, ms: Date.now() - t0, reproduced: true, interrupted: res.timedOut };
}

async function shrinkFastCheck(sig: string, seed: number, original: { run: Run; diffs: Difference[] }, k: number): Promise<Shrunk> {
  const t0 = Date.now();
  let best = { run: original.run, diffs: original.diffs.filter((d) => signatureOf(d) === sig) };
  let evals = 0;
  let reproduced = false;
  const res = await fc.check(
    fc.asyncProperty(arbitrary, async (c) => {
      evals++;
      const run = toRun(c);
      const r = await runOne(run, `shrink${k}`);
      const hit = r.diffs.filter((d) => signatureOf(d) === sig);
      if (!hit.length) return true;
      reproduced = true;
      best = { run, diffs: hit };
      return false;
    }),
    { seed, numRuns: 1, interruptAfterTimeLimit: argv['shrink-seconds'] * 1000, markInterruptAsFailure: false },
  );
  return { ...best, path: res.failed ? (res.counterexamplePath ?? undefined) : undefined, evals, ms: Date.now() - t0, reproduced, interrupted: res.interrupted };
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);

async function fuzz(): Promise<number> {
  const seed0 = argv.seed ?? (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
  header();
  out(`${PROG}: ${argv.runs} runs from seed ${seed0}, ${argv.jobs} at a time`);
  const t0 = Date.now();
  const firstOf = new Map<string, { index: number; seed: number; run: Run; diffs: Difference[] }>();
  const count = new Map<string, number>();
  let failedRuns = 0;
  const runTimes: number[] = [];
  await pool([...Array(argv.runs).keys()], argv.jobs, async (i) => {
    const seed = (seed0 + i) | 0;
    const run = toRun(fc.sample(arbitrary, { seed, numRuns: 1 })[0]!);
    const r = await runOne(run, `run${i}`);
    runTimes.push(r.ms);
    const sigs = sigList(r.diffs);
    if (sigs.length) failedRuns++;
    const fresh = sigs.filter((s) => !firstOf.has(s));
    for (const s of sigs) {
      count.set(s, (count.get(s) ?? 0) + 1);
      if (!firstOf.has(s)) firstOf.set(s, { index: i, seed, run, diffs: r.diffs });
    }
    out(`run ${i + 1}/${argv.runs} seed ${seed}: ${secs(r.ms)}, ${sigs.length ? `${r.diffs.length} difference(s): ${sigs.join(', ')}${fresh.length ? ' (new)' : ''}` : 'clean'}`);
  });
  const fuzzMs = Date.now() - t0;
  out(`${PROG}: ${argv.runs} runs in ${secs(fuzzMs)} (a daemon round trip takes ${secs(Math.min(...runTimes))}-${secs(Math.max(...runTimes))}); ${failedRuns} with differences, ${firstOf.size} signature(s)`);
  if (!firstOf.size) return EXIT.CLEAN;

  mkdirSync(argv.out, { recursive: true });
  const sigs = [...firstOf.keys()];
  const reports: string[][] = [];
  await pool(sigs.map((s, k) => ({ s, k })), argv.jobs, async ({ s, k }) => {
    const first = firstOf.get(s)!;
    const sh: Shrunk = argv['shrink-seconds'] > 0
      ? await shrink(s, first.seed, first, k)
      : { run: first.run, diffs: first.diffs.filter((d) => signatureOf(d) === s), evals: 0, ms: 0, reproduced: true, interrupted: false };
    const file = join(argv.out, `${slug(daemon.label)}-${slug(s)}.json`);
    writeFileSync(file, streamToJsonText(sh.run.stream));
    const opsFile = file.replace(/\.json$/, '.ops.xs');
    if (sh.run.requests.length) writeFileSync(opsFile, opsScript(sh.run.requests));
    else rmSync(opsFile, { force: true });
    const rel = relative(process.cwd(), file) || file;
    const lines = [
      `DIFFERENCE ${s}: ${count.get(s)} of ${argv.runs} runs, first at run ${first.index + 1} (seed ${first.seed})`,
      ...sh.diffs.slice(0, 3).map((d) => `    ${d.message}`),
      ...(sh.diffs.length > 3 ? [`    ... and ${sh.diffs.length - 3} more`] : []),
      argv['shrink-seconds'] > 0
        ? sh.reproduced
          ? `  shrunk to ${streamSize(sh.run.stream)}${sh.run.requests.length ? ` + ${sh.run.requests.length} request(s) (${relative(process.cwd(), opsFile)})` : ''} in ${sh.evals} daemon runs, ${secs(sh.ms)}${sh.interrupted ? ' (time limit)' : ''}`
          : `  NOT reproduced when run again (${sh.evals} daemon run(s)): flaky? the stream of the first run is kept`
        : '  not shrunk (--shrink-seconds 0)',
      `  stream: ${rel}`,
      `  replay: npm run fuzz:daemon -- ${genFlags()} --replay ${rel}`,
    ];
    if (sh.path) lines.push(`      or: npm run fuzz:daemon -- ${genFlags()} ${arbFlags()} --seed ${first.seed} --path ${sh.path}`);
    reports[k] = lines;
  });
  out();
  for (const r of reports) out(r.join('\n'));
  out();
  out(`${PROG}: ${firstOf.size} signature(s) in ${secs(Date.now() - t0)}: ${sigs.map((s) => `${s} (${count.get(s)})`).join(', ')}`);
  return EXIT.DIFFERENCES;
}

const code = argv.replay !== undefined ? await replayFile(argv.replay) : argv.path !== undefined ? await replayPath(argv.seed!, argv.path) : await fuzz();
process.exit(code);
