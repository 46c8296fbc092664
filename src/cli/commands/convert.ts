// xsmig convert: read -> check the input -> plan -> write a temporary file -> verify it
// (decode it again, compare with the plan, check it, with --target if given) -> rename.
// A failure names its stage and leaves nothing behind; a refusal (lossy without --force)
// exits 1 and creates nothing.

import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync, readFileSync, readSync, realpathSync, rmdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import type { CheckReport, Finding, TargetName } from '../../check/types.js';
import { TARGET_NAMES } from '../../check/types.js';
import { checkStream } from '../../check/index.js';
import { ConvertError, planConversion, type ConvertOptions, type ConvertPlan } from '../../convert/convert.js';
import { deltaId, diffStreams, type DiffResult } from '../../convert/diff.js';
import { decodeStreamDetailed } from '../../model/decode.js';
import { encodeStream } from '../../model/encode.js';
import type { Stream } from '../../model/types.js';
import { DecodeError, EncodeError } from '../../wire/errors.js';
import { palette, useColor, type Palette } from '../color.js';
import { CliError, EXIT } from '../exit-codes.js';
import { HOST_IDS_OPTION, readHostIds } from '../host-ids.js';
import { inputSize, readInputChunks, readWholeInput, resolveInput } from '../input.js';
import { Progress } from '../stream-input.js';
import {
  checkPass, convertPass, inputCheckOf, knownDomainsPass, transcodePass, verifyAsWritten, verifyInPlace, verifyPass,
  type ChunkPuller, type ChunkReader, type ChunkSource, type ConvertPassResult, type TranscodePassResult, type VerifyPassResult,
} from '../../convert/streaming.js';
import type { StreamHeader } from '../../model/types.js';
import { VerifyThread } from '../../convert/verify-thread.js';
import { randomAccess } from '../../convert/file-access.js';
import { takeVerifyThread, verifyThreadMin } from '../verify-prestart.js';
import { CutShort, writeAllSync, writeFileAtomic } from '../output.js';
import { runCommand } from '../run.js';
import { salvageInput, salvageJson, salvageVerdict, salvagedStream } from '../salvage.js';
import { removeIfKilled } from '../temp-guard.js';

interface Args {
  file?: string;
  output?: string;
  'to-version'?: number;
  'byte-order'?: 'little' | 'big';
  target?: TargetName;
  'host-ids'?: string;
  repair?: boolean;
  'assume-depth'?: string;
  force?: boolean;
  'dry-run'?: boolean;
  json?: boolean;
  'in-place'?: boolean;
  salvage?: boolean;
}

type StageName = 'salvage' | 'read' | 'check' | 'plan' | 'write' | 'verify' | 'rename';

interface StageResult {
  stage: StageName;
  ok: boolean;
  /** A refusal is not a failure: the plan says why nothing is written. */
  refused?: boolean;
  detail: string;
}

/** A stage that failed: exit `code`, message names the stage. */
class StageFailed extends CliError {
  constructor(readonly stage: StageName, code: number, message: string) {
    super(code, `convert failed at stage ${stage}: ${message}; nothing was written`);
  }
}

/** Thrown out of writeFileAtomic's check so that it removes the temporary file. */
class VerifyFailure extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

function parseAssumeDepth(s: string | undefined): number | 'unlimited' | undefined {
  if (s === undefined) return undefined;
  if (s === 'unlimited') return 'unlimited';
  if (!/^\d+$/.test(s) || Number(s) > 0xffff) {
    throw new CliError(EXIT.USAGE, `--assume-depth takes a number 0..65535 or "unlimited", not "${s}"`);
  }
  return Number(s);
}

function sameFile(a: string, b: string): boolean {
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    try {
      return realpathSync(a) === resolve(b);
    } catch {
      return resolve(a) === resolve(b);
    }
  }
}

function errorsOf(r: CheckReport): Finding[] {
  return r.findings.filter((f) => f.severity === 'error');
}

function streamLine(s: Stream, bytes?: number): string {
  return headerLine(s.header, s.records.length, bytes);
}

function headerLine(h: StreamHeader, records: number, bytes?: number): string {
  return `version ${h.version}, ${h.byteOrder}-endian, ${records} records${bytes === undefined ? '' : `, ${bytes} bytes`}`;
}

/** Stages of the streamed conversion that end it early, thrown out of writeFileAtomic (which then removes the temporary file). */
class ReadFailed extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}
class PlanNotMade extends Error {}
class Refused extends Error {}

/** Chunk size of the streamed conversion's reads. */
const CHUNK = 1 << 18;

/** Pulls a file's bytes chunk by chunk (each chunk a buffer of its own); closes it at the end. */
function pullFile(path: string): ChunkPuller {
  let fd: number | undefined = openSync(path, 'r');
  return () => {
    if (fd === undefined) return undefined;
    const b = Buffer.allocUnsafe(CHUNK);
    const n = readSync(fd, b, 0, CHUNK, null);
    if (n === 0) {
      closeSync(fd);
      fd = undefined;
      return undefined;
    }
    return n === CHUNK ? b : b.subarray(0, n);
  };
}

