import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { writeRecord } from '../../model/encode.js';
import { printableText, recordToJson } from '../../model/json.js';
import { messagesJson } from '../render/messages.js';
import type { RecordLocation, StreamHeader, XsRecord } from '../../model/types.js';
import { DecodeError } from '../../wire/errors.js';
import { BinaryWriter } from '../../wire/writer.js';
import { palette, useColor } from '../color.js';
import { CliError, EXIT } from '../exit-codes.js';
import { checkU32Option, makeFilter, parseTypeList, type FilterArgs } from '../filters.js';
import { readWholeInput, resolveInput, type InputSpec } from '../input.js';
import { BlockWriter, writeOutput } from '../output.js';
import { parsePlainArgs } from '../plain-args.js';
import { completeRecord, DUMP_SELECTION, renderRecordBytes, renderSelectedRecordBytes } from '../render/dump-bytes.js';
import type { HtmlReportOptions } from '../render/html-report.js';
import { headerLine } from '../render/names.js';
import { renderRecord } from '../render/record.js';
import { runCommand } from '../run.js';
import { faultJson, faultLines, salvageInput, salvageJson, salvageVerdict } from '../salvage.js';
import { streamInput } from '../stream-input.js';

interface Args extends FilterArgs {
  file?: string;
  hex?: boolean;
  json?: boolean;
  html?: boolean;
  output?: string;
  check?: boolean;
  'max-bytes': number;
  record?: string;
  at?: string;
  context?: number;
  salvage?: boolean;
}

/** Records `from`..`to` (indexes, inclusive) of a navigation option. */
interface IndexRange { from: number; to: number }

/** `--record N` or `--record N-M`. */
export function parseRecordRange(s: string): IndexRange {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s.trim());
  if (!m) throw new CliError(EXIT.USAGE, `--record takes N or N-M (record indexes, as dump shows them: #N), not "${s}"`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (to < from) throw new CliError(EXIT.USAGE, `--record ${s}: the range ends before it starts`);
  return { from, to };
}

/** `--at OFFSET`: decimal or 0x hex. */
export function parseOffset(s: string): number {
  const t = s.trim();
  const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t.slice(2), 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n)) throw new CliError(EXIT.USAGE, `--at takes a byte offset, decimal or 0x hex (as findings give it), not "${s}"`);
  return n;
}

/**
 * The index of the record holding byte `offset`, found by walking the record headers (type
 * and len, 8 bytes each) without decoding: -1 for the header. `read(pos, n)` gives the bytes
 * at `pos` (fewer at the end of the input).
 */
export function recordIndexAt(read: (pos: number, n: number) => Buffer, offset: number): { index: number; start: number; end: number } | { past: number; trailing?: boolean; cut?: boolean } {
  if (offset < 16) return { index: -1, start: 0, end: 16 };
  const head = read(0, 16);
  if (head.length < 16) return { past: head.length, cut: true };
  const big = (head.readUInt32BE(12) & 1) === 1;
  let pos = 16;
  for (let index = 0; ; index++) {
    const h = read(pos, 8);
    if (h.length < 8) return { past: pos + h.length, cut: true };
    const type = big ? h.readUInt32BE(0) : h.readUInt32LE(0);
    const len = big ? h.readUInt32BE(4) : h.readUInt32LE(4);
    const end = pos + 8 + Math.ceil(len / 8) * 8;
    if (offset < end) return { index, start: pos, end };
    pos = end;
    if (type === 0) return { past: pos, trailing: true };
  }
}

/**
 * `dump --html`: the report page. The whole input is read into memory (the page embeds every
 * byte; reading it once is simplest), the records are decoded one at a time from it, and the
 * page is written piece by piece: beyond the input, memory holds one chunk of records and what
 * `info` and `check` remember (connections, domains, paths).
 */
async function dumpHtml(input: InputSpec, argv: Args): Promise<void> {
  if (argv.hex || argv.json) throw new CliError(EXIT.USAGE, '--html cannot be combined with --hex or --json');
  if (argv.output === undefined && process.stdout.isTTY) {
    throw new CliError(EXIT.USAGE, '--html writes a whole page: give -o FILE.html (or redirect standard output)');
  }
  const types = argv.type !== undefined ? [...parseTypeList(argv.type)] : undefined;
  const bytes = readWholeInput(input);
  // (loaded here: the report brings check and info along, which a plain dump does not need)
  const { writeHtmlReport } = await import('../render/html-report.js');

  const opts: HtmlReportOptions = {
    label: input.label,
    maxBytes: argv['max-bytes'],
    check: argv.check !== false,
    filter: { types, path: argv.path, conn: argv.conn, domid: argv.domid },
  };
  let error: DecodeError | undefined;
  writeOutput(argv.output, (write) => {
    // Pieces are gathered into blocks of about 1 MiB before each write.
    let parts: string[] = [];
    let size = 0;
    const flush = () => {
      if (size) write(Buffer.from(parts.join(''), 'utf8'));
      parts = [];
      size = 0;
    };
    error = writeHtmlReport(bytes, opts, (piece) => {
      parts.push(piece);
      size += piece.length;
      if (size >= 1 << 20) flush();
    }).error;
    flush();
  });
  // The page shows the records before a fault; the command still fails like `dump`.
  if (error) throw error;
}

