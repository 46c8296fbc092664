import type { Argv, CommandModule } from 'yargs';
import { encodeStreamTo } from '../../model/encode.js';
import { streamFromJson } from '../../model/json.js';
import { CliError, EXIT } from '../exit-codes.js';
import { readWholeInput, resolveInput } from '../input.js';
import { writeOutput } from '../output.js';
import { runCommand } from '../run.js';

interface Args { file?: string; output?: string }

export const encodeCommand: CommandModule<object, Args> = {
  command: 'encode [file]',
  describe: 'Write the binary stream for a JSON form',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'JSON form (from decode), or - for stdin' })
      .option('output', { alias: 'o', type: 'string', describe: 'binary output file (written atomically); - for stdout' })
      .example('$0 encode state.json -o state_dump', 'binary stream from its JSON form') as Argv<Args>,
  handler: async (argv) => {
    const input = resolveInput(argv.file);
    await runCommand(input.label, () => {
      if (argv.output === undefined && process.stdout.isTTY) {
        throw new CliError(EXIT.USAGE, 'encode writes binary: give -o OUT (or -o - to force stdout)');
      }
      const text = readWholeInput(input).toString('utf8');
      const stream = streamFromJson(JSON.parse(text));
      writeOutput(argv.output, (write) => encodeStreamTo(stream, write));
    });
  },
};
