import type { Argv, CommandModule } from 'yargs';
import { JsonFormReader } from '../../model/json-stream.js';
import { StreamWriter } from '../../model/stream-writer.js';
import type { StreamHeader } from '../../model/types.js';
import { endNotLastError, noEndError } from '../../model/validate.js';
import { EncodeError } from '../../wire/errors.js';
import { CliError, EXIT } from '../exit-codes.js';
import { readInputChunks, resolveInput } from '../input.js';
import { writeAllSync, writeOutput } from '../output.js';
import { runCommand } from '../run.js';

interface Args { file?: string; output?: string; json?: boolean }

/**
 * An encoder error named by where it is in the JSON form (`records[2].connId`), not by the
 * record's index and wire field name: the person fixes the JSON.
 */
function atJsonPath(e: EncodeError, recordType: string | undefined): EncodeError {
  if (e.recordIndex < 0) return e.field && !e.message.startsWith(e.field) ? new EncodeError(-1, `${e.field}: ${e.message}`) : e;
  const type = recordType ?? '?';
  let rest = e.message.replace(/^record #\d+: /, '');
  if (rest.startsWith(`${type}: `)) rest = rest.slice(type.length + 2);
  if (e.field && rest.startsWith(`${e.field}: `)) return new EncodeError(-1, `records[${e.recordIndex}].${e.field} (${type}): ${rest.slice(e.field.length + 2)}`);
  return new EncodeError(-1, `records[${e.recordIndex}] (${type}): ${rest}`);
}

export const encodeCommand: CommandModule<object, Args> = {
  command: 'encode [file]',
  describe: 'Write the binary stream for a JSON form',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'JSON form (from decode), or - for stdin' })
      .option('output', { alias: 'o', type: 'string', describe: 'binary output file (written atomically); - for stdout' })
      .option('json', { type: 'boolean', describe: 'a JSON summary of what was written: bytes, version, byte order, records (stderr with -o -)' })
      .example('$0 encode state.json -o state_dump', 'binary stream from its JSON form') as Argv<Args>,
  handler: async (argv) => {
    const input = resolveInput(argv.file);
    // (With -o -, standard output is the stream: the --json summary goes to stderr.)
    const toStdout = argv.output === undefined || argv.output === '-' || argv.output === '';
    await runCommand(input.label, () => {
      if (argv.output === undefined && process.stdout.isTTY) {
        throw new CliError(EXIT.USAGE, 'encode writes binary: give -o OUT (or -o - to force stdout)');
      }
      // Streamed: the JSON form is read line by line (a record per line, as decode writes it,
      // or dump --json's NDJSON; another layout is parsed whole) and each record is written
      // as it comes. On a fault, -o leaves nothing; standard output has what was written.
      let bytes = 0;
      let header: StreamHeader | undefined;
      let records = 0;
      writeOutput(argv.output, (write) => {
        let writer: StreamWriter | undefined;
        let endAt = -1;
        let after = 0;
        let trailing: Uint8Array | undefined;
        let type: string | undefined;
        const reader = new JsonFormReader({
          onHeader: (h) => {
            header = h;
            writer = new StreamWriter(h, (chunk) => {
              bytes += chunk.length;
              write(chunk);
            }, { transient: true });
          },
          onRecord: (r, i) => {
            records++;
            if (endAt >= 0) {
              after++;
              return;
            }
            type = r.type;
            if (r.type === 'END') endAt = i;
            writer!.write(r);
          },
          onTrailing: (b) => {
            trailing = b;
          },
        });
        try {
          readInputChunks(input, (chunk) => reader.push(chunk));
          reader.end();
          if (endAt < 0) throw noEndError();
          if (after) {
            type = 'END';
            throw endNotLastError(endAt, after);
          }
          writer!.end(trailing);
        } catch (e) {
          throw e instanceof EncodeError ? atJsonPath(e, type) : e;
        }
      });
      if (argv.json) {
        const summary = { schema: 'xsmig-encode/1', input: input.label, output: toStdout ? '-' : argv.output!, bytes, version: header!.version, byteOrder: header!.byteOrder, records };
        writeAllSync(toStdout ? 2 : 1, Buffer.from(`${JSON.stringify(summary, null, 2)}\n`));
      }
    }, Boolean(argv.json) && !toStdout);
  },
};
