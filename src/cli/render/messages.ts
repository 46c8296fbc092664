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

/**
 * Pending data cut into its wire messages for the hex view: a span per header field and per
 * payload (`in-data[0].type (WRITE)`, `in-data[0].payload`), the unsent rest of a partly sent
 * response first (out-data), a header fragment last. `start`: absolute offset of the data.
 */
export function messageSpans(name: string, data: Uint8Array, start: number, order: ByteOrder, partial = 0): { label: string; start: number; end: number }[] {
  const out: { label: string; start: number; end: number }[] = [];
  const p = Math.min(partial, data.length);
  if (p) out.push({ label: `${name}: rest of a partly sent response`, start, end: start + p });
  const { messages, rest } = splitMessages(data.subarray(p), order);
  let at = start + p;
  messages.forEach((m, i) => {
    const k = `${name}[${i}]`;
    out.push({ label: `${k}.type (${m.typeName})`, start: at, end: at + 4 });
    out.push({ label: `${k}.req-id`, start: at + 4, end: at + 8 });
    out.push({ label: `${k}.tx-id`, start: at + 8, end: at + 12 });
    out.push({ label: `${k}.len`, start: at + 12, end: at + 16 });
    at += WIRE_HEADER_SIZE;
    if (m.payload.length) out.push({ label: `${k}.payload${m.complete ? '' : ` (${m.payload.length} of ${m.len} bytes received)`}`, start: at, end: at + m.payload.length });
    at += m.payload.length;
  });
  if (rest.length) out.push({ label: `${name}: fragment of a message header`, start: at, end: at + rest.length });
  return out;
}

/** Bytes as the JSON form gives them: `{key: text}` when printable, else `{keyHex: hex}`. */
function bytesJson(key: string, b: Uint8Array, out: Record<string, unknown>, text: (b: Uint8Array) => string | undefined): void {
  const t = text(b);
  if (t !== undefined) out[key] = t;
  else out[`${key}Hex`] = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * Pending data as `dump --json` gives it beside the JSON form's bytes: every wire message with
 * its fields (type and its name, req-id, tx-id, len, payload), and the partly sent response
 * and header fragment when there are.
 */
export function messagesJson(data: Uint8Array, order: ByteOrder, partial: number, text: (b: Uint8Array) => string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const p = Math.min(partial, data.length);
  if (p) bytesJson('partialResponse', data.subarray(0, p), out, text);
  const { messages, rest } = splitMessages(data.subarray(p), order);
  out.messages = messages.map((m) => {
    const o: Record<string, unknown> = { type: m.type, typeName: m.typeName, reqId: m.reqId, txId: m.txId, len: m.len };
    bytesJson('payload', m.payload, o, text);
    if (!m.complete) o.complete = false;
    return o;
  });
  if (rest.length) bytesJson('fragment', rest, out, () => undefined);
  return out;
}
