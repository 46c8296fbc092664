// xsmig diff A B: what differs between two streams, by meaning (nodes by path, connections by
// id, watches with their depth, domains, quotas) and, apart, in representation only.

import type { Argv, CommandModule } from 'yargs';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiffEntry } from '../../convert/diff.js';
import { diffFiles, SideDecodeError, type FileDiff } from '../../convert/diff-files.js';
import { palette, useColor } from '../color.js';
import { CliError, EXIT } from '../exit-codes.js';
import { readInputChunks, resolveInput } from '../input.js';
import { BlockWriter } from '../output.js';
import { runCommand } from '../run.js';

interface Args { a: string; b: string; json?: boolean; semantic?: boolean }

/**
 * A path to read the input at, at any offset: the file itself, or standard input copied to a
 * temporary file (diffFiles reads records again).
 */
function inputPath(arg: string, temp: { dir?: string }): { path: string; label: string } {
  const input = resolveInput(arg);
  if (input.path !== undefined) {
    try {
      closeSync(openSync(input.path, 'r'));
      if (statSync(input.path).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? String(e));
      throw new CliError(EXIT.NO_INPUT, `cannot open ${input.label}: ${why}`);
    }
    return { path: input.path, label: input.label };
  }
  temp.dir = mkdtempSync(join(tmpdir(), 'xsmig-diff-'));
  const path = join(temp.dir, 'stdin.bin');
  const fd = openSync(path, 'w');
  try {
    readInputChunks(input, (chunk) => {
      for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at);
    }, 1 << 20, true);
  } finally {
    closeSync(fd);
  }
  return { path, label: input.label };
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
      const temp: { dir?: string } = {};
      let d: FileDiff;
      let a: { path: string; label: string };
      let b: { path: string; label: string };
      try {
        a = inputPath(argv.a, temp);
        b = inputPath(argv.b, temp);
        // Both streams are indexed (item hashes and offsets), then read again to compare: memory
        // grows with their record counts, not their sizes (convert/diff-files.ts).
        try {
          d = diffFiles(a.path, b.path);
        } catch (e) {
          if (e instanceof SideDecodeError) throw new CliError(EXIT.BAD_INPUT, `${(e.side === 'A' ? a : b).label}: not a decodable stream: ${e.message}`);
          throw e;
        }
      } finally {
        if (temp.dir) rmSync(temp.dir, { recursive: true, force: true });
      }
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
        out.line(`A: ${a.label} (version ${d.a.header.version}, ${d.a.header.byteOrder}-endian, ${d.a.records} records)`);
        out.line(`B: ${b.label} (version ${d.b.header.version}, ${d.b.header.byteOrder}-endian, ${d.b.records} records)`);
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
