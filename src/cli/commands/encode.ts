import type { Argv, CommandModule } from 'yargs';
import { encodeStreamTo } from '../../model/encode.js';
import { streamFromJson } from '../../model/json.js';
import type { Stream } from '../../model/types.js';
import { EncodeError } from '../../wire/errors.js';
import { CliError, EXIT } from '../exit-codes.js';
import { readWholeInput, resolveInput } from '../input.js';
import { writeAllSync, writeOutput } from '../output.js';
import { runCommand } from '../run.js';

interface Args { file?: string; output?: string; json?: boolean }

/**
 * An encoder error named by where it is in the JSON form (`records[2].connId`), not by the
 * record's index and wire field name: the person fixes the JSON.
 */
function atJsonPath(e: EncodeError, stream: Stream): EncodeError {
  if (e.recordIndex < 0) return e.field && !e.message.startsWith(e.field) ? new EncodeError(-1, `${e.field}: ${e.message}`) : e;
  const type = stream.records[e.recordIndex]?.type ?? '?';
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
      let text = readWholeInput(input).toString('utf8');
      // (A byte-order mark some editors put first is not JSON: JSON.parse calls it a token.)
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      const stream = streamFromJson(JSON.parse(text));
      let bytes = 0;
      try {
        writeOutput(argv.output, (write) => encodeStreamTo(stream, (chunk) => {
          bytes += chunk.length;
          write(chunk);
        }));
      } catch (e) {
        throw e instanceof EncodeError ? atJsonPath(e, stream) : e;
      }
      if (argv.json) {
        const summary = { schema: 'xsmig-encode/1', input: input.label, output: toStdout ? '-' : argv.output!, bytes, version: stream.header.version, byteOrder: stream.header.byteOrder, records: stream.records.length };
        writeAllSync(toStdout ? 2 : 1, Buffer.from(`${JSON.stringify(summary, null, 2)}\n`));
      }
    }, Boolean(argv.json) && !toStdout);
  },
};
