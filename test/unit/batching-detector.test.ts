import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { batchingDetector } from '../../src/stages/inference/batching-detector.js';
import type { DetectOptions, Detector } from '../../src/ports/detector.js';
import type { DetectedObject, FrameImage } from '../../src/core/types.js';

/** A frame whose width is its id; the fake model answers one object per frame naming that id. */
const frame = (id: number): FrameImage => ({ width: id, height: 1, data: new Uint8Array(id * 3) });
const idsOf = (results: DetectedObject[][]): number[] => results.map((r) => Number(r[0]!.class));

/** A fake of our own port: records each batch (and its options); `hold` keeps calls open until released. */
function fakeModel(hold = false) {
  const batches: number[][] = [];
  const options: (DetectOptions | undefined)[] = [];
  const open: { release: () => void; fail: (e: Error) => void }[] = [];
  let closed = false;
  const model: Detector = {
    name: 'fake',
    sha256: 'f'.repeat(64),
    detect(frames, o) {
      if (closed) return Promise.reject(new Error('fake is closed'));
      batches.push(frames.map((f) => f.width));
      options.push(o);
      const answer = frames.map((f) => [{ class: String(f.width), box: [0, 0, 1, 1] as [number, number, number, number], conf: 1 }]);
      if (!hold) return Promise.resolve(answer);
      return new Promise((resolve, reject) => open.push({ release: () => resolve(answer), fail: reject }));
    },
    async close() {
      closed = true;
    },
  };
  return { model, batches, options, open };
}

const tick = () => new Promise((r) => setImmediate(r));

test('concurrent calls are merged into full batches; each caller gets its own frames back', async () => {
  const { model, batches } = fakeModel();
  const d = batchingDetector(model, { maxBatch: 4, maxWaitMs: 60_000 });
  const calls = Array.from({ length: 8 }, (_, i) => d.detect([frame(i + 1)]));
  const results = await Promise.all(calls);
  assert.deepEqual(batches, [
    [1, 2, 3, 4],
    [5, 6, 7, 8],
  ]);
  results.forEach((r, i) => assert.deepEqual(idsOf(r), [i + 1]));
  const multi = await Promise.all([d.detect([frame(9), frame(10)]), d.detect([frame(11), frame(12)])]);
  assert.deepEqual(multi.map(idsOf), [
    [9, 10],
    [11, 12],
  ]);
  assert.deepEqual(batches[2], [9, 10, 11, 12]);
  assert.deepEqual(await d.detect([]), []);
  assert.equal(d.name, 'fake');
});

test('a part batch waits at most maxWaitMs', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { model, batches } = fakeModel();
    const d = batchingDetector(model, { maxBatch: 8, maxWaitMs: 25 });
    const a = d.detect([frame(1)]);
    mock.timers.tick(10);
    const b = d.detect([frame(2)]);
    await tick();
    assert.deepEqual(batches, [], 'nothing sent before the wait is over');
    mock.timers.tick(15);
    assert.deepEqual(batches, [[1, 2]], 'sent 25 ms after the first frame, with the frame that joined');
    assert.deepEqual((await Promise.all([a, b])).map(idsOf), [[1], [2]]);
  } finally {
    mock.timers.reset();
  }
});

test('while the model holds maxOutstanding batches, frames gather into the next batch', async () => {
  const { model, batches, open } = fakeModel(true);
  const d = batchingDetector(model, { maxBatch: 2, maxWaitMs: 60_000, maxOutstanding: 2 });
  const first = [1, 2, 3, 4].map((i) => d.detect([frame(i)]));
  await tick();
  assert.deepEqual(batches, [
    [1, 2],
    [3, 4],
  ]);
  const later = [5, 6, 7].map((i) => d.detect([frame(i)]));
  await tick();
  assert.equal(batches.length, 2, 'no third batch while two are out');
  open[0]!.release();
  await tick();
  assert.deepEqual(batches[2], [5, 6], 'a slot freed: the next full batch goes');
  open[1]!.release();
  open[2]!.release();
  await Promise.all(first);
  // Frame 7 is alone in a part batch with a long wait: close sends it, and the model's close lets it finish.
  const closing = d.close();
  await tick();
  assert.deepEqual(batches[3], [7]);
  open[3]!.release();
  assert.deepEqual((await Promise.all(later)).map(idsOf), [[5], [6], [7]]);
  await closing;
  await assert.rejects(d.detect([frame(8)]), /closed/);
});

