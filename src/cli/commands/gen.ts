// `xsmig gen`: reproducible streams for other implementations' fuzzers and tests (random
// streams valid by construction, from the fast-check arbitraries), and large realistic ones
// for benchmarks (--nodes / --size, written record by record with bounded memory).

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { encodeStream } from '../../model/encode.js';
import { HostIdsError, parseHostIds } from '../../model/host-ids.js';
import type { StreamArbitraryOptions, UniqueIds } from '../../model/arbitraries.js';
import { generateRealistic } from '../../model/realistic.js';
import { DOMID, type ByteOrder } from '../../wire/constants.js';
import { CliError, EXIT } from '../exit-codes.js';
import { writeAllSync, writeOutput } from '../output.js';
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
  domids?: string;
  transactions?: number;
  'unique-ids'?: 'random' | 'none' | 'host';
  'host-ids'?: string;
  sockets?: boolean;
  pending?: boolean;
  'set-target'?: boolean;
  'extended-watches'?: boolean;
  restorable: boolean;
  json?: boolean;
}

/** The options that shape random streams (none of them applies to --nodes/--size). */
const RANDOM_ONLY = ['domids', 'transactions', 'unique-ids', 'host-ids', 'sockets', 'pending', 'set-target', 'extended-watches', 'restorable'] as const;

/** The highest guest domain id (DOMID_FIRST_RESERVED - 1). */
const MAX_GUEST = DOMID.SELF - 1;

/** "A-B" or "N" (guest domain ids, 1 to 32751) to a range. */
export function parseDomids(s: string): { min: number; max: number } {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(s);
  const min = m ? Number(m[1]) : NaN;
  const max = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(min >= 1 && min <= max && max <= MAX_GUEST)) {
    throw new CliError(EXIT.USAGE, `--domids ${JSON.stringify(s)}: expected a range A-B of guest domain ids, 1 <= A <= B <= ${MAX_GUEST} (e.g. 1-63)`);
  }
  return { min, max };
}

function flagName(k: string, v: unknown): string {
  return v === false ? `--no-${k}` : `--${k}`;
}

