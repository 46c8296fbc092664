// The anomaly summary of a Xen 4.22 short-header record says whether its declared len overruns.

import { describe, expect, it } from 'vitest';
import { recordAnomalies } from '../src/model/anomalies.js';
import { decodeStream } from '../src/model/decode.js';
import { end, header, node, socket, stream, watchExtXen422 } from './helpers/assemble.js';

const defectRecord = (wpath: string, token: string) =>
  decodeStream(stream(header(2), socket(1, 5), watchExtXen422(1, wpath, token), node('/'), end())).records[1]!;

describe('producer-defect anomaly', () => {
  it('wpath-len + token-len = 8: len 24 for a 16-byte record, an overrun of 8', () => {
    const r = defectRecord('/abc', 'tk');
    expect(r.len).toBeUndefined(); // the defect's own len is not kept as an extra
    expect(recordAnomalies(r).map((a) => a.message)).toEqual(['WATCH_DATA_EXTENDED: Xen 4.22 short header, depth not written (lost), declared len 24 overruns the record by 8 bytes']);
  });

  it('wpath-len + token-len = 9: len 24 fits, no overrun mentioned', () => {
    expect(recordAnomalies(defectRecord('/abcd', 'tk')).map((a) => a.message)).toEqual(['WATCH_DATA_EXTENDED: Xen 4.22 short header, depth not written (lost)']);
  });
});