/**
 * `dump` in its plain forms (main.ts runs them without loading yargs): FILE or `-`, `--hex`,
 * `--json`, `--max-bytes N` with N a decimal number. Anything else (filters, --html, help,
 * other spellings of a number) is left to yargs.
 */
export function plainDumpArgs(args: readonly string[]): Args | undefined {
  const a = parsePlainArgs(args, {
    flags: ['--hex', '--json'],
    valued: { key: 'max-bytes', names: ['--max-bytes'], accept: (v) => /^[0-9]{1,9}$/.test(v) },
  });
  if (!a) return undefined;
  return { ...a, 'max-bytes': a['max-bytes'] === undefined ? 128 : Number(a['max-bytes']) } as Args;
}

/** --max-bytes, --conn, --domid: whole numbers (yargs takes "abc" as NaN and -5 as -5). */
function checkDumpNumbers(argv: Args): void {
  if (argv.context !== undefined && (!Number.isInteger(argv.context) || argv.context < 0)) {
    throw new CliError(EXIT.USAGE, `--context takes a whole number of records, 0 or more${Number.isNaN(argv.context) ? '' : `, not ${argv.context}`}`);
  }
  if (argv.context !== undefined && argv.record === undefined && argv.at === undefined) throw new CliError(EXIT.USAGE, '--context goes with --record or --at');
  if (argv.record !== undefined && argv.at !== undefined) throw new CliError(EXIT.USAGE, 'give --record or --at, not both');
  if (argv.salvage && argv.html) throw new CliError(EXIT.USAGE, '--salvage cannot be combined with --html');
  if ((argv.record !== undefined || argv.at !== undefined) && argv.html) throw new CliError(EXIT.USAGE, '--record and --at select records of the text, --hex and --json forms: not with --html');
  const m = argv['max-bytes'];
  if (!Number.isInteger(m) || m < 0) throw new CliError(EXIT.USAGE, `--max-bytes takes a whole number, 0 or more (0: show all), not "${String(m)}"`);
  checkU32Option('conn', argv.conn);
  checkU32Option('domid', argv.domid);
}

/**
 * The records --record / --at (with --context) select, or undefined without them. --at on a
 * file walks its record headers (reads of 8 bytes); on standard input, which cannot be read
 * twice, it is refused.
 */
function navigationRange(input: InputSpec, argv: Args): IndexRange | undefined {
  const k = argv.context ?? 0;
  if (argv.record !== undefined) {
    const r = parseRecordRange(argv.record);
    return { from: Math.max(0, r.from - k), to: r.to + k };
  }
  if (argv.at === undefined) return undefined;
  const offset = parseOffset(argv.at);
  if (input.path === undefined) throw new CliError(EXIT.USAGE, '--at needs a FILE (standard input cannot be read twice); use --record N for a pipe');
  let fd: number;
  try {
    fd = openSync(input.path, 'r');
  } catch {
    readWholeInput(input); // (throws the usual "cannot open" error)
    throw new Error('unreachable');
  }
  try {
    const size = fstatSync(fd).size;
    if (offset >= size) throw new CliError(EXIT.USAGE, `--at ${argv.at}: byte ${offset} is past the end of the input (${size} bytes)`);
    const found = recordIndexAt((pos, n) => {
      const b = Buffer.alloc(n);
      return b.subarray(0, readSync(fd, b, 0, n, pos));
    }, offset);
    if ('past' in found) {
      const why = found.trailing ? `after the END record (byte ${found.past} on: trailing bytes)` : found.cut ? `past the last whole record (the input ends, cut short, at byte ${found.past})` : `past the end`;
      throw new CliError(EXIT.USAGE, `--at ${argv.at}: byte ${offset} is ${why}`);
    }
    const from = found.index < 0 ? 0 : found.index;
    return { from: Math.max(0, from - k), to: (found.index < 0 ? -1 : found.index) + k };
  } finally {
    closeSync(fd);
  }
}