/** The streamArbitrary options of --domids ... --restorable (all undefined: today's streams). */
function shapeOptions(argv: Args): Pick<StreamArbitraryOptions, 'domids' | 'counts' | 'uniqueIds' | 'sockets' | 'pendingData' | 'setTarget' | 'extendedWatches' | 'byteOrder'> {
  const restorable = argv.restorable;
  if (restorable) {
    // --restorable leaves these out; asking for them at the same time is a contradiction.
    const clash = (['sockets', 'pending', 'set-target', 'extended-watches'] as const).find((k) => argv[k] === true);
    if (clash) throw new CliError(EXIT.USAGE, `--restorable means --no-${clash}: drop --${clash}`);
    if (argv.transactions !== undefined && argv.transactions !== 0) throw new CliError(EXIT.USAGE, '--restorable means --transactions 0: drop --transactions');
    if (argv['unique-ids'] === 'random') throw new CliError(EXIT.USAGE, '--restorable needs --unique-ids none or host (random ids make the daemon release every guest)');
  }
  const tx = argv.transactions;
  if (tx !== undefined && (!Number.isInteger(tx) || tx < 0)) throw new CliError(EXIT.USAGE, '--transactions must be a non-negative integer (open transactions per connection at most; 0 for none)');
  let mode = argv['unique-ids'];
  const file = argv['host-ids'];
  if (file !== undefined) {
    if (mode !== undefined && mode !== 'host') throw new CliError(EXIT.USAGE, `--host-ids goes with --unique-ids host, not --unique-ids ${mode}`);
    mode = 'host';
  } else if (mode === 'host') {
    throw new CliError(EXIT.USAGE, '--unique-ids host needs --host-ids FILE (lines "DOMID UNIQUE-ID")');
  }
  let uniqueIds: UniqueIds | undefined = mode === 'host' ? undefined : mode ?? (restorable ? 'none' : undefined);
  if (mode === 'host') {
    let text: string;
    try {
      text = readFileSync(file!, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CliError(EXIT.NO_INPUT, `cannot open ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(e))}`);
    }
    try {
      uniqueIds = parseHostIds(text, file);
    } catch (e) {
      if (e instanceof HostIdsError) throw new CliError(EXIT.USAGE, `--host-ids ${e.message}`);
      throw e;
    }
  }
  const off = (v: boolean | undefined) => (v === undefined ? (restorable ? false : undefined) : v);
  return {
    domids: argv.domids !== undefined ? parseDomids(argv.domids) : restorable ? { min: 1, max: 63 } : undefined,
    counts: tx !== undefined || restorable ? { transactions: tx ?? 0 } : undefined,
    uniqueIds,
    sockets: off(argv.sockets),
    pendingData: off(argv.pending),
    setTarget: off(argv['set-target']),
    extendedWatches: off(argv['extended-watches']),
    // Every daemon refuses a stream in another byte order than its own: little on real hosts.
    byteOrder: argv['byte-order'] ?? (restorable ? 'little' : undefined),
  };
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
      .option('domids', { type: 'string', describe: 'guest domain ids of random streams: a range A-B (default 1-32751; a test host may know fewer)' })
      .option('transactions', { type: 'number', describe: 'open transactions per connection at most (default 2; 0: no TRANSACTION_DATA, no transaction nodes)' })
      .option('unique-ids', { type: 'string', choices: ['random', 'none', 'host'], describe: "ring connections' unique-id: random (default), none, or host (the ids of --host-ids)" })
      .option('host-ids', { type: 'string', describe: 'file of the host\'s ids, "DOMID UNIQUE-ID" a line: ring domids are only those, each with its id (implies --unique-ids host)' })
      .option('sockets', { type: 'boolean', describe: 'socket connections besides ring ones (default yes; --no-sockets: ring connections only)' })
      .option('pending', { type: 'boolean', describe: 'pending in-data and out-data (default yes; --no-pending: all empty)' })
      .option('set-target', { type: 'boolean', describe: 'SET_TARGET targets of ring connections (default yes; --no-set-target: every tdomid DOMID_INVALID)' })
      .option('extended-watches', { type: 'boolean', describe: 'WATCH_DATA_EXTENDED in version 2 (default yes; --no-extended-watches: plain WATCH_DATA only)' })
      .option('restorable', {
        type: 'boolean',
        default: false,
        describe: 'a stream a real xenstored restores with its tree intact: --transactions 0 --no-sockets --no-pending --no-set-target --no-extended-watches, --domids 1-63, --unique-ids none (unless given), little-endian',
      })
      .option('json', { type: 'boolean', describe: 'a JSON summary of what was written: seed, and each file with its bytes, version, byte order, records (stderr with -o -)' })
      .conflicts('nodes', 'size')
      .conflicts('output', 'out-dir')
      .example('$0 gen --seed 7 --count 100 --out-dir corpus/', '100 random valid streams for a fuzzer corpus')
      .example('$0 gen --seed 7 --non-canonical -o odd.bin', 'a decodable stream with the oddities a codec must keep')
      .example('$0 gen --restorable --host-ids ids.txt --seed 7 -o r.bin', 'a stream a real xenstored (4.21+) restores with its tree intact')
      .example('$0 gen --size 100M --seed 1 -o big.bin', 'a realistic 100 MiB stream (about 11,000 guests)')
      .example('$0 gen --nodes 50000 --version 1 -o v1.bin', 'a realistic version 1 stream with 50,000 nodes') as unknown as Argv<Args>,
  handler: async (argv) => {
    const toStdout = argv.output === '-' || argv.output === '' || (argv.output === undefined && argv['out-dir'] === undefined && !process.stdout.isTTY);
    await runCommand(undefined, async () => {
      const count = argv.count;
      if (!Number.isInteger(count) || count < 1) throw new CliError(EXIT.USAGE, '--count must be a positive integer');
      // (As encode and dump --html: standard output when it is not a terminal.)
      if (argv.output === undefined && argv['out-dir'] === undefined && !process.stdout.isTTY && argv.count === 1) argv.output = '-';
      if (argv.output === undefined && argv['out-dir'] === undefined) throw new CliError(EXIT.USAGE, 'give -o OUT (or -o - for stdout, or redirect it) or --out-dir DIR');
      if (count > 1 && argv['out-dir'] === undefined) throw new CliError(EXIT.USAGE, '--count above 1 needs --out-dir DIR');
      if ((argv.output === '-' || argv.output === '') && process.stdout.isTTY) {
        throw new CliError(EXIT.USAGE, 'gen writes binary: not to a terminal (redirect stdout or give -o FILE)');
      }
      const realistic = argv.nodes !== undefined || argv.size !== undefined;
      if (realistic && argv['non-canonical']) throw new CliError(EXIT.USAGE, '--non-canonical applies to random streams, not to --nodes/--size');
      const given = RANDOM_ONLY.find((k) => (k === 'restorable' ? argv.restorable : argv[k] !== undefined));
      if (realistic && given) throw new CliError(EXIT.USAGE, `${flagName(given, argv[given])} applies to random streams, not to --nodes/--size`);
      const shape = realistic ? undefined : shapeOptions(argv);
      if (argv.nodes !== undefined && (!Number.isInteger(argv.nodes) || argv.nodes < 1)) throw new CliError(EXIT.USAGE, '--nodes must be a positive integer');
      const maxValueSize = argv['max-value-size'];
      if (!Number.isInteger(maxValueSize) || maxValueSize < 0 || maxValueSize > 0xffff) throw new CliError(EXIT.USAGE, '--max-value-size must be an integer from 0 to 65535');
      const targetBytes = argv.size !== undefined ? parseSize(argv.size) : undefined;
      const version = argv.version as 1 | 2 | undefined;
      const byteOrder = shape?.byteOrder ?? argv['byte-order'];
      // fast-check is loaded only by this command (it costs the other commands' start-up).
      const { fc, streamArbitrary } = await import('../../model/arbitraries.js');
      let arb;
      try {
        arb = realistic ? undefined : streamArbitrary({ ...shape, version, byteOrder, nonCanonical: argv['non-canonical'], maxValueSize });
      } catch (e) {
        // (the host ids cannot serve: no dom0, or no guest within --domids)
        if (e instanceof RangeError && argv['host-ids'] !== undefined) throw new CliError(EXIT.USAGE, `--host-ids ${argv['host-ids']}: ${e.message}`);
        throw e;
      }
      let seed = argv.seed;
      if (seed === undefined) {
        seed = Math.floor(Math.random() * 0x100000000);
        process.stderr.write(`xsmig: gen: seed ${seed}\n`);
      } else if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
        throw new CliError(EXIT.USAGE, '--seed must be an integer from 0 to 4294967295');
      }
      const dir = argv['out-dir'];
      if (dir !== undefined) {
        try {
          mkdirSync(dir, { recursive: true });
        } catch (e) {
          throw new CliError(EXIT.CANT_CREATE, `cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      }
      const files: { path: string; seed: number; bytes: number; version: number; byteOrder: ByteOrder; records: number }[] = [];
      for (let i = 0; i < count; i++) {
        const s = streamSeed(seed, i);
        const out = dir !== undefined ? join(dir, fileName(seed, i, count)) : argv.output;
        writeOutput(out, (write) => {
          if (arb) {
            const stream = fc.sample(arb, { seed: s, numRuns: 1 })[0]!;
            const bytes = encodeStream(stream);
            write(bytes);
            files.push({ path: out === '' || out === undefined ? '-' : out, seed: s, bytes: bytes.length, version: stream.header.version, byteOrder: stream.header.byteOrder, records: stream.records.length });
          } else {
            const v = version ?? 2;
            const order = byteOrder ?? 'little';
            const sum = generateRealistic({ nodes: argv.nodes, targetBytes, seed: s, version: v, byteOrder: order }, write);
            files.push({ path: out === '' || out === undefined ? '-' : out, seed: s, bytes: sum.bytes, version: v, byteOrder: order, records: sum.records });
          }
        });
      }
      if (argv.json) {
        // (With -o -, standard output is the stream: the summary goes to stderr.)
        const toStdout = files.some((f) => f.path === '-');
        writeAllSync(toStdout ? 2 : 1, Buffer.from(`${JSON.stringify({ schema: 'xsmig-gen/1', seed, kind: arb ? 'random' : 'realistic', files }, null, 2)}\n`));
      }
    }, Boolean(argv.json) && !toStdout);
  },
};
