// Long fuzz runs of the decoder: `npm run fuzz -- --minutes N [--seed S] [--save DIR]`.
//
// Mutates valid streams (test/helpers/hostile.ts) and checks every case against the oracle:
// decode succeeds or throws DecodeError; what decodes re-encodes byte for byte, also through
// the JSON text; the chunked reader agrees; no case allocates much. A case that shows a new
// feature (a record type, an anomaly kept or a pair of neighbouring types decoded, or a new
// kind of DecodeError) joins the corpus, a cheap stand-in for coverage guidance. The work runs in a worker watched by this
// thread: a case that hangs (no progress for --hang-seconds) or runs out of memory is saved
// too. Findings are minimised and saved as DIR/KIND-HASH.bin with a .txt beside it.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const MAX_INPUT = 1 << 22;

interface WorkerInit {
  seed: number;
  deadline: number;
  heartbeat: SharedArrayBuffer;
  current: SharedArrayBuffer;
}
interface FindingMsg {
  type: 'finding';
  kind: string;
  key: string;
  detail: string;
  how: string;
  bytes: Uint8Array;
}
interface StatsMsg {
  type: 'stats';
  cases: number;
  decoded: number;
  refused: number;
  corpus: number;
  /** Inputs added to the corpus for showing a new feature. */
  grown: number;
  maxCaseMs: number;
  bytes: number;
}

if (isMainThread) await main();
else await work(workerData as WorkerInit);

