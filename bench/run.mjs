// npm run bench: speed and memory of xsmig on a realistic ~100 MB stream, against the floor
// (node reading the file into one Buffer), measured in the same run.
//
// Every figure is whole-process: each task runs in a child `node` process (compiled dist/, no
// TypeScript at start-up), with bench/usage.cjs preloaded to report its peak RSS and CPU time.
// The floor and the task alternate; the ratio of each pair is taken, and the median and the
// range (min-max) of the pair ratios are printed, so that a busy machine shows as a wide range
// rather than as a wrong figure.
//
//   npm run bench                      all tasks, 5 pairs each
//   BENCH_RUNS=9 npm run bench         more pairs
//   npm run bench -- info dump         only the tasks whose name contains one of the words
//   BENCH_BP=1 npm run bench           also time the binary-parser decoder (slow)
//
// The stream is generated once into bench/data/ (gitignored) and reused.

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');
const dataDir = join(here, 'data');
const cliMain = join(root, 'dist', 'cli', 'main.js');
// The CLI runs with the node flags of its shebang (as `xsmig ...` does); measure it so.
const cliFlags = existsSync(cliMain) ? (/^#!.*\bnode\b(.*)$/m.exec(readFileSync(cliMain, 'utf8').split('\n')[0])?.[1] ?? '').trim().split(/\s+/).filter(Boolean) : [];
const withCliFlags = (args) => (args[0] === cliMain ? [...cliFlags, ...args] : args);
const tasksJs = join(here, 'tasks.mjs');
const usageCjs = join(here, 'usage.cjs');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const MiB = 1024 * 1024;

if (!existsSync(join(root, 'dist', 'model', 'fast-decode.js'))) {
  console.error('bench: dist/ is missing or stale; run `npm run build` first');
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Data

async function ensureStream(mb) {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, `realistic-${mb}.bin`);
  const about = `${file}.json`;
  if (existsSync(file) && existsSync(about)) return { file, about: JSON.parse(readFileSync(about, 'utf8')) };
  process.stderr.write(`bench: generating ${file} (~${mb} MB)...\n`);
  const tmp = `${file}.tmp-${process.pid}`;
  let info;
  // Prefer the library's realistic generator (src/model/realistic.ts) when it is built; else
  // the bench's own (bench/gen-realistic.mjs). Both write record by record, memory bounded.
  const libGen = join(root, 'dist', 'model', 'realistic.js');
  if (existsSync(libGen)) {
    const { generateRealistic } = await import(libGen);
    const fd = openSync(tmp, 'w');
    const summary = generateRealistic({ targetBytes: mb * 1e6, seed: 1 }, (c) => {
      let o = 0;
      while (o < c.length) o += writeSync(fd, c, o);
    });
    closeSync(fd);
    info = { generator: 'dist/model/realistic.js generateRealistic', ...summary };
  } else {
    const { generateRealisticTo } = await import('./gen-realistic.mjs');
    info = { generator: 'bench/gen-realistic.mjs', ...generateRealisticTo(tmp, mb * 1e6) };
  }
  renameSync(tmp, file);
  writeFileSync(about, `${JSON.stringify(info)}\n`);
  return { file, about: info };
}

// ---------------------------------------------------------------------------------------------
// Running one child process

let usageSeq = 0;
function usagePath() {
  return join(tmpdir(), `xsmig-bench-usage-${process.pid}-${usageSeq++}.json`);
}

function readUsage(path) {
  try {
    const u = JSON.parse(readFileSync(path, 'utf8'));
    rmSync(path, { force: true });
    return u;
  } catch {
    return undefined;
  }
}

/** Runs `node [--require usage] args...` once; wall time measured here, RSS/CPU by the child. */
function runOnce(args, { stdoutToNull = false } = {}) {
  const up = usagePath();
  const devnull = stdoutToNull ? openSync('/dev/null', 'w') : undefined;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', usageCjs, ...withCliFlags(args)], {
    env: { ...process.env, XSMIG_BENCH_USAGE: up, XSMIG_NO_PROGRESS: '1', NO_COLOR: '1' },
    stdio: ['ignore', devnull ?? 'pipe', 'pipe'],
    maxBuffer: 64 * MiB,
  });
  const wall = performance.now() - t0;
  if (devnull !== undefined) closeSync(devnull);
  const usage = readUsage(up);
  return { wall, code: r.status, usage, stdout: r.stdout ? r.stdout.toString() : '', stderr: r.stderr ? r.stderr.toString() : '' };
}

