import type { Argv, CommandModule } from 'yargs';
import { CheckReader, PROFILES, TARGET_NAMES, countBySeverity, type CheckReport, type Finding, type Severity, type TargetLoss, type TargetName } from '../../check/index.js';
import type { CheckedStream } from '../../check/check-reader.js';
import { Progress } from '../stream-input.js';
import { palette, useColor, type Palette } from '../color.js';
import { EXIT } from '../exit-codes.js';
import { HOST_IDS_OPTION, readHostIds } from '../host-ids.js';
import { inputSize, readInputInto, resolveInput } from '../input.js';
import { BlockWriter } from '../output.js';
import { parsePlainArgs } from '../plain-args.js';
import { runCommand } from '../run.js';
import { checkSalvaged, faultLines, salvageInput, salvageJson, salvageVerdict } from '../salvage.js';

/**
 * The size `check` assumes for an input of unknown size (a pipe), for the checker's room: 8 M
 * nodes at once, which costs address space until nodes use it, so that a stream of up to about
 * 700 MB never grows the path set (growing leaves the old arrays in memory until a full
 * collection). Only the command does this: one process, one stream.
 */
const PIPE_ROOM = 256 << 20;

/**
 * How many findings `check --json` lists (the first ones found); every finding is counted, by
 * severity (`counts`) and by rule (`byRule`), and the human form prints every one as found. A
 * stream can have a finding per record: 2 M records once kept 940 MB of them (issue 16).
 */
export const JSON_FINDINGS_KEPT = 1000;

/** Above this many findings, the human form adds the count of each rule after them. */
const TALLY_ABOVE = 10;

interface Args {
  file?: string;
  target?: TargetName;
  strict?: boolean;
  json?: boolean;
  'host-ids'?: string;
  salvage?: boolean;
}

function severityLabel(s: Severity, c: Palette): string {
  const text = s.padEnd(7);
  return s === 'error' ? c.red(c.bold(text)) : s === 'warning' ? c.yellow(text) : c.cyan(text);
}

/** Stream-wide items first, then by domain, then by connection: the report reads per domain. */
function lossOrder(l: TargetLoss): [number, number, number] {
  if (l.domid !== undefined) return [1, l.domid, l.connId ?? -1];
  if (l.connId !== undefined) return [2, l.connId, 0];
  return [0, 0, 0];
}

function sortLosses(losses: TargetLoss[]): TargetLoss[] {
  return losses
    .map((l, i) => ({ l, i, k: lossOrder(l) }))
    .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.k[2] - b.k[2] || a.i - b.i)
    .map((x) => x.l);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The arguments of `xsmig check` when they take only the plain forms (at most one FILE or "-";
 * each of --target T, -t T, --target=T, --strict, --json at most once, T a known target); else
 * undefined, and yargs parses them (help, usage errors, everything else). main.ts runs a plain
 * check without loading yargs, which costs about as much as reading 100 MB.
 */
export function plainCheckArgs(args: readonly string[]): Args | undefined {
  return parsePlainArgs(args, {
    flags: ['--strict', '--json'],
    valued: { key: 'target', names: ['--target', '-t'], accept: (t) => (TARGET_NAMES as readonly string[]).includes(t) },
  }) as Args | undefined;
}

