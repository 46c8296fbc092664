// xsmig diff A B: what differs between two streams, by meaning (nodes by path, connections by
// id, watches with their depth, domains, quotas) and, apart, in representation only.

import type { Argv, CommandModule } from 'yargs';
import { diffStreams, type DiffEntry } from '../../convert/diff.js';
import { decodeStream } from '../../model/decode.js';
import type { Stream } from '../../model/types.js';
import { DecodeError } from '../../wire/errors.js';
import { palette, useColor } from '../color.js';
import { CliError, EXIT } from '../exit-codes.js';
import { readWholeInput, resolveInput } from '../input.js';
import { BlockWriter } from '../output.js';
import { runCommand } from '../run.js';

interface Args { a: string; b: string; json?: boolean; semantic?: boolean }

function load(arg: string): { stream: Stream; label: string } {
  const input = resolveInput(arg);
  try {
    return { stream: decodeStream(readWholeInput(input)), label: input.label };
  } catch (e) {
    if (e instanceof DecodeError) throw new CliError(EXIT.BAD_INPUT, `${input.label}: not a decodable stream: ${e.message}`);
    throw e;
  }
}

export const diffCommand: CommandModule<object, Args> = {
  command: 'diff <a> <b>',
  describe: 'Compare two streams by meaning; byte-level differences listed apart',
  builder: (y: Argv) =>
    y
      .positional('a', { type: 'string', describe: 'first stream (- for stdin)', demandOption: true })
      .positional('b', { type: 'string', describe: 'second stream (- for stdin)', demandOption: true })
      .option('json', { type: 'boolean', describe: 'the differences as JSON' })
      .option('semantic', { type: 'boolean', describe: 'exit 0 when only byte-level differences remain' })
      .example('$0 diff state_dump rollback', 'what a conversion changed')
      .epilogue('Exit 0 when equal, 1 when they differ, 2 when an input is not a decodable stream.') as Argv<Args>,
  handler: async (argv) => {
    await runCommand(undefined, () => {
      if ((argv.a === '-' || argv.a === '') && (argv.b === '-' || argv.b === '')) {
        throw new CliError(EXIT.USAGE, 'only one of A and B can be standard input');
      }
      const a = load(argv.a);
      const b = load(argv.b);
      const d = diffStreams(a.stream, b.stream);
      const differ = argv.semantic ? d.semantic.length > 0 : !d.equal;
      const out = new BlockWriter(1);
      if (argv.json) {
        out.text(`${JSON.stringify({ schema: 'xsmig-diff/1', a: a.label, b: b.label, equal: d.equal, semantic: d.semantic, bytes: d.bytes }, null, 2)}\n`);
      } else {
        const c = palette(useColor(process.stdout));
        const show = (e: DiffEntry): string => {
          const at = [e.indexA !== undefined ? `A#${e.indexA}` : '', e.indexB !== undefined ? `B#${e.indexB}` : ''].filter(Boolean).join(' ');
          return `  ${e.message}${at ? c.dim(`  [${at}]`) : ''}`;
        };
        out.line(`A: ${a.label} (version ${a.stream.header.version}, ${a.stream.header.byteOrder}-endian, ${a.stream.records.length} records)`);
        out.line(`B: ${b.label} (version ${b.stream.header.version}, ${b.stream.header.byteOrder}-endian, ${b.stream.records.length} records)`);
        if (d.semantic.length) {
          out.line(c.bold(`${d.semantic.length} difference(s) in meaning:`));
          for (const e of d.semantic) out.line(show(e));
        }
        if (d.bytes.length) {
          out.line(c.bold(`${d.bytes.length} difference(s) in representation only (no meaning for a reader):`));
          for (const e of d.bytes) out.line(show(e));
        }
        if (d.equal) out.line('equal');
        else if (!differ) out.line('equal in meaning');
      }
      out.flush();
      return differ ? EXIT.FINDING : EXIT.OK;
    }, Boolean(argv.json));
  },
};
