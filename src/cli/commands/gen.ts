// `xsmig gen`: reproducible streams for other implementations' fuzzers and tests (random
// streams valid by construction, from the fast-check arbitraries), and large realistic ones
// for benchmarks (--nodes / --size, written record by record with bounded memory).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { encodeStream } from '../../model/encode.js';
import { generateRealistic } from '../../model/realistic.js';
import type { ByteOrder } from '../../wire/constants.js';
import { CliError, EXIT } from '../exit-codes.js';
import { writeOutput } from '../output.js';
import { runCommand } from '../run.js';

interface Args {
  seed?: number;
  count: number;
  version: 1 | 2 | undefined;
  'byte-order'?: ByteOrder;
  nodes?: number;
  size?: string;
  'non-canonical': boolean;
  'max-value-size': number;
  output?: string;
  'out-dir'?: string;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "123", "64K", "100M", "1.5GiB" (binary multiples) to bytes. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(s.trim());
  if (!m) throw new CliError(EXIT.USAGE, `--size ${JSON.stringify(s)}: expected a byte count such as 1048576, 64K, 100M or 2G`);
  return Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

/** Seed of the i-th stream: the first uses the seed itself, so --count 1 gives the first of --count K. */
export function streamSeed(seed: number, i: number): number {
  if (i === 0) return seed;
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ i;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function fileName(seed: number, i: number, count: number): string {
  return `xsmig-gen-${seed}-${String(i).padStart(String(count - 1).length, '0')}.bin`;
}

export const genCommand: CommandModule<object, Args> = {
  command: 'gen',
  describe: 'Generate reproducible streams: random valid ones for fuzzers, or large realistic ones',
  builder: (y: Argv) =>
    y
      // `--version` here is the stream version, not the program's.
      .version(false)
      .option('seed', { type: 'number', describe: 'random seed (default: a random one, printed on stderr); the same seed gives the same bytes' })
      .option('count', { type: 'number', default: 1, describe: 'number of streams (more than 1 needs --out-dir)' })
      .option('version', { type: 'number', choices: [1, 2], describe: 'stream version (default: 1 or 2 at random; 2 with --nodes/--size)' })
      .option('byte-order', { type: 'string', choices: ['little', 'big'], describe: 'record byte order (default: either at random; little with --nodes/--size)' })
      .option('nodes', { type: 'number', describe: 'a realistic stream with exactly this many nodes in the tree (about 100 per guest)' })
      .option('size', { type: 'string', describe: 'a realistic stream of about this size: bytes, or 64K, 100M, 2G' })
      .option('non-canonical', { type: 'boolean', default: false, describe: 'random streams with decodable oddities (declared len, non-zero padding, unknown records, ...)' })
      .option('max-value-size', { type: 'number', default: 64, describe: 'largest node value and pending data of random streams, in bytes' })
      .option('output', { alias: 'o', type: 'string', describe: 'output file (written atomically); - for stdout' })
      .option('out-dir', { type: 'string', describe: 'directory for the streams, named xsmig-gen-SEED-I.bin' })
      .conflicts('nodes', 'size')
      .conflicts('output', 'out-dir')
      .example('$0 gen --seed 7 --count 100 --out-dir corpus/', '100 random valid streams for a fuzzer corpus')
      .example('$0 gen --seed 7 --non-canonical -o odd.bin', 'a decodable stream with the oddities a codec must keep')
      .example('$0 gen --size 100M --seed 1 -o big.bin', 'a realistic 100 MiB stream (about 11,000 guests)')
      .example('$0 gen --nodes 50000 --version 1 -o v1.bin', 'a realistic version 1 stream with 50,000 nodes') as unknown as Argv<Args>,
  handler: async (argv) => {
    await runCommand(undefined, async () => {
      const count = argv.count;
      if (!Number.isInteger(count) || count < 1) throw new CliError(EXIT.USAGE, '--count must be a positive integer');
      if (argv.output === undefined && argv['out-dir'] === undefined) throw new CliError(EXIT.USAGE, 'give -o OUT (or -o - for stdout) or --out-dir DIR');
      if (count > 1 && argv['out-dir'] === undefined) throw new CliError(EXIT.USAGE, '--count above 1 needs --out-dir DIR');
      if ((argv.output === '-' || argv.output === '') && process.stdout.isTTY) {
        throw new CliError(EXIT.USAGE, 'gen writes binary: not to a terminal (redirect stdout or give -o FILE)');
      }
      const realistic = argv.nodes !== undefined || argv.size !== undefined;
      if (realistic && argv['non-canonical']) throw new CliError(EXIT.USAGE, '--non-canonical applies to random streams, not to --nodes/--size');
      if (argv.nodes !== undefined && (!Number.isInteger(argv.nodes) || argv.nodes < 1)) throw new CliError(EXIT.USAGE, '--nodes must be a positive integer');
      const maxValueSize = argv['max-value-size'];
      if (!Number.isInteger(maxValueSize) || maxValueSize < 0 || maxValueSize > 0xffff) throw new CliError(EXIT.USAGE, '--max-value-size must be an integer from 0 to 65535');
      let seed = argv.seed;
      if (seed === undefined) {
        seed = Math.floor(Math.random() * 0x100000000);
        process.stderr.write(`xsmig: gen: seed ${seed}\n`);
      } else if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
        throw new CliError(EXIT.USAGE, '--seed must be an integer from 0 to 4294967295');
      }
      const targetBytes = argv.size !== undefined ? parseSize(argv.size) : undefined;
      const version = argv.version as 1 | 2 | undefined;
      const byteOrder = argv['byte-order'];
      const dir = argv['out-dir'];
      if (dir !== undefined) {
        try {
          mkdirSync(dir, { recursive: true });
        } catch (e) {
          throw new CliError(EXIT.CANT_CREATE, `cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      }
      // fast-check is loaded only by this command (it costs the other commands' start-up).
      const { fc, streamArbitrary } = await import('../../model/arbitraries.js');
      const arb = realistic ? undefined : streamArbitrary({ version, byteOrder, nonCanonical: argv['non-canonical'], maxValueSize });
      for (let i = 0; i < count; i++) {
        const s = streamSeed(seed, i);
        const out = dir !== undefined ? join(dir, fileName(seed, i, count)) : argv.output;
        writeOutput(out, (write) => {
          if (arb) {
            write(encodeStream(fc.sample(arb, { seed: s, numRuns: 1 })[0]!));
          } else {
            generateRealistic({ nodes: argv.nodes, targetBytes, seed: s, version: version ?? 2, byteOrder: byteOrder ?? 'little' }, write);
          }
        });
      }
    });
  },
};