test('a failed batch is tried again call by call: only the call that fails alone fails', async () => {
  const { model, batches } = fakeModel();
  const poisoned: Detector = {
    ...model,
    detect: (frames) => (frames.some((f) => f.width === 2) ? Promise.reject(new Error('model broke on frame 2')) : model.detect(frames)),
  };
  const d = batchingDetector(poisoned, { maxBatch: 2, maxWaitMs: 60_000 });
  const [a, b, c, e] = [1, 2, 3, 4].map((i) => d.detect([frame(i)]));
  await assert.rejects(b!, /model broke on frame 2/);
  assert.deepEqual((await Promise.all([a!, c!, e!])).map(idsOf), [[1], [3], [4]]);
  assert.deepEqual(batches, [[3, 4], [1]], 'the batch 3+4 ran whole; frame 1 ran again alone');
});

test('only calls with equal options share a batch; calls asking nothing batch together', async () => {
  const { model, batches, options } = fakeModel();
  const d = batchingDetector(model, { maxBatch: 3, maxWaitMs: 60_000 });
  const low = { confidence: 0.1 };
  const calls = [
    d.detect([frame(1)]),
    d.detect([frame(2)], low),
    d.detect([frame(3)], {}),
    d.detect([frame(4)], { confidence: 0.1, iou: 0.3 }),
    d.detect([frame(5)], { confidence: undefined }),
    d.detect([frame(6)], { confidence: 0.1 }),
  ];
  await tick();
  assert.deepEqual(batches, [[1, 3, 5]], 'the three default calls filled a batch; the others wait for their own');
  assert.deepEqual(options, [undefined]);
  const more = d.detect([frame(7)], low);
  await tick();
  assert.deepEqual(batches[1], [2, 6, 7], 'equal options, separate objects: one batch');
  assert.deepEqual(options[1], low);
  const closing = d.close();
  assert.deepEqual(batches[2], [4], 'close sends the last, alone with its options');
  assert.deepEqual(options[2], { confidence: 0.1, iou: 0.3 });
  assert.deepEqual((await Promise.all([...calls, more])).map(idsOf), [[1], [2], [3], [4], [5], [6], [7]]);
  await closing;
});

test('with mixed options, the oldest frame’s batch goes when due; the rest gathers again with a new deadline', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { model, batches, options } = fakeModel();
    const d = batchingDetector(model, { maxBatch: 8, maxWaitMs: 25 });
    const a = d.detect([frame(1)]);
    mock.timers.tick(10);
    const b = d.detect([frame(2)], { iou: 0.9 });
    const c = d.detect([frame(3)]);
    mock.timers.tick(15);
    assert.deepEqual(batches, [[1, 3]], 'the default batch went 25 ms after its first frame, without the other options');
    mock.timers.tick(24);
    assert.equal(batches.length, 1, 'what is left gathers again, with a new deadline');
    mock.timers.tick(1);
    assert.deepEqual(batches[1], [2]);
    assert.deepEqual(options, [undefined, { iou: 0.9 }]);
    assert.deepEqual((await Promise.all([a, b, c])).map(idsOf), [[1], [2], [3]]);
  } finally {
    mock.timers.reset();
  }
});

test('a failed batch’s calls are retried alone with their own options', async () => {
  const { model, batches, options } = fakeModel();
  const poisoned: Detector = {
    ...model,
    detect: (frames, o) => (frames.some((f) => f.width === 2) ? Promise.reject(new Error('model broke on frame 2')) : model.detect(frames, o)),
  };
  const d = batchingDetector(poisoned, { maxBatch: 2, maxWaitMs: 60_000 });
  const [a, b] = [1, 2].map((i) => d.detect([frame(i)], { confidence: 0.5 }));
  await assert.rejects(b!, /model broke/);
  assert.deepEqual(idsOf(await a!), [1]);
  assert.deepEqual(batches, [[1]]);
  assert.deepEqual(options, [{ confidence: 0.5 }]);
});
