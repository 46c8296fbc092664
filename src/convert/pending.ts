// Pending connection data as the daemon reads it back, for the diff and the byte-order
// converter. in-data: whole delayed requests, then possibly one partly received request,
// whose header may itself be cut short. out-data: first `out-resp-len` bytes of a response
// already partly sent (the rest of its bytes, header remainder included, sent verbatim
// without being parsed), then whole queued messages, each a 16-byte header (type, req-id,
// tx-id, len, u32 in the record byte order) and `len` payload bytes.

import type { ByteOrder } from '../wire/constants.js';

export const WIRE_HEADER_SIZE = 16;

export interface PendingMessage {
  type: number;
  reqId: number;
  txId: number;
  len: number;
  /** Payload bytes present (fewer than len for a partly received request). */
  payload: Uint8Array;
}

export interface PendingData {
  /** out-data only: the unsent tail of a partly sent response (opaque bytes). */
  partialResponse?: Uint8Array;
  messages: PendingMessage[];
  /** A header cut short (in-data), or bytes that do not form a message (malformed out-data). */
  fragment?: Uint8Array;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function parsePending(data: Uint8Array, order: ByteOrder, outRespLen = 0): PendingData {
  const little = order === 'little';
  const v = view(data);
  const out: PendingData = { messages: [] };
  let pos = 0;
  if (outRespLen > 0) {
    const end = Math.min(outRespLen, data.length);
    out.partialResponse = data.subarray(0, end);
    pos = end;
  }
  while (pos + WIRE_HEADER_SIZE <= data.length) {
    const len = v.getUint32(pos + 12, little);
    const start = pos + WIRE_HEADER_SIZE;
    const end = Math.min(data.length, start + len);
    out.messages.push({
      type: v.getUint32(pos, little),
      reqId: v.getUint32(pos + 4, little),
      txId: v.getUint32(pos + 8, little),
      len,
      payload: data.subarray(start, end),
    });
    pos = end;
  }
  if (pos < data.length) out.fragment = data.subarray(pos);
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** One canonical line per item, independent of byte order: what the diff compares. */
export function describePending(p: PendingData, order: ByteOrder): string[] {
  const lines: string[] = [];
  if (p.partialResponse) lines.push(`partial response tail ${hex(p.partialResponse)}`);
  for (const m of p.messages) {
    const cut = m.payload.length < m.len ? ` (${m.payload.length} received)` : '';
    lines.push(`type ${m.type} req ${m.reqId} tx ${m.txId} len ${m.len}${cut} payload ${hex(m.payload)}`);
  }
  if (p.fragment) {
    // Whole u32 words of a cut header read as numbers; a cut word stays raw bytes.
    const words: number[] = [];
    const v = view(p.fragment);
    let i = 0;
    for (; i + 4 <= p.fragment.length && i < WIRE_HEADER_SIZE; i += 4) words.push(v.getUint32(i, order === 'little'));
    const rest = p.fragment.subarray(i);
    lines.push(`header fragment [${words.join(', ')}]${rest.length ? ` + ${order} bytes ${hex(rest)}` : ''}`);
  }
  return lines;
}

/**
 * The same pending data with every header word in the other byte order. Bytes that cannot
 * be converted (a header word cut short) are copied and named in `unconverted`.
 */
export function swapPending(data: Uint8Array, from: ByteOrder, outRespLen = 0): { data: Uint8Array; unconverted?: string } {
  if (data.length === 0) return { data };
  const p = parsePending(data, from, outRespLen);
  const out = new Uint8Array(data.length);
  out.set(data);
  const ov = view(out);
  const little = from === 'little';
  let pos = p.partialResponse?.length ?? 0;
  for (const m of p.messages) {
    for (let w = 0; w < 4; w++) ov.setUint32(pos + 4 * w, view(data).getUint32(pos + 4 * w, little), !little);
    pos += WIRE_HEADER_SIZE + m.payload.length;
  }
  let unconverted: string | undefined;
  if (p.fragment) {
    const n = p.fragment.length;
    for (let i = 0; i + 4 <= n && i < WIRE_HEADER_SIZE; i += 4) ov.setUint32(pos + i, view(data).getUint32(pos + i, little), !little);
    // (parsePending leaves a fragment only when it is shorter than a header)
    if (n % 4 !== 0) {
      unconverted = `a message header cut after ${n} of 16 bytes ends inside a 4-byte field; its last ${n % 4} byte(s) are copied unconverted`;
    }
  }
  return unconverted ? { data: out, unconverted } : { data: out };
}