export const checkCommand: CommandModule<object, Args> = {
  command: 'check [file]',
  describe: 'Check a stream against every rule of the format; with --target, say what that reader would lose',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'stream file, or - for stdin' })
      .option('target', {
        alias: 't',
        choices: TARGET_NAMES,
        describe: `reader profile: will it restore everything? (${TARGET_NAMES.map((n) => `${n}: ${PROFILES[n].title}`).join('; ')})`,
      })
      .option('host-ids', HOST_IDS_OPTION)
      .option('strict', { type: 'boolean', default: false, describe: 'warnings fail the check too (exit 1)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object: findings, losses, ok' })
      .option('salvage', { type: 'boolean', describe: 'check a damaged or cut-short stream past its faults (the records read, END added): faults and skipped bytes listed, exit 2' })
      .example('$0 check state_dump', 'every finding, one per line, and a summary')
      .example('$0 check state_dump --target xen-4.17', 'can Xen 4.17-4.20 restore this stream (rollback)?')
      .example('$0 check state_dump --target xen-4.22 --host-ids ids.txt', 'and would any guest be released because its unique-id is not the host\'s?')
      .example('$0 check state_dump --strict --json', 'machine-readable; warnings count as failures') as Argv<Args>,
  handler: async (argv) => {
    const input = resolveInput(argv.file);
    await runCommand(input.label, () => {
      const target = argv.target;
      const hostIds = readHostIds(argv['host-ids']);
      // The input is read into the CheckReader's one window, chunk by chunk: memory does not
      // grow with the stream, only with what the rules must remember (paths, watches,
      // connections, domains; see check/checker.ts). A file's size lets the checker make room
      // for its paths at once; for a pipe it makes room for a large stream (PIPE_ROOM).
      if (argv.salvage) return checkSalvagedInput(input, argv);
      const size = inputSize(input);
      const room = size ?? PIPE_ROOM;
      const c = palette(useColor());
      const out = new BlockWriter(1);
      // Findings are printed (or counted, for --json) as they are found; the checker keeps
      // only the first JSON_FINDINGS_KEPT.
      const byRule = new Map<string, { severity: Severity; count: number }>();
      const counts = { error: 0, warning: 0, info: 0 };
      const onFinding = (f: Finding): void => {
        counts[f.severity]++;
        const r = byRule.get(f.rule);
        if (r) r.count++;
        else byRule.set(f.rule, { severity: f.severity, count: 1 });
        if (!argv.json) out.line(`${severityLabel(f.severity, c)} ${c.dim(f.rule)}  ${f.message}`);
      };
      const reader = new CheckReader({ ...(target ? { target } : {}), ...(hostIds ? { hostIds } : {}), inputSize: room, onFinding, keepFindings: JSON_FINDINGS_KEPT });
      const progress = new Progress(size);
      let read = 0;
      let checked: CheckedStream;
      try {
        readInputInto(
          input,
          () => reader.room(),
          (n) => {
            read += n;
            reader.wrote(n);
            progress.update(read);
          },
        );
        checked = reader.finish();
      } finally {
        progress.done();
        // (the findings before a fault in the stream are printed too)
        out.flush();
      }
      const report = checked.report;
      const stream = { header: checked.header, records: { length: checked.records } };
      // (Items that depend on the host's unique-ids do not fail the verdict: they are said.)
      const blocking = report.losses ?? [];
      const strict = Boolean(argv.strict);
      const pass = counts.error === 0 && (!strict || counts.warning === 0) && blocking.length === 0;

      if (argv.json) {
        const total = counts.error + counts.warning + counts.info;
        const obj = {
          schema: 'xsmig-check/1',
          file: input.label,
          version: stream.header.version,
          byteOrder: stream.header.byteOrder,
          records: stream.records.length,
          counts,
          // The first JSON_FINDINGS_KEPT findings; all of them are counted in counts and byRule.
          findings: report.findings,
          findingsOmitted: total - report.findings.length,
          byRule: Object.fromEntries(byRule),
          // Without --target there is no reader analysis: null, not an empty list.
          target: target ?? null,
          ready: target ? blocking.length === 0 : null,
          losses: target ? blocking : null,
          hostDependent: target ? report.hostDependent ?? [] : null,
          strict,
          ok: pass,
        };
        out.line(JSON.stringify(obj, null, 2));
      } else {
        printHuman(out, c, input.label, stream.header.version, stream.header.byteOrder, stream.records.length, report, counts, byRule, target, strict);
      }
      out.flush();
      return pass ? EXIT.OK : EXIT.FINDING;
    }, Boolean(argv.json));
  },
};