/** Reads a file from its start into the buffer it is given (each call the next bytes); closes it at the end. */
function readerOf(path: string): ChunkReader {
  let fd: number | undefined = openSync(path, 'r');
  return (into) => {
    if (fd === undefined) return 0;
    const n = readSync(fd, into, 0, into.length, null);
    if (n === 0) {
      closeSync(fd);
      fd = undefined;
    }
    return n;
  };
}

/** The plan as people read it (stderr). */
export function planLines(plan: Omit<ConvertPlan, 'stream'>, c: Palette): string[] {
  const lines: string[] = [];
  const v = plan.from.version === plan.to.version ? `version ${plan.to.version}` : `version ${plan.from.version} -> ${plan.to.version}`;
  const o = plan.from.byteOrder === plan.to.byteOrder ? `${plan.to.byteOrder}-endian` : `${plan.from.byteOrder}-endian -> ${plan.to.byteOrder}-endian`;
  const to = `${v}, ${o}${plan.target ? `, for ${plan.target}` : ''}`;
  lines.push(`  ${to}`);
  for (const n of plan.notes) lines.push(`  note: ${n}`);
  const semantic = plan.changes.filter((x) => x.section !== 'framing');
  const framing = plan.changes.filter((x) => x.section === 'framing');
  for (const ch of semantic) {
    const tag = ch.kind === 'lossy' ? c.red('LOSSY   ') : ch.assumption ? c.yellow('assumed ') : c.green('lossless');
    lines.push(`  ${tag} ${ch.message}${ch.assumption ? ` [assumption: ${ch.assumption}]` : ''}`);
  }
  for (const ch of framing) lines.push(`  ${c.green('lossless')} ${ch.message}`);
  for (const l of plan.losses) lines.push(`  ${c.red('LOSSY   ')} ${l.message}`);
  if (plan.targetLosses.length) {
    lines.push(`  what ${plan.target} does with the output:`);
    for (const l of plan.targetLosses) lines.push(`  ${l.kind === 'refuse' ? c.red('REFUSES ') : l.kind === 'host' ? c.cyan('HOST    ') : c.red('LOSES   ')} ${l.message}`);
  }
  const lossy = plan.changes.filter((x) => x.kind === 'lossy').length;
  const lose = plan.targetLosses.filter((l) => l.kind === 'lose').length;
  lines.push(
    `  ${plan.changes.length} change(s): ${plan.changes.length - lossy} lossless, ${lossy} lossy` +
      `${plan.losses.length ? `; ${plan.losses.length} byte-order loss(es)` : ''}${plan.target ? `; ${lose} item(s) ${plan.target} loses` : ''}`,
  );
  return lines;
}

/** Options of convert that take a value in a plain form, and the values each accepts. */
const PLAIN_VALUED: Record<string, { key: keyof Args; accept: (v: string) => boolean; as?: (v: string) => unknown }> = {
  '-o': { key: 'output', accept: (v) => v === '-' || (v !== '' && !v.startsWith('-')) },
  '--output': { key: 'output', accept: (v) => v === '-' || (v !== '' && !v.startsWith('-')) },
  '--byte-order': { key: 'byte-order', accept: (v) => v === 'little' || v === 'big' },
  '--to-version': { key: 'to-version', accept: (v) => v === '1' || v === '2', as: Number },
  '--target': { key: 'target', accept: (v) => (TARGET_NAMES as readonly string[]).includes(v) },
};
const PLAIN_FLAGS = ['--force', '--json', '--dry-run', '--in-place'] as const;

/**
 * The plain argument forms of convert, which main.ts runs without loading yargs (about as long
 * as reading 100 MB): at most one FILE or "-", the flags above each at most once, and the
 * options above (`--name V` or `--name=V`, `-o V`) each at most once with a value they accept.
 * Anything else (help, --repair, negations, repeats, "true"/"false") gives undefined: yargs.
 */
export function plainConvertArgs(args: readonly string[]): Args | undefined {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const valued = PLAIN_VALUED[name];
    if (valued) {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined || !valued.accept(v) || out[valued.key] !== undefined) return undefined;
      out[valued.key] = valued.as ? valued.as(v) : v;
    } else if ((PLAIN_FLAGS as readonly string[]).includes(a)) {
      const key = a.slice(2);
      if (out[key] !== undefined) return undefined;
      out[key] = true;
    } else if (a === '-' || (a !== '' && !a.startsWith('-') && a !== 'true' && a !== 'false')) {
      if (out.file !== undefined) return undefined;
      out.file = a;
    } else {
      return undefined;
    }
  }
  return out as Args;
}