/** A decoded record's bytes, by encoding it again (exact: see the codec's round-trip tests). */
function encodedRecord(r: XsRecord, loc: RecordLocation, order: StreamHeader['byteOrder']): Uint8Array {
  const w = new BinaryWriter(order, undefined, Math.max(64, loc.wireLen));
  writeRecord(w, r, loc.index);
  const bytes = w.result();
  if (bytes.length !== loc.wireLen) throw new Error(`record #${loc.index} encodes to ${bytes.length} bytes, not the ${loc.wireLen} read`);
  return bytes;
}

/** The version of `dump --json` (spec/schemas/dump.schema.json), on its header line. */
const DUMP_SCHEMA = 'xsmig-dump/1';

export const dumpCommand: CommandModule<object, Args> = {
  command: 'dump [file]',
  describe: 'Show every record and field, with meanings (and bytes with --hex)',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'stream file, or - for stdin (default when piped)' })
      .option('hex', { type: 'boolean', describe: "annotated hex of each record's bytes, one field per line, absolute offsets" })
      .option('json', { type: 'boolean', describe: 'NDJSON: the header, then one object per record (the JSON form plus index, offset, len)' })
      .option('html', { type: 'boolean', describe: 'one self-contained HTML page: filterable record list, fields and coloured bytes, findings (use with -o)' })
      .option('check', { type: 'boolean', default: true, describe: 'with --html: run check and mark its findings (--no-check to skip)' })
      .option('output', { alias: 'o', type: 'string', describe: 'with --html: write the page to FILE (default: standard output, when not a terminal)' })
      .option('max-bytes', { type: 'number', default: 128, describe: 'cut values and pending data after N bytes (0: show all)' })
      .option('type', { type: 'string', describe: 'only these record types, comma-separated (NODE_DATA,WATCH_DATA or node,watch)' })
      .option('path', { type: 'string', describe: 'only nodes and watches whose path matches GLOB (* within an element, ** across)' })
      .option('conn', { type: 'number', describe: 'only records of connection ID' })
      .option('domid', { type: 'number', describe: "only records of domain ID (its connection, watches, domain data, nodes it owns)" })
      .option('record', { type: 'string', describe: 'only record N, or records N-M (indexes as dump shows them: #N)' })
      .option('at', { type: 'string', describe: 'only the record holding byte OFFSET (decimal or 0x hex, as findings say "at byte 352")' })
      .option('salvage', { type: 'boolean', describe: 'read a damaged or cut-short stream past its faults: each fault and the bytes skipped are shown (exit 2)' })
      .option('context', { type: 'number', describe: 'with --record or --at: also K records before and after' })
      .example('$0 dump state_dump', 'every record with decoded fields')
      .example("$0 dump --hex --path '/local/domain/1/**' state_dump", 'the nodes of domain 1, with their bytes')
      .example('$0 dump --at 0x160 --context 1 state_dump', 'the record holding byte 0x160, and its neighbours')
      .example('$0 dump --html state_dump -o report.html', 'a page to open in a browser or attach to a bug report')
      .example('$0 dump --json state_dump | jq -c "select(.type==\\"WATCH_DATA\\")"', 'NDJSON for jq') as Argv<Args>,
  handler: async (argv) => {
    const input = resolveInput(argv.file);
    await runCommand(undefined, () => checkDumpNumbers(argv), argv.json ? 'ndjson' : false);
    if (process.exitCode) return;
    if (argv.html) {
      await runCommand(input.label, () => dumpHtml(input, argv));
      return;
    }
    if (argv.output !== undefined) {
      await runCommand(undefined, () => {
        throw new CliError(EXIT.USAGE, '-o/--output is for --html; text and --json go to standard output');
      });
      return;
    }
    // The field text is ASCII by construction (every other byte is escaped), so it is written
    // as latin1, the cheapest encoding; NDJSON and the hex view's text column may not be.
    const out = new BlockWriter(1, argv.json || argv.hex ? 'utf8' : 'latin1');
    await runCommand(input.label, () => {
      const range = navigationRange(input, argv);
      const inRange = range ? (loc: RecordLocation) => loc.index >= range.from && loc.index <= range.to : undefined;
      const filter0 = makeFilter(argv);
      const filter = inRange
        ? (r: XsRecord, loc: RecordLocation) => (!filter0 || filter0(r)) && inRange(loc) // (filter0 sees every record: --domid remembers connections)
        : filter0 ? (r: XsRecord) => filter0(r) : undefined;
      const colored = useColor() && !argv.json;
      const color = palette(colored);
      // Plain text without --hex takes the byte renderer for the records it covers.
      const fast = !colored && !argv.hex && !argv.json;
      const maxBytes = argv['max-bytes'];
      let order: StreamHeader['byteOrder'] = 'little';
      let shown = 0;
      let total = 0;
      // The general way: every record when colour, --hex or --json asks for it; else the
      // ones the byte renderer hands back.
      const show = (r: XsRecord, loc: RecordLocation, bytes: Uint8Array): void => {
        if (argv.json) {
          const j: Record<string, unknown> = { index: loc.index, offset: loc.offset, len: loc.len, ...recordToJson(r) };
          if (r.type === 'CONNECTION_DATA') {
            // Beside the JSON form's bytes, every pending wire message with its fields.
            if (r.inData.length) j.inDataMessages = messagesJson(r.inData, order, 0, printableText);
            if (r.outData.length) j.outDataMessages = messagesJson(r.outData, order, r.outRespLen, printableText);
          }
          out.line(JSON.stringify(j));
          return;
        }
        out.line('');
        for (const l of renderRecord(r, loc, bytes, { order, maxBytes, hex: Boolean(argv.hex), color })) out.line(l);
      };
      if (argv.salvage) {
        // Read whole, past its faults; each fault where it is, with the bytes skipped.
        const sv = salvageInput(input);
        order = sv.header.byteOrder;
        try {
          if (argv.json) out.line(JSON.stringify({ schema: DUMP_SCHEMA, header: sv.header }));
          else out.line(color.bold(headerLine(sv.header)));
          let fi = 0;
          const fault = (f: (typeof sv.faults)[number]): void => {
            if (argv.json) out.line(JSON.stringify({ fault: faultJson(f) }));
            else {
              out.line('');
              for (const l of faultLines({ ...sv, faults: [f], ended: true })) out.line(color.red(l));
            }
          };
          sv.records.forEach((r, i) => {
            const loc = sv.locations[i]!;
            while (fi < sv.faults.length && sv.faults[fi]!.skippedFrom <= loc.offset) fault(sv.faults[fi++]!);
            total++;
            if (filter && !filter(r, loc)) return;
            shown++;
            show(r, loc, sv.bytes[i]!);
          });
          while (fi < sv.faults.length) fault(sv.faults[fi++]!);
          if (argv.json) out.line(JSON.stringify({ salvage: salvageJson(sv) }));
          else {
            if (!sv.ended) out.line(color.red(`\n${faultLines({ ...sv, faults: [] }).at(-1)!}`));
            if (sv.trailing) out.line(color.yellow(`\n${sv.trailing} bytes after the END record (kept, not decoded)`));
            out.line(`\n${total} records read${filter ? `, ${shown} shown` : ''}; ${sv.faults.length} fault(s)`);
          }
        } finally {
          out.flush();
        }
        return salvageVerdict(input.label, sv);
      }
      try {
        streamInput(input, {
          onHeader: (h) => {
            order = h.byteOrder;
            if (argv.json) out.line(JSON.stringify({ schema: DUMP_SCHEMA, header: h }));
            else out.line(color.bold(headerLine(h)));
          },
          // An onRecord of two parameters gets no view of each record's bytes from the reader
          // (measured: making one per record costs 10% of the fast dump); the few records the
          // byte renderer hands back get their bytes by encoding them again, which gives the
          // bytes read (the codec's round trip is exact, anomalies included).
          onRecord: fast && !filter
            ? (r: XsRecord, loc: RecordLocation) => {
              total++;
              // The byte renderer writes the block (blank line included) or, for what it does
              // not cover, nothing: then the general renderer shows the record, made whole.
              if (renderSelectedRecordBytes(r, loc, out, maxBytes, order)) return;
              const whole = completeRecord(r, loc, order);
              show(whole, loc, encodedRecord(whole, loc, order));
            }
            : fast
            ? (r: XsRecord, loc: RecordLocation) => {
              total++;
              if (filter && !filter(r, loc)) return;
              shown++;
              if (!renderRecordBytes(r, loc, out, maxBytes)) show(r, loc, encodedRecord(r, loc, order));
            }
            : (r: XsRecord, loc: RecordLocation, bytes: Uint8Array) => {
              total++;
              if (filter && !filter(r, loc)) return;
              shown++;
              show(r, loc, bytes);
            },
          onTrailing: (count) => {
            if (argv.json) out.line(JSON.stringify({ trailingBytes: count }));
            else out.line(color.yellow(`\n${count} bytes after the END record (kept, not decoded)`));
          },
          // Nothing of a record, its location or its chunk is kept past its onRecord call: one
          // location object and one read buffer serve the whole input. Without a filter (which
          // looks at paths), the bulk records come with their strings as spans of the input, for
          // the byte renderer (see DUMP_SELECTION).
        }, { reuseLocation: true, chunksReused: true, select: fast && !filter ? DUMP_SELECTION : undefined });
        if (!argv.json) out.line(`\n${total} records${filter ? `, ${shown} shown` : ''}`);
      } finally {
        out.flush();
      }
    }, argv.json ? 'ndjson' : false);
  },
};
