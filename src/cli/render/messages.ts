// Pending connection data is raw wire traffic: each message a 16-byte header (type, req-id,
// tx-id, len; u32 in the stream's byte order) and `len` payload bytes. Splitting it shows what
// a half-received request or the queued replies were.

import type { ByteOrder } from '../../wire/constants.js';

export const XS_MESSAGE_TYPES: Record<number, string> = {
  0: 'CONTROL', 1: 'DIRECTORY', 2: 'READ', 3: 'GET_PERMS', 4: 'WATCH', 5: 'UNWATCH',
  6: 'TRANSACTION_START', 7: 'TRANSACTION_END', 8: 'INTRODUCE', 9: 'RELEASE',
  10: 'GET_DOMAIN_PATH', 11: 'WRITE', 12: 'MKDIR', 13: 'RM', 14: 'SET_PERMS', 15: 'WATCH_EVENT',
  16: 'ERROR', 17: 'IS_DOMAIN_INTRODUCED', 18: 'RESUME', 19: 'SET_TARGET', 21: 'RESET_WATCHES',
  22: 'DIRECTORY_PART', 23: 'GET_FEATURE', 24: 'SET_FEATURE', 25: 'GET_QUOTA', 26: 'SET_QUOTA',
};

export interface WireMessage {
  type: number;
  typeName: string;
  reqId: number;
  txId: number;
  len: number;
  /** Payload bytes present (may be fewer than len for a partly received request). */
  payload: Uint8Array;
  complete: boolean;
}

export const WIRE_HEADER_SIZE = 16;

/** Splits pending data into messages; `rest` holds a trailing fragment shorter than a header. */
export function splitMessages(data: Uint8Array, order: ByteOrder): { messages: WireMessage[]; rest: Uint8Array } {
  const messages: WireMessage[] = [];
  const end = eachMessage(data, order, (m) => {
    messages.push(m);
    return true;
  });
  return { messages, rest: data.subarray(end) };
}

/**
 * Walks the messages of pending data one at a time (nothing kept): `on` gets each message and
 * its offset in `data`, and returns false to stop. Returns the offset reached: where the walk
 * stopped, or the start of a trailing fragment shorter than a header.
 */
export function eachMessage(data: Uint8Array, order: ByteOrder, on: (m: WireMessage, at: number) => boolean): number {
  const little = order === 'little';
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  while (pos + WIRE_HEADER_SIZE <= data.length) {
    const type = view.getUint32(pos, little);
    const len = view.getUint32(pos + 12, little);
    const start = pos + WIRE_HEADER_SIZE;
    const end = Math.min(data.length, start + len);
    const m: WireMessage = {
      type,
      typeName: XS_MESSAGE_TYPES[type] ?? `type ${type}`,
      reqId: view.getUint32(pos + 4, little),
      txId: view.getUint32(pos + 8, little),
      len,
      payload: data.subarray(start, end),
      complete: end - start === len,
    };
    if (!on(m, pos)) return pos;
    pos = end;
  }
  return pos;
}

/** How many messages (a trailing fragment counted as one) pending data holds from `from` on. */
export function countMessages(data: Uint8Array, order: ByteOrder, from: number): number {
  const little = order === 'little';
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let n = 0;
  let pos = from;
  while (pos + WIRE_HEADER_SIZE <= data.length) {
    n++;
    pos = Math.min(data.length, pos + WIRE_HEADER_SIZE + view.getUint32(pos + 12, little));
  }
  return pos < data.length ? n + 1 : n;
}