export const convertCommand: CommandModule<object, Args> = {
  command: 'convert [file]',
  describe: 'Convert a stream (version, byte order, repair), reporting what each change costs',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'stream file, or - for stdin' })
      .option('output', { alias: 'o', type: 'string', describe: 'output file (written to a temporary file, verified, then renamed); - for stdout' })
      .option('to-version', { type: 'number', choices: [1, 2], describe: 'stream version to write (default: the target\'s, else the input\'s)' })
      .option('byte-order', { type: 'string', choices: ['little', 'big'] as const, describe: 'record byte order to write (default: the target\'s, else the input\'s)' })
      .option('target', { type: 'string', choices: TARGET_NAMES, describe: 'reader the output is for: its losses are reported, its refusals refuse' })
      .option('host-ids', HOST_IDS_OPTION)
      .option('repair', { type: 'boolean', describe: 'rewrite known producer defects and non-canonical framing' })
      .option('assume-depth', { type: 'string', describe: 'with --repair: depth (0..65535 or unlimited) for watches whose producer lost it' })
      .option('force', { type: 'boolean', describe: 'accept lossy changes' })
      .option('dry-run', { type: 'boolean', describe: 'print the plan and stop (exit 1 if it would be refused)' })
      .option('json', { type: 'boolean', describe: 'the report as JSON on stdout (stderr with -o -)' })
      .option('in-place', { type: 'boolean', describe: 'allow OUT to be the input file (default OUT: FILE)' })
      .option('salvage', { type: 'boolean', describe: 'rescue what can be read of a damaged or cut-short stream into a valid one (END added); the skipped regions are losses (--force); exit 2' })
      .example('$0 convert state_dump --target xen-4.17 -o rollback', 'downgrade for a 4.17 daemon; refused if anything is lost')
      .example('$0 convert state_dump --to-version 1 --force -o rollback', 'accept the listed losses')
      .example('$0 convert state_dump --repair --assume-depth unlimited -o fixed', 'repair Xen 4.22 short-header watches') as Argv<Args>,
  handler: async (argv) => {
    const input = resolveInput(argv.file);
    // (With -o -, stdout is the stream: a failure's JSON object would corrupt it; the report goes to stderr.)
    const jsonError = Boolean(argv.json) && argv.output !== '-' && argv.output !== '';
    await runCommand(input.label, () => (argv.salvage ? convertSalvaged(argv, input) : runConvert(argv, input)), jsonError);
  },
};

/**
 * `convert --salvage`: the input read past its faults, the records read written (END added) to
 * a temporary file, which is then converted as any input; the skipped regions are losses, so
 * without --force the conversion is refused. Exit 2 after a conversion of a damaged input.
 */
