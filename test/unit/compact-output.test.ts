import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { COMPACT_OUTPUT, ELEM, withCompactOutput } from '../../src/adapters/detector/yolo/compact-output.js';
import { decodeYolo } from '../../src/adapters/detector/yolo/decode.js';
import { halfsToFloats } from '../../src/adapters/detector/yolo/float16.js';
import { float16Tensor } from '../../src/adapters/detector/yolo/float16-tensor.js';
import { tinyYoloModel } from '../support/yolo-models.js';

/** Rows of cx, cy, w, h, then (v5: objectness, then) three class scores: ties, a clear winner, all low. */
const V8_ROWS = [
  [10, 12, 4, 6, 0.2, 0.9, 0.1],
  [30, 20, 8, 8, 0.5, 0.5, 0.3], // a tie: the first class wins, in both searches
  [40, 40, 2, 2, 0.01, 0.02, 0.03],
  [5, 50, 10, 3, 0.7, 0.1, 0.7],
];
const V5_ROWS = V8_ROWS.map(([cx, cy, w, h, ...scores]) => [cx!, cy!, w!, h!, 0.8, ...scores]);

async function both(bytes: Uint8Array, batch: number, fp16: boolean): Promise<{ full: ort.Tensor; compact: ort.Tensor }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const n = batch * 3 * 64 * 64;
    const data = Float32Array.from({ length: n }, (_, i) => (i % 251) / 251);
    const input = fp16 ? float16Tensor(new Uint16Array(n), [batch, 3, 64, 64]) : new ort.Tensor('float32', data, [batch, 3, 64, 64]);
    const out = await session.run({ images: input }, ['output0', COMPACT_OUTPUT]);
    return { full: out.output0!, compact: out[COMPACT_OUTPUT]! };
  } finally {
    await session.release();
  }
}

const values = (t: ort.Tensor): ArrayLike<number> => (t.data instanceof Uint16Array ? halfsToFloats(t.data) : (t.data as Float32Array));

for (const [layout, rows] of [
  ['v8', V8_ROWS],
  ['v5', V5_ROWS],
] as const) {
  for (const fp16 of [false, true]) {
    test(`the compact output decodes to the same candidates as the full one (${layout}${fp16 ? ', float16' : ''}, batch 2)`, async () => {
      const model = tinyYoloModel({ layout, rows, batch: 'dynamic', fp16, input: { height: 64, width: 64 } });
      const bytes = withCompactOutput(model, { output: 'output0', layout, classes: 3, elemType: fp16 ? ELEM.FLOAT16 : ELEM.FLOAT });
      assert.ok(bytes, 'applies');
      const { full, compact } = await both(bytes, 2, fp16);
      assert.deepEqual(compact.dims, layout === 'v8' ? [2, 6, 4] : [2, 4, 7]);
      for (const b of [0, 1]) {
        for (const confidence of [0, 0.25, 0.6]) {
          const a = decodeYolo(values(full), full.dims, layout, b, confidence);
          const c = decodeYolo(values(compact), compact.dims, layout, b, confidence, true);
          assert.deepEqual(c, a, `item ${b} at confidence ${confidence}`);
        }
      }
      assert.equal(decodeYolo(values(compact), compact.dims, layout, 0, 0.25, true).length, layout === 'v8' ? 3 : 3);
    });
  }
}

test('where it cannot apply: end-to-end layouts, no classes, opsets before 13', () => {
  const model = tinyYoloModel({ layout: 'end2end', rows: [[1, 2, 3, 4, 0.9, 0]] });
  assert.equal(withCompactOutput(model, { output: 'output0', layout: 'end2end', classes: 80, elemType: ELEM.FLOAT }), undefined);
  assert.equal(
    withCompactOutput(tinyYoloModel({ layout: 'v8', rows: V8_ROWS }), { output: 'output0', layout: 'v8', classes: 0, elemType: ELEM.FLOAT }),
    undefined,
  );
});
