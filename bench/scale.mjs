// bench/scale: every command on one large generated stream, with its time and peak RSS (issue 16).
// Not part of `npm test` or `npm run bench`: a 1 GB run takes many minutes.
//
//   node bench/scale.mjs                 1 GB stream (xsmig gen --size 1G --seed 1)
//   node bench/scale.mjs --size 100M     another size
//   node bench/scale.mjs --size 1G check diff    only the commands whose name contains a word
//   SCALE_TIMEOUT=600 node bench/scale.mjs       give up on a command after N seconds (default 1800)
//
// Each command runs as a child `node dist/cli/main.js ...` with bench/usage.cjs preloaded, which
// reports the process's own peak RSS and CPU time at exit (so no /usr/bin/time is needed; a
// process killed by V8 reports nothing: its RSS shows as "-"). The read floor (node reading the
// file into one Buffer) runs first, in the same run, and every time is also given as a ratio
// to it. The stream, its big-endian conversion (for diff) and the outputs live in bench/data/
// (gitignored); outputs are removed at the end.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const usage = join(here, 'usage.cjs');
const data = join(here, 'data');
const args = process.argv.slice(2);
const sizeAt = args.indexOf('--size');
const size = sizeAt >= 0 ? args[sizeAt + 1] : '1G';
const words = args.filter((a, i) => !a.startsWith('--') && (sizeAt < 0 || i !== sizeAt + 1));
const timeoutS = Number(process.env.SCALE_TIMEOUT ?? 1800);
const MiB = 1 << 20;

if (!existsSync(cli)) {
  console.error('bench/scale: dist/ is missing; run `npm run build` first');
  process.exit(1);
}
mkdirSync(data, { recursive: true });
const stream = join(data, `scale-${size}.bin`);
const streamBE = join(data, `scale-${size}-be.bin`);
const out = join(data, `scale-${size}-out`);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

/** Runs `node ...argv` with the usage hook; stdout to `stdoutTo` (a path, or /dev/null). */
function run(argv, { stdoutTo = '/dev/null', stdinFrom } = {}) {
  const usageFile = join(out, `usage-${process.pid}.json`);
  rmSync(usageFile, { force: true });
  const t0 = process.hrtime.bigint();
  // (a shell for the redirections: the outputs go straight to files, never through this process)
  const q = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;
  const cmd = `${q(process.execPath)} --require ${q(usage)} ${argv.map(q).join(' ')} > ${q(stdoutTo)}${stdinFrom ? ` < ${q(stdinFrom)}` : ''}`;
  const r = spawnSync('/bin/sh', ['-c', cmd], { env: { ...process.env, XSMIG_BENCH_USAGE: usageFile, NO_COLOR: '1' }, timeout: timeoutS * 1000, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * MiB });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let u;
  try {
    u = JSON.parse(readFileSync(usageFile, 'utf8'));
  } catch {
    u = undefined;
  }
  const stderr = r.stderr?.toString('utf8').trim().split('\n').filter(Boolean) ?? [];
  const timedOut = r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGTERM';
  return { seconds, rssMiB: u ? u.maxRSSKiB / 1024 : undefined, code: timedOut ? 'timeout' : r.status ?? r.signal, note: stderr.at(-1) ?? '' };
}

function ensure(file, make) {
  if (existsSync(file)) return;
  process.stderr.write(`bench/scale: making ${file}...\n`);
  const tmp = `${file}.tmp`;
  const r = run(make(tmp));
  if (r.code !== 0) {
    console.error(`bench/scale: could not make ${file}: ${r.note}`);
    process.exit(1);
  }
  renameSync(tmp, file);
}
ensure(stream, (tmp) => [cli, 'gen', '--size', size, '--seed', '1', '-o', tmp]);
ensure(streamBE, (tmp) => [cli, 'convert', '--byte-order', 'big', stream, '-o', tmp]);
const bytes = statSync(stream).size;

const json = join(out, 'decoded.json');
const tasks = [
  { name: 'floor (read the file)', argv: ['-e', `require('fs').readFileSync(${JSON.stringify(stream)})`] },
  { name: 'info', argv: [cli, 'info', stream] },
  { name: 'check', argv: [cli, 'check', stream] },
  { name: 'dump > /dev/null', argv: [cli, 'dump', stream] },
  { name: 'dump --json > /dev/null', argv: [cli, 'dump', '--json', stream] },
  { name: 'dump --html -o FILE', argv: [cli, 'dump', '--html', stream, '-o', join(out, 'page.html')], output: join(out, 'page.html') },
  { name: 'tree -p > /dev/null', argv: [cli, 'tree', '-p', stream] },
  { name: 'decode > FILE', argv: [cli, 'decode', stream], stdoutTo: json, output: json },
  { name: 'encode < that FILE', argv: [cli, 'encode'], stdinFrom: json, needs: json, stdoutTo: join(out, 'encoded.bin'), output: join(out, 'encoded.bin') },
  { name: 'convert --byte-order big -o FILE', argv: [cli, 'convert', '--byte-order', 'big', stream, '-o', join(out, 'be.bin')], output: join(out, 'be.bin') },
  { name: 'diff A (its big-endian conversion)', argv: [cli, 'diff', stream, streamBE] },
  { name: 'diff A A', argv: [cli, 'diff', stream, stream] },
];

const chosen = tasks.filter((t, i) => i === 0 || words.length === 0 || words.some((w) => t.name.includes(w)));
console.log(`bench/scale: ${stream}, ${(bytes / MiB).toFixed(0)} MiB (${bytes} bytes); node ${process.version}; timeout ${timeoutS} s a command\n`);
console.log('| command | time | ratio to floor | peak RSS | exit | output | note |');
console.log('|---|---|---|---|---|---|---|');
let floor;
/** Outputs of commands that failed (a later command that reads one is skipped). */
const failed = new Set();
for (const t of chosen) {
  if (t.needs && (!existsSync(t.needs) || failed.has(t.needs))) {
    console.log(`| \`${t.name}\` | - | - | - | skipped | - | its input was not made |`);
    continue;
  }
  const r = run(t.argv, { stdoutTo: t.stdoutTo, stdinFrom: t.stdinFrom });
  if (floor === undefined) floor = r.seconds;
  const outSize = t.output && existsSync(t.output) ? `${(statSync(t.output).size / MiB).toFixed(1)} MiB` : '-';
  const rss = r.rssMiB === undefined ? '-' : `${r.rssMiB.toFixed(0)} MiB`;
  const ok = r.code === 0 || (r.code === 1 && /^diff|^check/.test(t.name));
  const note = ok ? '' : r.note.replace(/\|/g, '\\|').slice(0, 160);
  if (!ok && t.output) failed.add(t.output);
  console.log(`| \`${t.name}\` | ${r.seconds.toFixed(1)} s | ${(r.seconds / floor).toFixed(1)} | ${rss} | ${r.code} | ${outSize} | ${note} |`);
  // (the decoded JSON is kept for encode; other outputs go at once: a 1 GB run makes several)
  if (t.output && t.output !== json) rmSync(t.output, { force: true });
}
rmSync(out, { recursive: true, force: true });
