import type { Argv, CommandModule } from 'yargs';
import { JsonFormWriter } from '../../model/json-stream.js';
import { resolveInput } from '../input.js';
import { writeOutput } from '../output.js';
import { runCommand } from '../run.js';
import { streamInput } from '../stream-input.js';

interface Args { file?: string; output?: string }

export const decodeCommand: CommandModule<object, Args> = {
  command: 'decode [file]',
  describe: 'Print the lossless JSON form of a stream',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'stream file, or - for stdin' })
      .option('output', { alias: 'o', type: 'string', describe: 'write the JSON here (atomically) instead of stdout' })
      .example('$0 decode state_dump > state.json', 'JSON form of a saved stream')
      .example('$0 decode state_dump | $0 encode - -o copy && cmp state_dump copy', 'the round trip is byte for byte') as Argv<Args>,
  handler: async (argv) => {
    const input = resolveInput(argv.file);
    await runCommand(input.label, () => {
      // Streamed: each record is written as it is read (memory bounded by the largest record),
      // the same text as streamToJsonText of the whole stream. On a fault the JSON written to
      // standard output so far is cut short (with -o nothing is left).
      writeOutput(argv.output, (write) => {
        const out = new JsonFormWriter(write);
        streamInput(input, {
          onHeader: (h) => out.header(h),
          onRecord: (r, loc) => out.recordAt(r, loc),
        }, {
          reuseLocation: true,
          chunksReused: true,
          // (The bytes after END are taken from the chunks themselves.)
          tap: (chunk) => out.input(chunk),
        });
        out.end();
      });
    });
  },
};
