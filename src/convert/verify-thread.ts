// The check half of convert's verify stage on a second thread, following the temporary file as
// pass 1 writes it (a byte-order conversion of a large file: see cli/commands/convert.ts).
//
// The worker (verify-worker.ts) reads the file back from disk as it grows, checks it through a
// CheckReader (with the target), and compares every byte it read with the byte pass 1 handed to
// the file, which the main thread keeps for it in a ring (16 MiB, shared): so the file on disk
// is tied, byte for byte, to the bytes pass 1 compared with the input as it wrote them
// (WrittenComparer), and the verify still rests on the file read back, not on memory. (A CRC-32
// of each side did the same at about three times the cost, and only up to its collisions.)
// The main thread waits when the worker is a whole ring behind.
//
// The two threads share a few 64-bit counters; the result comes back as one message, taken
// without the event loop (receiveMessageOnPort), so convert stays one synchronous run. Any
// failure of the thread (it cannot start, throws, or stops making progress) gives no result,
// and the caller runs the serial verify instead.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { CheckReport, TargetName } from '../check/types.js';
import type { StreamHeader } from '../model/types.js';
import { DecodeError } from '../wire/errors.js';

/** Slots of the shared counters. */
export const AVAILABLE = 0; // bytes of the file written so far (the worker may read them)
export const STATE = 1; // 0 writing, 1 written (AVAILABLE is final), 2 abandoned (the worker stops)
export const RESULT = 2; // 0 working, 1 the result has been posted
export const PROGRESS = 3; // bytes the worker has read (shows it is alive)
export const BEGIN = 4; // 0 not yet, 1 the file is named (a VerifyThreadBegin on the port)
export const CONSUMED = 5; // bytes the worker has compared (the ring may be written up to CONSUMED + its size)
const SLOTS = 6;

/** Bytes of the ring of written bytes (a power of two). */
export const RING_SIZE = 16 << 20;

/** The worker's workerData. */
export interface VerifyThreadInput {
  counters: SharedArrayBuffer;
  /** The bytes written, at their offset modulo its size. */
  ring: SharedArrayBuffer;
  port: MessagePort;
}

/** The file to follow, sent when it is known (the worker boots before). */
export interface VerifyThreadBegin {
  path: string;
  target?: TargetName;
  /** The host's unique-ids (a Map survives the message). */
  hostIds?: ReadonlyMap<number, bigint>;
  /** The written file will be about this size (the checker sizes its path set from it). */
  sizeHint: number;
}

/** A DecodeError as it crosses threads. */
export interface DecodeErrorFields {
  offset: number;
  recordIndex: number;
  recordType: number | undefined;
  field: string | undefined;
  expected: string;
  found: string;
}

export interface VerifyThreadMessage {
  /** The worker failed for a reason of its own (not the file's): run the serial verify. */
  failed?: string;
  decodeError?: DecodeErrorFields;
  header?: StreamHeader;
  records: number;
  bytes: number;
  check?: CheckReport;
  /** Bytes after END, as the diff names them ('' when none). */
  trailing: string;
  /** The offset of the first byte read back that is not the byte written there. */
  mismatchAt?: number;
}

/** What the thread found in the written file. */
export interface WrittenFileCheck {
  decodeError?: DecodeError;
  header?: StreamHeader;
  records: number;
  bytes: number;
  check?: CheckReport;
  trailing: string;
  /** The file read back is not what was written (its size, or a byte, differs). */
  notAsWritten?: string;
}

/** A worker that gives no sign of life for this long is given up (then the serial verify runs). */
const STALL_MS = 30_000;

export class VerifyThread {
  private readonly counters: BigInt64Array;
  private readonly ring: Uint8Array;
  private written = 0;
  private ended = false;
  /** The worker stopped taking bytes (it failed, stalled, or stopped at a difference): no more are kept. */
  private gone = false;

  private constructor(private readonly worker: Worker, private readonly port: MessagePort, shared: SharedArrayBuffer, ring: SharedArrayBuffer) {
    this.counters = new BigInt64Array(shared);
    this.ring = new Uint8Array(ring);
  }

  /**
   * Starts the worker, which boots and then waits for begin() (about 40 ms of start-up, spent
   * on the other core while the caller gets ready); undefined when it cannot be started (the
   * compiled worker is absent, as when xsmig runs from its TypeScript sources). A thread that
   * is never begun stops when the process exits.
   */
  static spawn(): VerifyThread | undefined {
    const url = new URL('./verify-worker.js', import.meta.url);
    if (url.protocol !== 'file:' || !existsSync(fileURLToPath(url))) return undefined;
    const shared = new SharedArrayBuffer(SLOTS * 8);
    // (Its pages are taken as they are first written: a small file costs what it fills.)
    const ring = new SharedArrayBuffer(RING_SIZE);
    const { port1, port2 } = new MessageChannel();
    const input: VerifyThreadInput = { counters: shared, ring, port: port2 };
    let worker: Worker;
    try {
      worker = new Worker(url, { workerData: input, transferList: [port2] });
    } catch {
      return undefined;
    }
    // (Never keeps the process alive: its result is taken synchronously or not at all.)
    worker.unref();
    port1.unref();
    worker.on('error', () => undefined); // (a failure shows as no result: see result())
    const t = new VerifyThread(worker, port1, shared, ring);
    process.once('exit', () => t.release());
    return t;
  }