/** `check --salvage`: the rules over the records read past the faults (END added if the input had none). */
function checkSalvagedInput(input: ReturnType<typeof resolveInput>, argv: Args): number {
  const sv = salvageInput(input);
  const size = sv.faults.length ? Math.max(...sv.faults.map((f) => f.skippedTo)) : sv.locations.at(-1)!.offset + sv.locations.at(-1)!.wireLen;
  const target = argv.target;
  const report = checkSalvaged(sv, size, target);
  const counts = countBySeverity(report);
  const blocking = report.losses ?? [];
  const strict = Boolean(argv.strict);
  const pass = counts.error === 0 && (!strict || counts.warning === 0) && blocking.length === 0;
  const out = new BlockWriter(1);
  if (argv.json) {
    out.line(JSON.stringify({
      schema: 'xsmig-check/1', file: input.label, version: sv.header.version, byteOrder: sv.header.byteOrder, records: sv.records.length, counts, findings: report.findings,
      target: target ?? null, ready: target ? blocking.length === 0 : null, losses: target ? blocking : null, hostDependent: target ? report.hostDependent ?? [] : null,
      strict, ok: pass && sv.faults.length === 0 && sv.ended, salvage: salvageJson(sv),
    }, null, 2));
  } else {
    const c = palette(useColor());
    for (const l of faultLines(sv)) out.line(c.red(l));
    const byRule = new Map<string, { severity: Severity; count: number }>();
    for (const f of report.findings) {
      out.line(`${severityLabel(f.severity, c)} ${c.dim(f.rule)}  ${f.message}`);
      const r = byRule.get(f.rule);
      if (r) r.count++;
      else byRule.set(f.rule, { severity: f.severity, count: 1 });
    }
    printHuman(out, c, input.label, sv.header.version, sv.header.byteOrder, sv.records.length, report, counts, byRule, target, strict);
  }
  out.flush();
  const v = salvageVerdict(input.label, sv);
  return v !== EXIT.OK ? v : pass ? EXIT.OK : EXIT.FINDING;
}

/** The summary after the findings (printed as found): per rule when many, the verdict, the target's losses. */
function printHuman(
  out: BlockWriter,
  c: Palette,
  label: string,
  version: number,
  byteOrder: string,
  records: number,
  report: CheckReport,
  n: { error: number; warning: number; info: number },
  byRule: ReadonlyMap<string, { severity: Severity; count: number }>,
  target: TargetName | undefined,
  strict: boolean,
): void {
  if (n.error + n.warning + n.info > TALLY_ABOVE) {
    out.line(`findings by rule: ${[...byRule].map(([rule, r]) => `${rule} ${r.count}`).join(', ')}`);
  }
  const verdict = n.error > 0 ? c.red('not sound') : n.warning > 0 ? c.yellow(strict ? 'warnings (--strict fails them)' : 'sound, with warnings') : c.green('sound');
  out.line(
    `${label}: ${verdict}: ${plural(n.error, 'error')}, ${plural(n.warning, 'warning')}, ${plural(n.info, 'info', 'info')} ` +
      `in ${plural(records, 'record')} (version ${version}, ${byteOrder}-endian)`,
  );
  if (!target) return;
  const losses = [...(report.losses ?? []), ...(report.hostDependent ?? [])];
  const host = losses.filter((l) => l.kind === 'host').length;
  const refused = losses.filter((l) => l.kind === 'refuse').length;
  const lost = losses.length - host - refused;
  const hostText = `${plural(host, 'item')} depend${host === 1 ? 's' : ''} on the host's unique-ids, which xsmig cannot see (give them with --host-ids FILE)`;
  if (losses.length === 0) {
    out.line(`target ${target}: ${c.green('ready')}: ${PROFILES[target].title} restores everything in this stream`);
  } else if (refused + lost === 0) {
    out.line(`target ${target}: ${c.green('ready')} if the host agrees: ${PROFILES[target].title} restores everything in this stream, but ${hostText}:`);
  } else {
    out.line(
      `target ${target}: ${c.red('not ready')}: ${PROFILES[target].title} would ` +
        `${[refused ? `refuse ${plural(refused, 'item')}` : '', lost ? `lose ${plural(lost, 'item')}` : ''].filter(Boolean).join(' and ')}${host ? `, and ${hostText}` : ''}:`,
    );
  }
  for (const l of sortLosses(losses)) {
    out.line(`  ${l.kind === 'refuse' ? c.red('refuse') : l.kind === 'host' ? c.cyan('host  ') : c.yellow('lose  ')} ${l.message}`);
  }
}
