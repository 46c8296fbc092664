import type { Argv, CommandModule } from 'yargs';
import { writeRecord } from '../../model/encode.js';
import { recordToJson } from '../../model/json.js';
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
import { streamInput } from '../stream-input.js';

interface Args extends FilterArgs {
  file?: string;
  hex?: boolean;
  json?: boolean;
  html?: boolean;
  output?: string;
  check?: boolean;
  'max-bytes': number;
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
  const m = argv['max-bytes'];
  if (!Number.isInteger(m) || m < 0) throw new CliError(EXIT.USAGE, `--max-bytes takes a whole number, 0 or more (0: show all), not "${String(m)}"`);
  checkU32Option('conn', argv.conn);
  checkU32Option('domid', argv.domid);
}

/** A decoded record's bytes, by encoding it again (exact: see the codec's round-trip tests). */
function encodedRecord(r: XsRecord, loc: RecordLocation, order: StreamHeader['byteOrder']): Uint8Array {
  const w = new BinaryWriter(order, undefined, Math.max(64, loc.wireLen));
  writeRecord(w, r, loc.index);
  const bytes = w.result();
  if (bytes.length !== loc.wireLen) throw new Error(`record #${loc.index} encodes to ${bytes.length} bytes, not the ${loc.wireLen} read`);
  return bytes;
}

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
      .example('$0 dump state_dump', 'every record with decoded fields')
      .example("$0 dump --hex --path '/local/domain/1/**' state_dump", 'the nodes of domain 1, with their bytes')
      .example('$0 dump --html state_dump -o report.html', 'a page to open in a browser or attach to a bug report')
      .example('$0 dump --json state_dump | jq -c "select(.type==\\"WATCH_DATA\\")"', 'NDJSON for jq') as Argv<Args>,
  handler: async (argv) => {
    const input = resolveInput(argv.file);
    await runCommand(undefined, () => checkDumpNumbers(argv));
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
      const filter = makeFilter(argv);
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
          out.line(JSON.stringify({ index: loc.index, offset: loc.offset, len: loc.len, ...recordToJson(r) }));
          return;
        }
        out.line('');
        for (const l of renderRecord(r, loc, bytes, { order, maxBytes, hex: Boolean(argv.hex), color })) out.line(l);
      };
      try {
        streamInput(input, {
          onHeader: (h) => {
            order = h.byteOrder;
            if (argv.json) out.line(JSON.stringify({ header: h }));
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
              if (filter && !filter(r)) return;
              shown++;
              if (!renderRecordBytes(r, loc, out, maxBytes)) show(r, loc, encodedRecord(r, loc, order));
            }
            : (r: XsRecord, loc: RecordLocation, bytes: Uint8Array) => {
              total++;
              if (filter && !filter(r)) return;
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