  /** The worker follows `path`, which is about to be written. */
  begin(path: string, target: TargetName | undefined, sizeHint: number, hostIds?: ReadonlyMap<number, bigint>): void {
    const b: VerifyThreadBegin = { path, sizeHint };
    if (target) b.target = target;
    if (hostIds) b.hostIds = hostIds;
    this.port.postMessage(b);
    Atomics.store(this.counters, BEGIN, 1n);
    Atomics.notify(this.counters, BEGIN);
  }

  /** `chunk` was written to the file (in order): kept in the ring for the worker. */
  wrote(chunk: Uint8Array): void {
    const c = this.counters;
    let off = 0;
    while (off < chunk.length) {
      let room = 0;
      if (!this.gone) {
        room = RING_SIZE - (this.written - Number(Atomics.load(c, CONSUMED)));
        if (room === 0) room = this.waitForRoom();
      }
      if (this.gone) {
        // (No one compares any more: the bytes are only counted.)
        this.written += chunk.length - off;
        return;
      }
      const at = this.written & (RING_SIZE - 1);
      const n = Math.min(chunk.length - off, room, RING_SIZE - at);
      this.ring.set(chunk.subarray(off, off + n), at);
      off += n;
      this.written += n;
      Atomics.store(c, AVAILABLE, BigInt(this.written));
      Atomics.notify(c, AVAILABLE);
    }
  }

  /** Waits until the worker has compared some of the ring; 0 when it never will (then `gone`). */
  private waitForRoom(): number {
    const c = this.counters;
    let quietSince = Date.now();
    for (;;) {
      if (Atomics.load(c, RESULT) !== 0n) break; // (it ended: at a difference, or failing)
      const consumed = Atomics.load(c, CONSUMED);
      const room = RING_SIZE - (this.written - Number(consumed));
      if (room > 0) return room;
      if (Atomics.wait(c, CONSUMED, consumed, 1000) === 'timed-out' && Date.now() - quietSince > STALL_MS) break;
      if (Atomics.load(c, CONSUMED) !== consumed) quietSince = Date.now();
    }
    this.gone = true;
    return 0;
  }

  /** Every byte was written. */
  end(): void {
    this.ended = true;
    Atomics.store(this.counters, STATE, 1n);
    Atomics.notify(this.counters, AVAILABLE);
  }

  /** The result is not wanted: the worker stops. */
  abandon(): void {
    this.release();
    void this.worker.terminate();
  }

  /** Tells the worker to stop wherever it waits. */
  private release(): void {
    Atomics.store(this.counters, STATE, 2n);
    Atomics.notify(this.counters, AVAILABLE);
    Atomics.notify(this.counters, BEGIN);
  }

  /**
   * Waits for the worker (after end()) and gives what it found, or undefined when it failed
   * or stalled (then it is abandoned).
   */
  result(): WrittenFileCheck | undefined {
    if (!this.ended) throw new Error('VerifyThread: result() before end()');
    if (this.gone && Atomics.load(this.counters, RESULT) === 0n) {
      this.abandon(); // (it stalled while pass 1 waited for it)
      return undefined;
    }
    let seen = -1n;
    let quietSince = Date.now();
    while (Atomics.load(this.counters, RESULT) === 0n) {
      Atomics.wait(this.counters, RESULT, 0n, 1000);
      const now = Atomics.load(this.counters, PROGRESS);
      if (now !== seen) {
        seen = now;
        quietSince = Date.now();
      } else if (Date.now() - quietSince > STALL_MS) {
        this.abandon();
        return undefined;
      }
    }
    const got = receiveMessageOnPort(this.port);
    this.port.close();
    const m = got?.message as VerifyThreadMessage | undefined;
    if (!m || m.failed !== undefined) return undefined;
    const out: WrittenFileCheck = { records: m.records, bytes: m.bytes, trailing: m.trailing };
    if (m.header) out.header = m.header;
    if (m.check) out.check = m.check;
    if (m.decodeError) {
      const d = m.decodeError;
      out.decodeError = new DecodeError({ offset: d.offset, recordIndex: d.recordIndex, recordType: d.recordType, field: d.field }, d.expected, d.found);
      return out;
    }
    if (m.mismatchAt !== undefined) out.notAsWritten = `the byte read back at offset ${m.mismatchAt} (0x${m.mismatchAt.toString(16)}) is not the byte written there`;
    else if (this.gone || m.bytes !== this.written) out.notAsWritten = `${m.bytes} bytes were read back and compared, ${this.written} written`;
    return out;
  }
}
