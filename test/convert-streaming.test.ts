// The streamed conversion (convertPass -> verifyPass) on the real captures: same bytes and
// same changes as the whole-stream planConversion, and a verify that sees a tampered file.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunks, puller } from './helpers/chunk-sources.js';
import { planConversion, type ConvertOptions } from '../src/convert/convert.js';
import { deltaId } from '../src/convert/diff.js';
import { convertPass, verifyPass } from '../src/convert/streaming.js';
import { decodeStream } from '../src/model/decode.js';
import { encodeStream } from '../src/model/encode.js';

const CAPTURES = ['417-basic', 'head-v2-basic', 'head-v2-depth-a', 'head-v2-quota'];
const cap = (name: string): Buffer => readFileSync(join(__dirname, '..', 'fixtures', 'captures', `${name}.bin`));


function streamed(input: Uint8Array, opts: ConvertOptions): { out: Buffer; pass: ReturnType<typeof convertPass> } {
  const parts: Buffer[] = [];
  const pass = convertPass(chunks(input, 37), opts, { sink: (c) => parts.push(Buffer.from(c)) });
  return { out: Buffer.concat(parts), pass };
}

describe('streamed conversion', () => {
  for (const name of CAPTURES) {
    for (const opts of [{ byteOrder: 'big' }, { toVersion: 1, force: true }, { toVersion: 2, byteOrder: 'big', force: true }] as ConvertOptions[]) {
      it(`${name} ${JSON.stringify(opts)}: the bytes and changes of planConversion; verify finds exactly the planned changes`, () => {
        const input = cap(name);
        const whole = planConversion(decodeStream(input), opts);
        const { out, pass } = streamed(input, opts);
        expect(out.toString('hex')).toBe(Buffer.from(encodeStream(whole.stream)).toString('hex'));
        const plan = pass.planner!.finish(whole.targetLosses);
        expect(plan.changes).toEqual(whole.changes);
        expect(plan.losses).toEqual(whole.losses);
        expect(pass.records).toBe(decodeStream(input).records.length);

        const v = verifyPass(chunks(out, 53), puller(input, 29));
        expect(v.decodeError).toBeUndefined();
        expect(v.reencodes).toBe(true);
        const seen = [...v.diff!.semantic, ...v.diff!.bytes].map(deltaId).sort();
        expect(seen).toEqual(plan.changes.map(deltaId).sort());
      });
    }
  }

  it('verify reports a node value changed in the written file as an unplanned difference', () => {
    const input = cap('head-v2-basic');
    const s = decodeStream(input);
    const { out } = streamed(input, { byteOrder: 'big' });
    // Tamper: the written stream with one node's value changed (same length).
    const written = decodeStream(out);
    const at = written.records.findIndex((r) => r.type === 'NODE_DATA' && r.value.length > 0);
    const node = written.records[at]!;
    if (node.type !== 'NODE_DATA') throw new Error('unreachable');
    const value = Buffer.from(node.value);
    value[0] = value[0]! ^ 0x01;
    written.records[at] = { ...node, value };
    const v = verifyPass(chunks(Buffer.from(encodeStream(written)), 64), puller(input, 64));
    const unplanned = v.diff!.semantic.filter((d) => d.field !== 'byte-order');
    expect(unplanned).toHaveLength(1);
    expect(unplanned[0]).toMatchObject({ section: 'node', key: (s.records[at] as { path: string }).path, field: 'value', indexA: at, indexB: at });
  });

  it('verify reports a written file that ends early (a record missing) as an item only in A', () => {
    const input = cap('417-basic');
    const { out } = streamed(input, { byteOrder: 'big' });
    const written = decodeStream(out);
    const at = written.records.findIndex((r) => r.type === 'NODE_DATA');
    written.records.splice(at, 1);
    const v = verifyPass(chunks(Buffer.from(encodeStream(written)), 64), puller(input, 64));
    expect(v.diff!.semantic.some((d) => d.field === 'exists' && d.old === true)).toBe(true);
  });
});
