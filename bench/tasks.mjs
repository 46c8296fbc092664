// The library-side benchmark tasks, each run in a child process of its own by bench/run.mjs:
//
//   node bench/tasks.mjs floor FILE          read the file into one Buffer (the floor)
//   node bench/tasks.mjs decode FILE         read + decodeStreamFast (whole model in memory)
//   node bench/tasks.mjs decode-bp FILE      read + decodeStreamDetailed (binary-parser, for comparison)
//   node bench/tasks.mjs stream FILE         64 KiB reads through the StreamReader, records counted
//                                            (FILE "-": standard input)
//   node bench/tasks.mjs encode FILE         read + decode, then encode to /dev/null in 1 MiB blocks
//   node bench/tasks.mjs transcode FILE      StreamReader -> StreamWriter (big-endian) -> /dev/null:
//                                            what a streaming `convert --byte-order big` costs
//
// Each prints one JSON line: records, and the time of its phases in ms (measured inside).

import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';

const [task, file] = process.argv.slice(2);

/** 64 KiB reads of FILE ("-": standard input, e.g. a pipe), a new buffer for each. */
function readChunks(path, onChunk) {
  const fd = path === '-' ? 0 : openSync(path, 'r');
  for (;;) {
    const buf = Buffer.allocUnsafe(1 << 16);
    let n;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if (e.code === 'EAGAIN') continue;
      if (e.code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    onChunk(n === buf.length ? buf : buf.subarray(0, n));
  }
  if (fd !== 0) closeSync(fd);
}
const dist = new URL('../dist/', import.meta.url);
const now = () => performance.now();
const out = {};

switch (task) {
  case 'floor': {
    const t = now();
    const b = readFileSync(file);
    out.read = now() - t;
    out.bytes = b.length;
    break;
  }
  case 'decode':
  case 'decode-bp': {
    const mod = task === 'decode'
      ? await import(new URL('model/fast-decode.js', dist))
      : await import(new URL('model/decode.js', dist));
    const t0 = now();
    const b = readFileSync(file);
    const t1 = now();
    // (decodeStream is the fast path; decodeStreamDetailed is binary-parser record by record)
    const s = task === 'decode' ? mod.decodeStreamFast(b) : mod.decodeStreamDetailed(b).stream;
    out.read = t1 - t0;
    out.decode = now() - t1;
    out.records = s.records.length;
    break;
  }
  case 'stream': {
    const { StreamReader } = await import(new URL('model/stream-reader.js', dist));
    const t0 = now();
    let records = 0;
    let nodes = 0;
    const r = new StreamReader({
      onRecord(rec) {
        records++;
        if (rec.type === 'NODE_DATA') nodes++;
      },
    });
    readChunks(file, (c) => r.push(c));
    r.end();
    out.stream = now() - t0;
    out.records = records;
    out.nodes = nodes;
    break;
  }
  case 'encode': {
    const { decodeStreamFast } = await import(new URL('model/fast-decode.js', dist));
    const { encodeStreamTo } = await import(new URL('model/encode.js', dist));
    const t0 = now();
    const s = decodeStreamFast(readFileSync(file));
    const t1 = now();
    const fd = openSync('/dev/null', 'w');
    let bytes = 0;
    encodeStreamTo(s, (c) => {
      bytes += c.length;
      writeSync(fd, c);
    }, { transient: true });
    closeSync(fd);
    out.decode = t1 - t0;
    out.encode = now() - t1;
    out.records = s.records.length;
    out.bytes = bytes;
    break;
  }
  case 'transcode': {
    const { StreamReader } = await import(new URL('model/stream-reader.js', dist));
    const { StreamWriter } = await import(new URL('model/stream-writer.js', dist));
    const t0 = now();
    const fdOut = openSync('/dev/null', 'w');
    let w;
    let records = 0;
    let bytes = 0;
    const r = new StreamReader({
      onHeader(h) {
        w = new StreamWriter({ ...h, byteOrder: 'big' }, (c) => {
          bytes += c.length;
          writeSync(fdOut, c);
        }, { transient: true });
      },
      onRecord(rec) {
        records++;
        w.write(rec);
      },
      onTrailing(_n, head) {
        w.end(head);
      },
    });
    readChunks(file, (c) => r.push(c));
    r.end();
    w.end();
    closeSync(fdOut);
    out.transcode = now() - t0;
    out.records = records;
    out.bytes = bytes;
    break;
  }
  default:
    process.stderr.write(`unknown task ${task}\n`);
    process.exit(64);
}
process.stdout.write(`${JSON.stringify(out)}\n`);
