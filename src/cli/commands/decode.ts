import type { Argv, CommandModule } from 'yargs';
import { decodeStream } from '../../model/decode.js';
import { streamToJsonText } from '../../model/json.js';
import { readWholeInput, resolveInput } from '../input.js';
import { writeOutput } from '../output.js';
import { runCommand } from '../run.js';

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
      const stream = decodeStream(readWholeInput(input));
      const text = Buffer.from(streamToJsonText(stream), 'utf8');
      writeOutput(argv.output, (write) => write(text));
    });
  },
};