// ---------------------------------------------------------------------------------------------

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const minutes = Number(arg('minutes') ?? 1);
  const seed = Number(arg('seed') ?? Math.floor(Math.random() * 0x7fffffff));
  const saveDir = arg('save') ?? fileURLToPath(new URL('../fixtures/crashes/', import.meta.url));
  const hangMs = Number(arg('hang-seconds') ?? 10) * 1000;
  if (!(minutes > 0) || !Number.isInteger(seed)) {
    process.stderr.write('usage: npm run fuzz -- --minutes N [--seed S] [--save DIR] [--hang-seconds 10]\n');
    process.exit(64);
  }
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const start = Date.now();
  const deadline = start + minutes * 60_000;
  process.stdout.write(`fuzz: seed ${seed}, ${minutes} min, findings saved in ${saveDir}\n`);

  const total = { cases: 0, decoded: 0, refused: 0, corpus: 0, grown: 0, maxCaseMs: 0, bytes: 0 };
  const unique = new Map<string, { kind: string; count: number; file: string }>();
  let findings = 0;
  let workerSeed = seed;

  const save = (kind: string, key: string, detail: string, how: string, bytes: Uint8Array) => {
    findings++;
    const u = unique.get(key);
    if (u) {
      u.count++;
      return;
    }
    mkdirSync(saveDir, { recursive: true });
    const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
    const file = join(saveDir, `${kind}-${hash}.bin`);
    writeFileSync(file, bytes);
    writeFileSync(file.replace(/\.bin$/, '.txt'), `kind: ${kind}\nfound by: npm run fuzz (seed ${seed})\nmutation: ${how}\n\n${detail}\n`);
    unique.set(key, { kind, count: 1, file });
    process.stdout.write(`fuzz: FINDING ${kind}: ${detail.split('\n')[0]} -> ${file}\n`);
  };

  while (Date.now() < deadline) {
    const heartbeat = new SharedArrayBuffer(8);
    const current = new SharedArrayBuffer(4 + MAX_INPUT);
    const beat = new Int32Array(heartbeat);
    // The worker runs this TypeScript file too, through tsx's loader.
    const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register({ tsconfig: false }); return import(${JSON.stringify(import.meta.url)}); })`;
    const w = new Worker(boot, {
      eval: true,
      workerData: { seed: workerSeed, deadline, heartbeat, current } satisfies WorkerInit,
      resourceLimits: { maxOldGenerationSizeMb: 768 },
    });
    let last: StatsMsg = { type: 'stats', cases: 0, decoded: 0, refused: 0, corpus: 0, grown: 0, maxCaseMs: 0, bytes: 0 };
    const currentInput = () => {
      const n = new Int32Array(current, 0, 1)[0]!;
      return new Uint8Array(current, 4, n).slice();
    };
    const outcome = await new Promise<'done' | 'hang' | 'crashed'>((resolve) => {
      let seen = -1;
      let since = Date.now();
      let lastReport = Date.now();
      const timer = setInterval(() => {
        const now = Date.now();
        const c = Atomics.load(beat, 0);
        if (c !== seen) {
          seen = c;
          since = now;
        } else if (now - since > hangMs) {
          clearInterval(timer);
          save('hang', 'hang', `no progress for ${hangMs / 1000} s on this input`, '(the input being decoded)', currentInput());
          void w.terminate();
          resolve('hang');
        }
        if (now - lastReport >= 30_000) {
          lastReport = now;
          const c2 = total.cases + last.cases;
          process.stdout.write(`fuzz: ${Math.round((now - start) / 1000)} s, ${c2} cases, ${findings} findings, corpus ${last.corpus} inputs\n`);
        }
      }, 500);
      w.on('message', (m: FindingMsg | StatsMsg) => {
        if (m.type === 'stats') last = m;
        else save(m.kind, m.key, m.detail, m.how, m.bytes);
      });
      w.on('error', (e) => {
        clearInterval(timer);
        save('worker-error', `worker-error ${(e as Error).message}`, `${(e as Error).stack ?? e}`, '(the input being decoded)', currentInput());
        resolve('crashed');
      });
      w.on('exit', () => {
        clearInterval(timer);
        resolve('done');
      });
    });
    for (const k of ['cases', 'decoded', 'refused', 'bytes', 'grown'] as const) total[k] += last[k];
    total.corpus = Math.max(total.corpus, last.corpus);
    total.maxCaseMs = Math.max(total.maxCaseMs, last.maxCaseMs);
    if (outcome === 'done') break;
    if (Atomics.load(beat, 0) === 0) {
      process.stderr.write('fuzz: the worker failed before its first case; stopping\n');
      break;
    }
    workerSeed = (workerSeed * 31 + 7) >>> 0; // carry on with another sequence
  }

  const secs = (Date.now() - start) / 1000;
  process.stdout.write(
    `fuzz: done: ${total.cases} cases in ${secs.toFixed(0)} s (${Math.round(total.cases / secs)}/s, ${(total.bytes / 1e6).toFixed(0)} MB of input); ` +
      `${total.decoded} decoded, ${total.refused} refused with DecodeError; slowest case ${total.maxCaseMs.toFixed(1)} ms; ${total.grown} inputs joined the corpus for new features\n`,
  );
  process.stdout.write(`fuzz: findings: ${findings} (${unique.size} unique)\n`);
  for (const [key, u] of unique) process.stdout.write(`  ${u.kind} x${u.count}: ${key.split('\n')[0]} -> ${u.file}\n`);
  process.exitCode = findings ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------

async function work(init: WorkerInit): Promise<void> {
  const h = await import('../test/helpers/hostile.js');
  const beat = new Int32Array(init.heartbeat);
  const curLen = new Int32Array(init.current, 0, 1);
  const curBytes = new Uint8Array(init.current, 4);
  const r = h.rngFrom(init.seed);
  const corpus: Uint8Array[] = h.seedCorpus(init.seed, 8).map((s) => s.bytes);
  const base = corpus.length;
  const stats: StatsMsg = { type: 'stats', cases: 0, decoded: 0, refused: 0, corpus: corpus.length, grown: 0, maxCaseMs: 0, bytes: 0 };
  const reported = new Set<string>();

  // Features of an outcome, a cheap stand-in for code coverage: for a decoded input, each
  // record type, each anomaly kept (`NODE_DATA.len`...) and each pair of neighbouring record
  // types; for a refused one, where and why it was refused. An input showing a feature not
  // seen before joins the corpus.
  const features = new Set<string>();
  const featuresOf = (v: ReturnType<typeof h.oracle>): string[] => {
    if (v.error) {
      const t = v.error.recordType === undefined ? '-' : v.error.recordType <= 8 ? String(v.error.recordType) : 'other';
      return [`E ${t} ${(v.error.field ?? '-').replace(/\d+/g, 'N')} ${v.error.expected.replace(/\d+/g, 'N')}`];
    }
    const out: string[] = [];
    let prev = 'HEADER';
    for (const rec of v.stream!.records) {
      const t = rec.type === 'UNKNOWN' ? 'UNKNOWN' : rec.type;
      out.push(`${prev}>${t}`);
      prev = t;
      for (const k of ['len', 'padding', 'unterminated', 'pad', 'dataPad', 'producerDefect', 'uniqueId']) if (k in rec) out.push(`${t}.${k}`);
    }
    if (v.stream!.trailing) out.push('trailing');
    if (v.stream!.header.reservedFlags) out.push('flags');
    const version = v.stream!.header.version;
    out.push(`v${version === 1 || version === 2 ? version : 'other'} ${v.stream!.header.byteOrder}`);
    return out;
  };
  const keyOf = (f: { kind: string; detail: string }) => `${f.kind} ${f.detail.split('\n')[0]!.replace(/\d+/g, 'N')}`;

  /** Greedy shrink: drop chunks while the same finding reproduces. */
  const minimise = (bytes: Uint8Array, key: string): Uint8Array => {
    let cur = bytes;
    let tries = 0;
    for (let chunk = Math.max(8, cur.length >> 1); chunk >= 1 && tries < 3000; chunk >>= 1) {
      for (let at = 0; at + chunk <= cur.length && tries < 3000; ) {
        tries++;
        const cand = new Uint8Array(Buffer.concat([cur.subarray(0, at), cur.subarray(at + chunk)]));
        const v = h.oracle(cand);
        if (v.finding && keyOf(v.finding) === key) cur = cand;
        else at += chunk;
      }
    }
    return cur;
  };

  let lastStats = Date.now();
  while (Date.now() < init.deadline) {
    for (let batch = 0; batch < 50; batch++) {
      // Favour inputs that showed new features (the end of the corpus).
      const pick = corpus.length > base && r() < 0.5 ? base + Math.floor(r() * (corpus.length - base)) : Math.floor(r() * corpus.length);
      const input = corpus[pick]!;
      const donor = corpus[Math.floor(r() * corpus.length)]!;
      const { bytes, how } = h.mutate(input, donor, r);
      if (bytes.length <= MAX_INPUT) {
        curBytes.set(bytes);
        curLen[0] = bytes.length;
      }
      const t0 = performance.now();
      // The chunked reader sees the input cut in pieces of varied sizes.
      const chunk = [1, 3, 8, 61, 61, 61, 4096][Math.floor(r() * 7)]!;
      const v = h.oracle(bytes, { memoryLimit: 8 << 20, chunk });
      const ms = performance.now() - t0;
      stats.cases++;
      stats.bytes += bytes.length;
      if (ms > stats.maxCaseMs) stats.maxCaseMs = ms;
      Atomics.store(beat, 0, stats.cases);
      if (v.decoded) stats.decoded++;
      else if (v.error) stats.refused++;
      if (v.finding) {
        const key = keyOf(v.finding);
        if (!reported.has(key)) {
          reported.add(key);
          const small = minimise(bytes, key);
          const again = h.oracle(small).finding ?? v.finding;
          parentPort!.postMessage({ type: 'finding', kind: again.kind, key, detail: again.detail, how, bytes: small } satisfies FindingMsg);
        } else {
          parentPort!.postMessage({ type: 'finding', kind: v.finding.kind, key, detail: v.finding.detail, how, bytes } satisfies FindingMsg);
        }
        continue;
      }
      // Slow for its size: worth reporting (time should stay linear in the input), once it is
      // slow three times more (a single slow case is usually a GC pause or a busy machine).
      const slow = (t: number) => t > 200 + bytes.length / 1000;
      if (slow(ms) && [0, 1, 2].every(() => {
        const t1 = performance.now();
        h.oracle(bytes);
        return slow(performance.now() - t1);
      })) {
        const key = `slow ${how.replace(/\d+/g, 'N')}`;
        if (!reported.has(key)) {
          reported.add(key);
          parentPort!.postMessage({ type: 'finding', kind: 'slow', key, detail: `${ms.toFixed(0)} ms for ${bytes.length} bytes`, how, bytes } satisfies FindingMsg);
        }
      }
      let fresh = false;
      for (const f of featuresOf(v)) {
        if (!features.has(f)) {
          features.add(f);
          fresh = true;
        }
      }
      // (refused inputs mostly mutate into refused ones: keep few of them)
      if (fresh && (v.decoded || r() < 0.2) && bytes.length <= 1 << 16 && corpus.length < 20000) {
        corpus.push(bytes);
        stats.grown++;
      }
    }
    stats.corpus = corpus.length;
    if (Date.now() - lastStats > 1000) {
      lastStats = Date.now();
      parentPort!.postMessage(stats);
    }
  }
  stats.corpus = corpus.length;
  parentPort!.postMessage(stats);
}
