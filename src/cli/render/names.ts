// Small text forms shared by the summary and record views. A module of its own so that `info`
// loads it without the record renderer, hexy and the HTML report (start-up time is part of
// every command's wall time).

import { reservedDomidName } from '../../wire/constants.js';
import type { StreamHeader } from '../../model/types.js';

/** `32753 (DOMID_IO)` for a reserved domid, else the number. */
export function domidText(d: number): string {
  const n = reservedDomidName(d);
  return n ? `${d} (${n})` : String(d);
}

/** The one-line description of a stream header that dump and info print first. */
export function headerLine(h: StreamHeader): string {
  const flags = (h.reservedFlags | (h.byteOrder === 'big' ? 1 : 0)) >>> 0;
  return `xenstore migration stream, version ${h.version}, ${h.byteOrder}-endian records, flags 0x${flags.toString(16)}` +
    (h.reservedFlags ? ` (reserved bits set: 0x${h.reservedFlags.toString(16)})` : '');
}
