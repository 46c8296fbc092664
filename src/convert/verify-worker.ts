// Worker entry of VerifyThread (verify-thread.ts): once told which file convert is writing,
// reads it as it grows, checks it and compares it with the bytes written (the ring), then posts
// what it found. Started only by VerifyThread.

import { closeSync, openSync, readSync } from 'node:fs';
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { CheckReader } from '../check/check-reader.js';
import { DecodeError } from '../wire/errors.js';
import { readAt } from './file-access.js';
import { trailingText, TRAILING_KEPT } from './trailing.js';
import { AVAILABLE, BEGIN, CONSUMED, PROGRESS, RESULT, RING_SIZE, STATE, type VerifyThreadBegin, type VerifyThreadInput, type VerifyThreadMessage } from './verify-thread.js';

const input = workerData as VerifyThreadInput;
const counters = new BigInt64Array(input.counters);
const ring = Buffer.from(input.ring);
const msg: VerifyThreadMessage = { records: 0, bytes: 0, trailing: '' };

/** Where `got` (read at offset `pos`) first differs from the ring, or -1. */
function differs(got: Buffer, pos: number): number {
  let k = 0;
  while (k < got.length) {
    const at = (pos + k) & (RING_SIZE - 1);
    const n = Math.min(got.length - k, RING_SIZE - at);
    if (got.compare(ring, at, at + n, k, k + n) !== 0) {
      for (let i = 0; i < n; i++) if (got[k + i] !== ring[at + i]) return pos + k + i;
    }
    k += n;
  }
  return -1;
}

function run(): void {
  // Booted: wait for the file to be named (or to be let go).
  while (Atomics.load(counters, BEGIN) === 0n && Atomics.load(counters, STATE) !== 2n) Atomics.wait(counters, BEGIN, 0n, 100);
  if (Atomics.load(counters, STATE) === 2n) return;
  const begin = receiveMessageOnPort(input.port)?.message as VerifyThreadBegin | undefined;
  if (!begin) throw new Error('no file named');
  const fd = openSync(begin.path, 'r');
  try {
    // (Findings name records, not offsets, as the serial verify's check does.)
    const reader = new CheckReader({ ...(begin.target ? { target: begin.target } : {}), ...(begin.hostIds ? { hostIds: begin.hostIds } : {}), inputSize: begin.sizeHint }, 1 << 18, { locations: false });
    let pos = 0;
    try {
      for (;;) {
        // (STATE before AVAILABLE: once the file is written, AVAILABLE read after it is final.)
        const state = Atomics.load(counters, STATE);
        if (state === 2n) return; // abandoned
        const available = Number(Atomics.load(counters, AVAILABLE));
        if (pos < available) {
          const room = reader.room();
          const n = readSync(fd, room, 0, Math.min(room.length, available - pos), pos);
          if (n === 0) throw new Error(`the file ends at ${pos} bytes, ${available} were written`);
          const at = differs(room.subarray(0, n), pos);
          if (at >= 0) {
            msg.mismatchAt = at;
            msg.bytes = pos;
            return;
          }
          pos += n;
          // (Those ring bytes may be written again.)
          Atomics.store(counters, CONSUMED, BigInt(pos));
          Atomics.notify(counters, CONSUMED);
          reader.wrote(n);
          Atomics.store(counters, PROGRESS, BigInt(pos));
          continue;
        }
        if (state === 1n) break;
        Atomics.wait(counters, AVAILABLE, BigInt(available), 1000);
      }
      const done = reader.finish();
      msg.header = done.header;
      msg.records = done.records;
      msg.check = done.report;
      if (done.trailing > 0) {
        const head = Buffer.allocUnsafe(Math.min(done.trailing, TRAILING_KEPT));
        msg.trailing = trailingText(head.subarray(0, readAt(fd, head, pos - done.trailing, head.length)), done.trailing);
      }
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      const { offset, recordIndex, recordType, field, expected, found } = e;
      msg.decodeError = { offset, recordIndex, recordType, field, expected, found };
      msg.header = reader.streamHeader;
      msg.check = reader.partialReport();
    }
    msg.bytes = pos;
  } finally {
    closeSync(fd);
  }
}

try {
  run();
} catch (e) {
  msg.failed = e instanceof Error ? e.message : String(e);
}
if (Atomics.load(counters, STATE) !== 2n) {
  input.port.postMessage(msg);
  input.port.close();
}
Atomics.store(counters, RESULT, 1n);
Atomics.notify(counters, RESULT);