/** Same, with stdin fed from `file` through a pipe (as `cat file | node ...`). */
function runPiped(args, file) {
  return new Promise((resolve) => {
    const up = usagePath();
    const devnull = openSync('/dev/null', 'w');
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--require', usageCjs, ...withCliFlags(args)], {
      env: { ...process.env, XSMIG_BENCH_USAGE: up, XSMIG_NO_PROGRESS: '1', NO_COLOR: '1' },
      stdio: ['pipe', devnull, 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => undefined); // the child may stop reading early (on an error)
    import('node:fs').then(({ createReadStream }) => createReadStream(file).pipe(child.stdin));
    child.on('close', (code) => {
      closeSync(devnull);
      resolve({ wall: performance.now() - t0, code, usage: readUsage(up), stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Statistics

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 2) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(d));

// ---------------------------------------------------------------------------------------------
// Tasks

/** FILE converted to big-endian records, made once beside it (for the diff row). */
function bigEndianOf(file) {
  const be = file.replace(/\.bin$/, '-be.bin');
  if (!existsSync(be) && existsSync(cliMain)) {
    const tmp = `${be}.tmp-${process.pid}`;
    const r = spawnSync(process.execPath, [cliMain, 'convert', '--byte-order', 'big', file, '-o', tmp], { stdio: 'ignore' });
    if (r.status === 0) renameSync(tmp, be);
    else rmSync(tmp, { force: true });
  }
  return be;
}

let cliHelp;
function cliAvailable(cmd) {
  if (!existsSync(cliMain)) return 'dist/cli/main.js not built';
  // (`xsmig CMD --help` exits 0 even for a command that does not exist: read the command list.)
  cliHelp ??= spawnSync(process.execPath, [cliMain, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] }).stdout.toString();
  return new RegExp(`^\\s*xsmig ${cmd}\\b`, 'm').test(cliHelp) ? true : `no \`xsmig ${cmd}\` in dist/`;
}

async function main() {
  const { file, about } = await ensureStream(100);
  const size = statSync(file).size;
  const tmpOut = join(tmpdir(), `xsmig-bench-out-${process.pid}.bin`);

  const tasks = [
    { name: 'decode (fast path, whole model)', args: [tasksJs, 'decode', file] },
    ...(process.env.BENCH_BP ? [{ name: 'decode (binary-parser)', args: [tasksJs, 'decode-bp', file], runs: 1 }] : []),
    { name: 'streaming decode (64 KiB chunks)', args: [tasksJs, 'stream', file] },
    { name: 'encode (decode + encode to /dev/null)', args: [tasksJs, 'encode', file] },
    { name: 'streaming re-encode, big-endian (StreamReader -> StreamWriter)', args: [tasksJs, 'transcode', file] },
    { name: 'xsmig info', cli: 'info', args: [cliMain, 'info', file], target: 2.5 },
    { name: 'xsmig check', cli: 'check', args: [cliMain, 'check', file], target: 3, okCodes: [0, 1] },
    { name: 'xsmig dump > /dev/null', cli: 'dump', args: [cliMain, 'dump', file], target: 6, stdoutToNull: true },
    { name: 'xsmig convert --byte-order big', cli: 'convert', args: [cliMain, 'convert', '--byte-order', 'big', file, '-o', tmpOut], target: 4, okCodes: [0, 1] },
    // Issue 16's targets: the commands without one so far.
    { name: 'xsmig tree -p > /dev/null', cli: 'tree', args: [cliMain, 'tree', '-p', file], target: 5, stdoutToNull: true },
    { name: 'xsmig dump --json > /dev/null', cli: 'dump', args: [cliMain, 'dump', '--json', file], target: 10, stdoutToNull: true },
    { name: 'xsmig decode > /dev/null', cli: 'decode', args: [cliMain, 'decode', file], target: 12, stdoutToNull: true },
    // (two streams read: the ratio is to the floor of both, twice the one floor read)
    { name: 'xsmig diff A (A big-endian), to the floor of both', cli: 'diff', args: [cliMain, 'diff', file, bigEndianOf(file)], target: 12, floorFactor: 2, okCodes: [1], stdoutToNull: true },
  ].filter((t) => filters.length === 0 || filters.some((f) => t.name.includes(f)));

  console.log(`xsmig bench: ${file} (made by ${about.generator})`);
  console.log(`  ${(size / 1e6).toFixed(1)} MB; node ${process.version}; ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`  ${RUNS} pairs per task (floor, task, floor, task...); ratio = task wall time / floor wall time of the same pair`);

  // Warm the page cache, and learn the record count.
  runOnce([tasksJs, 'floor', file]);
  const counted = runOnce([tasksJs, 'stream', file]);
  const records = JSON.parse(counted.stdout.trim().split('\n').pop()).records;
  console.log(`  ${records} records\n`);

  const rows = [];
  const floorWalls = [];
  for (const t of tasks) {
    if (t.cli) {
      const ok = cliAvailable(t.cli);
      if (ok !== true) {
        rows.push({ name: t.name, note: `not available (${ok})` });
        console.log(`${t.name}: not available (${ok})`);
        continue;
      }
    }
    const ratios = [];
    const walls = [];
    const rss = [];
    const cpu = [];
    const phases = [];
    let failure;
    for (let i = 0; i < (t.runs ?? RUNS); i++) {
      const f = runOnce([tasksJs, 'floor', file]);
      const r = runOnce(t.args, { stdoutToNull: t.stdoutToNull });
      if (!(t.okCodes ?? [0]).includes(r.code)) {
        failure = `exit ${r.code}: ${r.stderr.trim().split('\n')[0] ?? ''}`;
        break;
      }
      floorWalls.push(f.wall);
      ratios.push(r.wall / (f.wall * (t.floorFactor ?? 1)));
      walls.push(r.wall);
      if (r.usage) {
        rss.push(r.usage.maxRSSKiB / 1024);
        cpu.push(r.usage.userMs + r.usage.systemMs);
      }
      if (!t.cli && r.stdout.trim()) phases.push(JSON.parse(r.stdout.trim().split('\n').pop()));
    }
    if (failure) {
      rows.push({ name: t.name, note: `failed (${failure})` });
      console.log(`${t.name}: failed (${failure})`);
      continue;
    }
    const wall = median(walls);
    const row = {
      name: t.name,
      wallMs: wall,
      ratio: median(ratios),
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
      mbps: size / 1e6 / (wall / 1000),
      recps: records / (wall / 1000),
      rssMiB: Math.max(...rss),
      cpuMs: median(cpu),
      target: t.target,
    };
    if (phases.length) {
      const keys = Object.keys(phases[0]).filter((k) => !['records', 'bytes', 'nodes'].includes(k));
      row.phases = keys.map((k) => `${k} ${fmt(median(phases.map((p) => p[k])), 0)} ms`).join(', ');
    }
    rows.push(row);
    console.log(
      `${t.name}: ratio ${fmt(row.ratio)} (${fmt(row.ratioMin)}-${fmt(row.ratioMax)})${t.target ? ` target <= ${t.target} ${row.ratio <= t.target ? 'met' : 'NOT MET'}` : ''}; ` +
        `${fmt(wall, 0)} ms, ${fmt(row.mbps, 1)} MB/s, ${fmt(row.recps / 1e6, 2)} M records/s, peak RSS ${fmt(row.rssMiB, 0)} MiB, CPU ${fmt(row.cpuMs, 0)} ms` +
        `${row.phases ? `; inside: ${row.phases}` : ''}`,
    );
  }
  rmSync(tmpOut, { force: true });

  // Summary table.
  if (rows.length) summary(rows, floorWalls, size);

  // Pipe test: memory of info and dump reading a stream from stdin does not grow with it.
  if (filters.length === 0 || filters.some((f) => 'pipe'.includes(f))) await pipeTest();
  console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

function summary(rows, floorWalls, size) {
  console.log(`\nfloor (read into one Buffer): median ${fmt(median(floorWalls), 0)} ms (${fmt(Math.min(...floorWalls), 0)}-${fmt(Math.max(...floorWalls), 0)}), ${fmt(size / 1e6 / (median(floorWalls) / 1000), 0)} MB/s\n`);
  const head = ['task', 'ratio (min-max)', 'target', 'wall ms', 'MB/s', 'records/s', 'peak RSS MiB', 'CPU ms'];
  const lines = rows.map((r) =>
    r.note
      ? [r.name, r.note.startsWith('not available') ? 'not available' : 'failed (see above)', '', '', '', '', '', '']
      : [r.name, `${fmt(r.ratio)} (${fmt(r.ratioMin)}-${fmt(r.ratioMax)})`, r.target ? `<= ${r.target} ${r.ratio <= r.target ? 'ok' : 'MISSED'}` : '', fmt(r.wallMs, 0), fmt(r.mbps, 1), `${fmt(r.recps / 1e6, 2)} M`, fmt(r.rssMiB, 0), fmt(r.cpuMs, 0)],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const row = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  console.log(row(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(row(l));
}

async function pipeTest() {
  console.log('\npipe test: peak RSS reading the stream from stdin (target <= 64 MiB; 200 MB no more than 10% above 100 MB)');
  const files = { 100: (await ensureStream(100)).file, 200: (await ensureStream(200)).file };
  const runs = Math.max(1, Math.min(RUNS, 3));
  // The library's part alone (StreamReader over stdin, records counted), then the commands.
  // (check has no memory target: it remembers every committed path, about 13 bytes a node.)
  for (const cmd of ['(library) streaming decode', 'info', 'dump', 'check']) {
    const lib = cmd.startsWith('(library)');
    const args = lib ? [tasksJs, 'stream', '-'] : [cliMain, cmd, '-'];
    const label = lib ? cmd : `xsmig ${cmd} -`;
    const ok = lib ? true : cliAvailable(cmd);
    if (ok !== true) {
      console.log(`  ${label}: not available (${ok})`);
      continue;
    }
    const peak = {};
    for (const mb of [100, 200]) {
      const rss = [];
      for (let i = 0; i < runs; i++) {
        const r = await runPiped(args, files[mb]);
        if (r.code !== 0) {
          console.log(`  ${label} (${mb} MB): failed, exit ${r.code}: ${r.stderr.trim().split('\n')[0]}`);
          break;
        }
        if (r.usage) rss.push(r.usage.maxRSSKiB / 1024);
      }
      if (rss.length) peak[mb] = { med: median(rss), min: Math.min(...rss), max: Math.max(...rss) };
    }
    if (peak[100] && peak[200]) {
      const growth = peak[200].med / peak[100].med - 1;
      console.log(
        `  ${label}: 100 MB peak RSS ${fmt(peak[100].med, 1)} MiB (${fmt(peak[100].min, 1)}-${fmt(peak[100].max, 1)}), ` +
          `200 MB ${fmt(peak[200].med, 1)} MiB (${fmt(peak[200].min, 1)}-${fmt(peak[200].max, 1)}), growth ${fmt(growth * 100, 1)}% ` +
          (cmd === 'check' ? '' : `-> ${peak[100].med <= 64 && peak[200].med <= 64 * 1.1 && growth <= 0.1 ? 'met' : 'NOT MET'}`),
      );
    }
  }
}

await main();
