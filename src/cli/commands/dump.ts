import type { Argv, CommandModule } from 'yargs';
import { recordToJson } from '../../model/json.js';
import type { StreamHeader } from '../../model/types.js';
import { palette, useColor } from '../color.js';
import { makeFilter, type FilterArgs } from '../filters.js';
import { resolveInput } from '../input.js';
import { BlockWriter } from '../output.js';
import { renderRecord } from '../render/record.js';
import { runCommand } from '../run.js';
import { streamInput } from '../stream-input.js';

interface Args extends FilterArgs {
  file?: string;
  hex?: boolean;
  json?: boolean;
  'max-bytes': number;
}

export function headerLine(h: StreamHeader): string {
  const flags = (h.reservedFlags | (h.byteOrder === 'big' ? 1 : 0)) >>> 0;
  return `xenstore migration stream, version ${h.version}, ${h.byteOrder}-endian records, flags 0x${flags.toString(16)}` +
    (h.reservedFlags ? ` (reserved bits set: 0x${h.reservedFlags.toString(16)})` : '');
}

export const dumpCommand: CommandModule<object, Args> = {
  command: 'dump [file]',
  describe: 'Show every record and field, with meanings (and bytes with --hex)',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'stream file, or - for stdin (default when piped)' })
      .option('hex', { type: 'boolean', describe: "annotated hex of each record's bytes, one field per line, absolute offsets" })
      .option('json', { type: 'boolean', describe: 'NDJSON: the header, then one object per record (the JSON form plus index, offset, len)' })
      .option('max-bytes', { type: 'number', default: 128, describe: 'cut values and pending data after N bytes (0: show all)' })
      .option('type', { type: 'string', describe: 'only these record types, comma-separated (NODE_DATA,WATCH_DATA or node,watch)' })
      .option('path', { type: 'string', describe: 'only nodes and watches whose path matches GLOB (* within an element, ** across)' })
      .option('conn', { type: 'number', describe: 'only records of connection ID' })
      .option('domid', { type: 'number', describe: "only records of domain ID (its connection, watches, domain data, nodes it owns)" })
      .example('$0 dump state_dump', 'every record with decoded fields')
      .example("$0 dump --hex --path '/local/domain/1/**' state_dump", 'the nodes of domain 1, with their bytes')
      .example('$0 dump --json state_dump | jq -c "select(.type==\\"WATCH_DATA\\")"', 'NDJSON for jq') as Argv<Args>,
  handler: async (argv) => {
    const input = resolveInput(argv.file);
    const out = new BlockWriter(1);
    await runCommand(input.label, () => {
      const filter = makeFilter(argv);
      const color = palette(useColor() && !argv.json);
      let order: StreamHeader['byteOrder'] = 'little';
      let shown = 0;
      let total = 0;
      try {
        streamInput(input, {
          onHeader: (h) => {
            order = h.byteOrder;
            if (argv.json) out.line(JSON.stringify({ header: h }));
            else out.line(color.bold(headerLine(h)));
          },
          onRecord: (r, loc, bytes) => {
            total++;
            if (filter && !filter(r)) return;
            shown++;
            if (argv.json) {
              out.line(JSON.stringify({ index: loc.index, offset: loc.offset, len: loc.len, ...recordToJson(r) }));
              return;
            }
            out.line('');
            for (const l of renderRecord(r, loc, bytes, { order, maxBytes: argv['max-bytes'], hex: Boolean(argv.hex), color })) out.line(l);
          },
          onTrailing: (count) => {
            if (argv.json) out.line(JSON.stringify({ trailingBytes: count }));
            else out.line(color.yellow(`\n${count} bytes after the END record (kept, not decoded)`));
          },
        });
        if (!argv.json) out.line(`\n${total} records${filter ? `, ${shown} shown` : ''}`);
      } finally {
        out.flush();
      }
    });
  },
};