function convertSalvaged(argv: Args, input: ReturnType<typeof resolveInput>): number {
  if (argv['in-place']) throw new CliError(EXIT.USAGE, '--salvage writes a new stream: not --in-place (keep the damaged original)');
  const sv = salvageInput(input);
  const skipped = sv.faults.reduce((n, f) => n + f.skippedTo - f.skippedFrom, 0);
  if (sv.faults.length === 0 && sv.ended) return runConvert(argv, input, { stage: { stage: 'salvage', ok: true, detail: 'the input reads whole: nothing to salvage' }, lines: [], json: salvageJson(sv) });
  const lines = sv.faults.map((f) => `  LOSSY    bytes ${f.skippedFrom}..${f.skippedTo - 1} (${f.skippedTo - f.skippedFrom} bytes) skipped: ${f.error.message}`);
  if (!sv.ended) lines.push('  LOSSY    no END record (cut short): END added after the last complete record');
  const stage: StageResult = {
    stage: 'salvage', ok: Boolean(argv.force), refused: !argv.force,
    detail: `${sv.faults.length} fault(s), ${skipped} byte(s) skipped, ${sv.records.length} record(s) read${sv.ended ? '' : ', END added'}${argv.force ? ': the skipped regions are lost (accepted with --force)' : ': the skipped regions would be lost; rerun with --force to accept'}`,
  };
  const size = Math.max(...sv.faults.map((f) => f.skippedTo), 0);
  const dir = join(tmpdir(), `xsmig-convert-${randomBytes(6).toString('hex')}`);
  removeIfKilled(dir);
  mkdirSync(dir, { mode: 0o700 });
  try {
    const path = join(dir, 'salvaged.bin');
    const { stream } = salvagedStream(sv, size);
    writeFileSync(path, encodeStream(stream), { mode: 0o600 });
    const code = runConvert(argv, { path, label: input.label }, { stage, lines, json: salvageJson(sv) });
    return code === EXIT.OK ? salvageVerdict(input.label, sv) : code;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface SalvageStage { stage: StageResult; lines: string[]; json: Record<string, unknown> }

function runConvert(argv: Args, input: ReturnType<typeof resolveInput>, salvage?: SalvageStage): number {
  const c = palette(useColor(process.stderr));
  const toStdout = argv.output === '-' || argv.output === '';
  let out = argv.output;
  if (argv['in-place']) {
    if (input.path === undefined) throw new CliError(EXIT.USAGE, '--in-place needs a FILE, not standard input');
    if (out !== undefined && !sameFile(out, input.path)) throw new CliError(EXIT.USAGE, '--in-place writes over FILE: give no -o, or -o FILE');
    out = input.path;
  }
  if (out === undefined && !argv['dry-run']) throw new CliError(EXIT.USAGE, 'give -o OUT (or --in-place, or --dry-run)');
  if (out !== undefined && !toStdout && input.path !== undefined && !argv['in-place'] && sameFile(out, input.path)) {
    throw new CliError(EXIT.USAGE, `-o ${out} is the input file: refused (use --in-place to overwrite it)`);
  }
  const opts: ConvertOptions = {
    force: !!argv.force,
    repair: !!argv.repair,
  };
  if (argv['to-version'] !== undefined) opts.toVersion = argv['to-version'];
  if (argv['byte-order'] !== undefined) opts.byteOrder = argv['byte-order'];
  if (argv.target !== undefined) opts.target = argv.target;
  const hostIds = readHostIds(argv['host-ids']);
  if (hostIds) opts.hostIds = hostIds;
  const depth = parseAssumeDepth(argv['assume-depth']);
  if (depth !== undefined && !opts.repair) throw new CliError(EXIT.USAGE, '--assume-depth is used only when repairing: add --repair');
  if (depth !== undefined) opts.assumeDepth = depth;

  const stages: StageResult[] = [];
  const report: Record<string, unknown> = { schema: 'xsmig-convert/1', input: input.label, output: toStdout ? '-' : (out ?? null), stages };
  const jsonFd = toStdout ? 2 : 1;
  const say = (line: string): void => {
    if (!argv.json) process.stderr.write(`${line}\n`);
  };
  const stage = (s: StageResult): void => {
    stages.push(s);
    // (The check stage succeeds when it finds errors: the plan decides what they mean.)
    const found = s.stage === 'check' && s.ok && /^input: [1-9]/.test(s.detail);
    say(`${s.stage.padEnd(7)} ${found ? c.yellow('found') : s.ok ? c.green('ok') : s.refused ? c.red('REFUSED') : c.red('FAILED')}  ${s.detail}`);
  };
  const finish = (result: string, code: number, failure?: StageFailed): number => {
    report.result = result;
    if (failure) {
      report.failedStage = failure.stage;
      report.error = failure.message;
    }
    if (argv.json) writeAllSync(jsonFd, Buffer.from(`${JSON.stringify(report, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`));
    if (failure) {
      if (argv.json) process.exitCode = failure.code;
      else throw failure;
    }
    return failure ? failure.code : code;
  };
  const fail = (s: StageName, code: number, message: string): number => {
    stage({ stage: s, ok: false, detail: message });
    return finish('failed', code, new StageFailed(s, code, message));
  };

  say(`xsmig convert: ${input.label} -> ${toStdout ? '<stdout>' : (out ?? '(dry run)')}`);
  if (salvage) {
    report.salvage = salvage.json;
    stage(salvage.stage);
    for (const l of salvage.lines) say(l);
    if (salvage.stage.refused) {
      if (argv['dry-run']) {
        say('dry run: the conversion would be refused');
        return finish('dry-run', EXIT.FINDING);
      }
      say(`refused: ${toStdout ? 'nothing written to stdout' : `${out} not created`}`);
      return finish('refused', EXIT.FINDING);
    }
  }

  // -- stages shared by both paths --------------------------------------------------------------

  let inRules = new Set<string>();
  const reportInputCheck = (inCheck: CheckReport): void => {
    const inErrors = errorsOf(inCheck);
    const inWarnings = inCheck.findings.filter((f) => f.severity === 'warning');
    inRules = new Set(inErrors.map((f) => f.rule));
    report.inputCheck = inCheck;
    stage({ stage: 'check', ok: true, detail: `input: ${inErrors.length} error(s), ${inWarnings.length} warning(s)` });
    for (const f of [...inErrors, ...inWarnings]) say(`  ${f.severity === 'error' ? c.red('error  ') : c.yellow('warning')}  ${f.rule}: ${f.message}`);
  };
  /** Reports the plan; `outCheck`: a check of the output (errors of the input it keeps refuse). */
  const reportPlan = <P extends Omit<ConvertPlan, 'stream'>>(plan: P, outCheck: CheckReport): P => {
    // Errors of the input the conversion does not remove stay in the output.
    const kept = errorsOf(outCheck).filter((f) => inRules.has(f.rule));
    if (kept.length && !plan.refusal && !opts.force) {
      plan.refused = true;
      plan.refusal = { reason: 'lossy', message: `${kept.length} error(s) of the input remain in the output (${[...new Set(kept.map((f) => f.rule))].join(', ')}); use --repair if it applies, or --force to write it anyway` };
    }
    const { stream: _planned, ...planReport } = plan as P & { stream?: Stream };
    report.plan = planReport;
    stage({
      stage: 'plan', ok: !plan.refused, refused: plan.refused,
      detail: plan.refused ? plan.refusal!.message : `${plan.changes.length} change(s)${plan.lossy ? ', lossy ones accepted with --force' : ', none lossy'}`,
    });
    for (const l of planLines(plan, c)) say(l);
    return plan;
  };
  const endAfterPlan = (plan: Omit<ConvertPlan, 'stream'>): number | undefined => {
    if (argv['dry-run']) {
      say(plan.refused ? 'dry run: the conversion would be refused' : 'dry run: nothing written');
      return finish('dry-run', plan.refused ? EXIT.FINDING : EXIT.OK);
    }
    if (plan.refused) {
      say(`refused: ${out} not created`);
      return finish('refused', EXIT.FINDING);
    }
    return undefined;
  };
  /** The verify stage's judgement of the written file: its diff against the input, its check. */
  const judge = (plan: Omit<ConvertPlan, 'stream'>, d: DiffResult, check: CheckReport, line: string): VerifyFailure | undefined => {
    const seen = [...d.semantic, ...d.bytes].map(deltaId).sort();
    const planned = plan.changes.map(deltaId).sort();
    if (JSON.stringify(seen) !== JSON.stringify(planned)) {
      const extra = seen.filter((x) => !planned.includes(x));
      const missing = planned.filter((x) => !seen.includes(x));
      return new VerifyFailure(EXIT.SOFTWARE, `the written file differs from the input otherwise than planned (unplanned: ${extra.join(' ') || 'none'}; missing: ${missing.join(' ') || 'none'})`);
    }
    report.outputCheck = check;
    const newErrors = errorsOf(check).filter((f) => !inRules.has(f.rule) || !opts.force);
    if (newErrors.length) {
      return new VerifyFailure(EXIT.FINDING, `check of the written file: ${newErrors.map((f) => `${f.rule}: ${f.message}`).join('; ')}`);
    }
    const refuse = (check.losses ?? []).filter((l) => l.kind === 'refuse');
    if (refuse.length) return new VerifyFailure(EXIT.FINDING, `${opts.target} would refuse the written file: ${refuse.map((l) => l.message).join('; ')}`);
    const lose = (check.losses ?? []).filter((l) => l.kind === 'lose');
    if (lose.length && !opts.force) return new VerifyFailure(EXIT.FINDING, `${opts.target} would lose ${lose.length} item(s) of the written file`);
    stage({
      stage: 'verify', ok: true,
      detail: `decodes to the planned stream (${line}); diff against the input = the ${plan.changes.length} planned change(s); ` +
        `check${opts.target ? ` --target ${opts.target}` : ''}: ${errorsOf(check).length} error(s)${opts.target ? `, ${lose.length} item(s) lost (accepted with --force)` : ''}`,
    });
    return undefined;
  };
  const injected = (): VerifyFailure | undefined =>
    // Fault injection for the tests of "a failed verify leaves nothing behind".
    process.env.XSMIG_TEST_FAIL_VERIFY ? new VerifyFailure(EXIT.FINDING, `injected failure (XSMIG_TEST_FAIL_VERIFY)`) : undefined;

  // Streamed, record by record. Standard input (or a pipe given as FILE) is first copied to a
  // file of a temporary directory (the verify stage may read the input again, and a repair
  // reads it once more first); to standard output, the stream is written to a file of
  // another, copied to standard output once it is verified (nothing may be written before).
  // A conversion that needs a temporary directory when none can be made holds the whole
  // stream (below).
  {
    const temps: string[] = [];
    const temp = (): string | undefined => {
      try {
        // (Named here rather than by mkdtemp: the watcher that removes it if we are killed
        // starts before it exists.)
        const d = join(tmpdir(), `xsmig-convert-${randomBytes(6).toString('hex')}`);
        removeIfKilled(d);
        mkdirSync(d, { mode: 0o700 });
        temps.push(d);
        return d;
      } catch {
        return undefined; // (no temporary directory: converted in memory, below)
      }
    };
    // (Also when the process ends early: a reader of stdout that stops ends it at once.)
    const cleanUp = (): void => {
      for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
    };
    process.once('exit', cleanUp);
    try {
      let path = input.path !== undefined && regularOrMissing(input.path) ? input.path : undefined;
      if (path === undefined) {
        // Standard input, or a pipe named as a file, spooled to a file: the verify stage may
        // read the input again, and reads it at offsets.
        const d = temp();
        if (d !== undefined) {
          path = join(d, 'in.bin');
          const fd = openSync(path, 'w', 0o600);
          try {
            readInputChunks(input, (chunk) => writeAllSync(fd, chunk), 1 << 20, true);
          } catch (e) {
            if (e instanceof CliError) return fail('read', e.code, e.message);
            throw e;
          } finally {
            closeSync(fd);
          }
          input = { path, label: input.label };
        }
      }
      if (path !== undefined) {
        if (!toStdout) return streamed(path, out);
        const d = temp();
        if (d !== undefined) return streamed(path, join(d, 'out.bin'), true);
      }
    } finally {
      cleanUp();
      process.removeListener('exit', cleanUp);
    }
  }

  // read
  let bytes: Buffer;
  let stream: Stream;
  let locations;
  try {
    bytes = readWholeInput(input);
    ({ stream, locations } = decodeStreamDetailed(bytes));
  } catch (e) {
    if (e instanceof DecodeError) return fail('read', EXIT.BAD_INPUT, `${input.label}: not a decodable stream: ${e.message}`);
    if (e instanceof CliError) return fail('read', e.code, e.message);
    throw e;
  }
  stage({ stage: 'read', ok: true, detail: streamLine(stream, bytes.length) });

  // check the input
  reportInputCheck(checkStream(stream, { locations }));

  // plan
  let plan: ConvertPlan;
  try {
    plan = planConversion(stream, opts);
  } catch (e) {
    if (e instanceof ConvertError) return fail('plan', EXIT.USAGE, e.message);
    throw e;
  }
  reportPlan(plan, checkStream(plan.stream, {}));
  const early = endAfterPlan(plan);
  if (early !== undefined) return early;

  // write, verify, rename
  let encoded: Uint8Array;
  try {
    encoded = encodeStream(plan.stream);
  } catch (e) {
    if (e instanceof EncodeError) return fail('write', EXIT.SOFTWARE, `the planned stream cannot be encoded: ${e.message}`);
    throw e;
  }
  const verify = (written: Uint8Array): VerifyFailure | undefined => {
    const inj = injected();
    if (inj) return inj;
    let decoded;
    try {
      decoded = decodeStreamDetailed(written);
    } catch (e) {
      if (e instanceof DecodeError) return new VerifyFailure(EXIT.SOFTWARE, `the written file does not decode: ${e.message}`);
      throw e;
    }
    if (Buffer.compare(Buffer.from(encodeStream(decoded.stream)), Buffer.from(written)) !== 0) {
      return new VerifyFailure(EXIT.SOFTWARE, 'the written file does not encode back to the same bytes');
    }
    const d = diffStreams(stream, decoded.stream);
    const check = checkStream(decoded.stream, { ...(opts.target ? { target: opts.target } : {}), ...(opts.hostIds ? { hostIds: opts.hostIds } : {}), locations: decoded.locations });
    return judge(plan, d, check, streamLine(decoded.stream, written.length));
  };

  if (toStdout) {
    stage({ stage: 'write', ok: true, detail: `${encoded.length} bytes in memory (output is stdout)` });
    const f = verify(encoded);
    if (f) return fail('verify', f.code, f.message);
    try {
      writeAllSync(1, encoded, 'throw');
    } catch (e) {
      if (e instanceof CutShort) return fail('rename', EXIT.CANT_CREATE, cutShortMessage(e.written, encoded.length));
      throw e;
    }
    stage({ stage: 'rename', ok: true, detail: 'written to stdout' });
    return finish('written', EXIT.OK);
  }

  try {
    writeFileAtomic(
      out!,
      (write) => write(encoded),
      (tmp) => {
        stage({ stage: 'write', ok: true, detail: `${tmp} (${encoded.length} bytes)` });
        const f = verify(readFileSync(tmp));
        if (f) throw f;
      },
      true,
    );
  } catch (e) {
    if (e instanceof VerifyFailure) return fail('verify', e.code, e.message);
    if (e instanceof CliError) return fail(stages.some((s) => s.stage === 'write') ? 'rename' : 'write', e.code, e.message);
    throw e;
  }
  stage({ stage: 'rename', ok: true, detail: `${out}${argv['in-place'] ? ' (in place)' : ''}` });
  return finish('written', EXIT.OK);

  // -- the streamed conversion ------------------------------------------------------------------

  /** `dest`: the file to write (undefined for a dry run); `spooled`: it is then copied to standard output. */
  function streamed(path: string, dest: string | undefined, spooled = false): number {
    const source: ChunkSource = (on) => {
      const progress = new Progress(inputSize(input));
      let n = 0;
      try {
        readInputChunks(input, (chunk) => {
          n += chunk.length;
          on(chunk);
          progress.update(n);
        }, CHUNK);
      } finally {
        progress.done();
      }
    };
    /** `source` reading into one reused buffer (the transcoder copies what it keeps of a chunk). */
    const reusedSource: ChunkSource = (on) => {
      let read: ChunkReader;
      try {
        read = readerOf(path);
      } catch {
        source(on); // (reports why the input cannot be read, as every command does)
        return;
      }
      const progress = new Progress(inputSize(input));
      const buf = Buffer.allocUnsafe(CHUNK);
      let total = 0;
      try {
        for (let n = read(buf); n > 0; n = read(buf)) {
          total += n;
          on(buf.subarray(0, n));
          progress.update(total);
        }
      } finally {
        progress.done();
      }
    };
    /** Read, check the input, plan, and check the planned output (no writing: the dry run, and plans not made). */
    // A repair drops a DOMAIN_DATA whose domain shows up nowhere in the stream: those that do
    // are found first, in a pass of their own.
    let known: Set<number> | undefined;
    if (opts.repair) {
      try {
        known = knownDomainsPass(reusedSource);
      } catch (e) {
        if (e instanceof DecodeError) return fail('read', EXIT.BAD_INPUT, `${input.label}: not a decodable stream: ${e.message}`);
        if (e instanceof CliError) return fail('read', e.code, e.message);
        throw e;
      }
    }
    const passOne = (): ConvertPassResult => {
      try {
        return convertPass(source, opts, known ? { checkOutput: true, known } : { checkOutput: true });
      } catch (e) {
        if (e instanceof DecodeError) throw new ReadFailed(EXIT.BAD_INPUT, `${input.label}: not a decodable stream: ${e.message}`);
        if (e instanceof CliError) throw new ReadFailed(e.code, e.message);
        throw e;
      }
    };
    const reportRead = (p: Pick<ConvertPassResult, 'header' | 'records' | 'bytes' | 'inputCheck'>): void => {
      stage({ stage: 'read', ok: true, detail: headerLine(p.header, p.records, p.bytes) });
      reportInputCheck(p.inputCheck);
    };
    /** Without writing: read, check, plan (its output checked as planned); then the dry-run or refusal end. */
    const planOnly = (): number | Omit<ConvertPlan, 'stream'> => {
      let p: ConvertPassResult;
      try {
        p = passOne();
      } catch (e) {
        if (e instanceof ReadFailed) return fail('read', e.code, e.message);
        throw e;
      }
      reportRead(p);
      if (!p.planner) return fail('plan', EXIT.USAGE, p.planError!.message);
      const plan = reportPlan(p.planner.finish(p.outputCheck!.losses ?? []), p.outputCheck!);
      return endAfterPlan(plan) ?? plan;
    };

    if (argv['dry-run']) {
      const r = planOnly();
      if (typeof r === 'number') return r;
      throw new Error('convert: a dry run ended without its report'); // (endAfterPlan ends every dry run)
    }

    // Pass 1 writes the temporary file as it plans, rewriting raw every record the plan passes
    // unchanged (transcodePass); it decodes only the others. The planned stream is never held:
    // the check of it that the plan needs (what the target loses, errors of the input it keeps)
    // is the check of the written file, made in pass 2 with the verify, which decodes the
    // written file and compares it with the input read again, record by record, field by
    // field; a refusal found then removes the temporary file, so a refused conversion leaves
    // nothing either. The check of the input is the check of the written file where the verify
    // shows they must be equal (inputCheckOf), else a pass of its own (checkPass).
    //
    // Measured by `npm run bench -- convert` (100 MB, 1.25M records, 2 busy cores, same run):
    // 3752 ms wall, 3613 ms CPU, 216 MiB peak with convertPass (every record decoded, checked,
    // planned, encoded) and verifyPass (the written file decoded, checked and encoded again,
    // the input decoded again); 1963 ms, 1433 ms CPU, 118 MiB this way.
    //
    // A large file converted in place of its records (keepsPlaces) is verified in two halves
    // that run as pass 1 writes: pass 1 compares each record it writes with the one it read
    // (WrittenComparer), and a second thread reads the temporary file back as it grows, checks
    // it and compares it byte for byte with the bytes written (VerifyThread), which ties the
    // file to the bytes compared, so the input is read once. Any record that does not agree, or a thread that gives no result, and the
    // serial verify below runs instead. Measured by `npm run bench -- convert` (100 MB): see
    // the README's "Speed and memory".
    let p: TranscodePassResult | undefined;
    let thread: VerifyThread | undefined;
    try {
      writeFileAtomic(
        dest!,
        (write, tmp) => {
          const size = inputSize(input);
          const early = takeVerifyThread();
          if (size !== undefined && size >= verifyThreadMin()) thread = early ?? VerifyThread.spawn();
          else early?.abandon();
          thread?.begin(tmp, opts.target, size!, opts.hostIds);
          const t = thread;
          try {
            p = transcodePass(reusedSource, opts, t ? (c) => { write(c); t.wrote(c); } : write, known ? { compare: t !== undefined, known } : { compare: t !== undefined });
          } catch (e) {
            thread?.abandon();
            thread = undefined;
            if (e instanceof ConvertError) throw new PlanNotMade();
            if (e instanceof DecodeError) throw new ReadFailed(EXIT.BAD_INPUT, `${input.label}: not a decodable stream: ${e.message}`);
            if (e instanceof CliError) throw new ReadFailed(e.code, e.message);
            throw e;
          }
          if (thread && !p.comparer) {
            // (Records change places: the serial verify pairs them.)
            thread.abandon();
            thread = undefined;
          }
          thread?.end();
        },
        (tmp) => {
          let v: (VerifyPassResult & { inputMismatch?: string; notAsWritten?: string }) | undefined;
          if (thread && p!.comparer!.differsAt === undefined) {
            const found = thread.result();
            if (found) v = verifyAsWritten(found, p!);
          } else thread?.abandon();
          if (v) {
            // (Made as pass 1 wrote.)
          } else if (p!.planner.keepsPlaces()) {
            const inFile = randomAccess(path);
            try {
              v = verifyInPlace(readerOf(tmp), inFile, opts.target, opts.hostIds);
            } finally {
              inFile.close();
            }
          } else {
            v = verifyPass((on) => readInputChunks({ path: tmp, label: tmp }, on, CHUNK), pullFile(path), opts.target, { reencode: false, dropped: p!.dropped, ...(opts.hostIds ? { hostIds: opts.hostIds } : {}) });
          }
          const noCheck: CheckReport = { findings: [], ok: true };
          const planned = p!.planner.finish(v.check?.losses ?? []);
          let inputCheck = p!.inputCheck ?? inputCheckOf(v);
          try {
            inputCheck ??= checkPass((on) => readInputChunks(input, on, CHUNK));
          } catch (e) {
            // (The input read in pass 1 no longer decodes: it changed while it was converted.)
            if (e instanceof DecodeError) throw new VerifyFailure(EXIT.SOFTWARE, `the input changed while it was converted: ${e.message}`);
            throw e;
          }
          reportRead({ ...p!, inputCheck });
          const plan = reportPlan(planned, v.check ?? noCheck);
          if (plan.refused) throw new Refused();
          stage({ stage: 'write', ok: true, detail: `${tmp} (${p!.written} bytes)` });
          const f =
            injected() ??
            (v.decodeError ? new VerifyFailure(EXIT.SOFTWARE, `the written file does not decode: ${v.decodeError.message}`) : undefined) ??
            (v.inputMismatch ? new VerifyFailure(EXIT.SOFTWARE, `the written file does not match the input read again: ${v.inputMismatch}`) : undefined) ??
            (v.notAsWritten ? new VerifyFailure(EXIT.SOFTWARE, `the written file does not hold what was written: ${v.notAsWritten}`) : undefined) ??
            (!v.reencodes ? new VerifyFailure(EXIT.SOFTWARE, 'the written file does not encode back to the same bytes') : undefined) ??
            judge(plan, v.diff!, v.check!, headerLine(v.header!, v.records, v.bytes));
          if (f) throw f;
        },
        true,
      );
    } catch (e) {
      if (e instanceof ReadFailed) return fail('read', e.code, e.message);
      if (e instanceof PlanNotMade) {
        // No plan for this header: the plain pass reads and checks the input, then fails the plan.
        const r = planOnly();
        if (typeof r === 'number') return r;
        throw new Error('convert: a plan that could not be made was made on the second reading');
      }
      if (e instanceof Refused) {
        say(`refused: ${out} not created`);
        return finish('refused', EXIT.FINDING);
      }
      if (e instanceof VerifyFailure) return fail('verify', e.code, e.message);
      if (e instanceof CliError) {
        if (p === undefined) {
          // The temporary file could not be created: the stages before it still run (and a
          // refusal still comes first).
          const r = planOnly();
          if (typeof r === 'number') return r;
        }
        return fail(stages.some((s) => s.stage === 'write') ? 'rename' : 'write', e.code, e.message);
      }
      throw e;
    }
    if (spooled) {
      const cut = copyToStdout(dest!);
      if (cut) return fail('rename', EXIT.CANT_CREATE, cut);
      stage({ stage: 'rename', ok: true, detail: 'written to stdout' });
      return finish('written', EXIT.OK);
    }
    stage({ stage: 'rename', ok: true, detail: `${out}${argv['in-place'] ? ' (in place)' : ''}` });
    return finish('written', EXIT.OK);
  }
}

/** Whether `path` is a regular file, or cannot be looked at (reading it then says why). */
function regularOrMissing(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return true;
  }
}

/**
 * Writes the file at `path` (alone in its temporary directory) to standard output, in blocks;
 * file and directory are removed first (it stays readable through the open descriptor).
 */
function copyToStdout(path: string): string | undefined {
  const fd = openSync(path, 'r');
  const size = statSync(path).size;
  // (Gone before the first write: nothing is left behind however the copy ends.)
  unlinkSync(path);
  rmdirSync(dirname(path));
  let written = 0;
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) {
      writeAllSync(1, buf.subarray(0, n), 'throw');
      written += n;
    }
  } catch (e) {
    if (e instanceof CutShort) return cutShortMessage(written + e.written, size);
    throw e;
  } finally {
    closeSync(fd);
  }
  return undefined;
}

/** A copy to standard output whose reader went away: the stream it got is not whole. */
function cutShortMessage(written: number, total: number): string {
  return `standard output was closed after ${written} of ${total} bytes: the copy there is cut short`;
}
