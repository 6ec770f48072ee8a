import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { SharpFrameCodec } from '../../src/adapters/frame-codec/sharp.js';
import { detectFrame, reportUndetectableFrame, type DetectDeps } from '../../src/stages/inference/detect.js';
import { route } from '../../src/handler-middleware/handler.js';
import { deadLetter } from '../../src/handler-middleware/dead-letter.js';
import { TOPICS } from '../../src/core/topics.js';
import { decodeInferenceResult, inferenceTaskHeaders, MalformedMessageError, type TaskDetectOptions } from '../../src/core/messages.js';
import type { DetectOptions, Detector } from '../../src/ports/detector.js';
import type { BusMessage } from '../../src/ports/bus-message.js';
import type { DetectedObject } from '../../src/core/types.js';

const codec = new SharpFrameCodec('jpeg', 90);
const box: DetectedObject['box'] = [1, 2, 3, 4];
/** What the fake model "sees" in every frame: names that differ only in case, spaces or commas. */
const FOUND: DetectedObject[] = [
  { class: 'person', box, conf: 0.9 },
  { class: 'Person', box, conf: 0.8 },
  { class: 'traffic light', box, conf: 0.7 },
  { class: 'traffic', box, conf: 0.6 },
  { class: 'bolt, M6', box, conf: 0.5 },
  { class: 'bolt', box, conf: 0.4 },
];

/** The inference stage with a fake detector and a fake bus (fakes of our own ports), real JPEG codec. */
function stage() {
  const calls: (DetectOptions | undefined)[] = [];
  const detector: Detector = {
    name: 'fake',
    sha256: 'a'.repeat(64),
    detect: async (frames, options) => {
      calls.push(options);
      return frames.map(() => FOUND.map((o) => ({ ...o })));
    },
    close: async () => {},
  };
  const published: BusMessage[] = [];
  const topics: string[] = [];
  const deps: DetectDeps = {
    detectors: { defaultModel: 'fake', names: ['fake'], get: () => detector, close: async () => {} },
    codec,
    bus: {
      publish: async (topic: string, messages: BusMessage[]) => {
        published.push(...messages);
        topics.push(...messages.map(() => topic));
      },
      close: async () => {},
    },
  };
  return { deps, calls, published, topics };
}

const jpeg = async () => (await codec.encode({ width: 16, height: 8, data: new Uint8Array(16 * 8 * 3).fill(128) })).bytes;

async function run(s: ReturnType<typeof stage>, headers: Record<string, string>): Promise<string[]> {
  await detectFrame({ key: 'e1/5', value: await jpeg(), headers, topic: 'inference_tasks', offset: '0', attempt: 1 }, s.deps);
  return decodeInferenceResult(s.published.at(-1)!.value).objects.map((o) => o.class);
}

const headers = (options?: TaskDetectOptions) => inferenceTaskHeaders({ eventId: 'e1', frame: 5, ...(options ? { options } : {}) }, 16, 8);

test('the task’s thresholds go to the detector; only the task’s classes are published, matched exactly', async () => {
  const s = stage();
  const kept = await run(s, headers({ confidence: 0.1, iou: 0.6, classes: ['person', 'traffic light', 'bolt, M6', 'dog'] }));
  assert.deepEqual(kept, ['person', 'traffic light', 'bolt, M6']);
  assert.deepEqual(s.calls, [{ confidence: 0.1, iou: 0.6 }]);

  assert.deepEqual(await run(s, headers({ classes: ['Person'] })), ['Person']);
  assert.deepEqual(s.calls[1], undefined, 'classes alone: the model’s default thresholds');
  assert.deepEqual(await run(s, headers({ iou: 0.2, classes: [] })), [], 'an empty list keeps nothing');
  assert.deepEqual(s.calls[2], { iou: 0.2 });
});

test('a task asking class-agnostic NMS: boxes of the kept classes suppress each other across classes at its IoU', async () => {
  // Every FOUND box is the same box: across classes, only the most confident of the kept ones stays.
  const s = stage();
  assert.deepEqual(await run(s, headers({ iou: 0.45, class_agnostic_nms: true })), ['person']);
  // The class filter comes first (as Ultralytics' `classes`): a box the job did not ask for suppresses nothing.
  assert.deepEqual(await run(s, headers({ iou: 0.45, classes: ['traffic', 'bolt'], class_agnostic_nms: true })), ['traffic']);
  // At IoU 1 nothing overlaps by more: all stay; without the option nothing is suppressed either.
  assert.equal((await run(s, headers({ iou: 1, class_agnostic_nms: true }))).length, FOUND.length);
  assert.equal((await run(s, headers({ iou: 0.45 }))).length, FOUND.length);
  assert.equal(headers({ class_agnostic_nms: true }).class_agnostic_nms, 'true');
  assert.equal(headers({ iou: 0.45 }).class_agnostic_nms, undefined);
});

test('a task without options: the model’s defaults, every class', async () => {
  const s = stage();
  assert.deepEqual(
    await run(s, headers()),
    FOUND.map((o) => o.class),
  );
  assert.deepEqual(s.calls, [undefined]);
});

test('a task with malformed options fails as malformed before anything is detected', async () => {
  const s = stage();
  await assert.rejects(run(s, { ...headers(), classes: 'person,car' }), MalformedMessageError);
  await assert.rejects(run(s, { ...headers(), confidence: '7' }), MalformedMessageError);
  assert.deepEqual(s.calls, []);
  assert.equal(s.published.length, 0);
});

test('as the stage wires it, a malformed task is dead-lettered at once and its job told the frame failed', async () => {
  const s = stage();
  const handle = route(
    detectFrame,
    s.deps,
    deadLetter<DetectDeps>({ publisher: s.deps.bus, log: pino({ level: 'silent' }), maxAttempts: 5, onGiveUp: reportUndetectableFrame }),
  );
  await handle({ key: 'e1/5', value: await jpeg(), headers: { ...headers(), classes: '["person"' }, topic: 'inference_tasks', offset: '0', attempt: 1 });
  assert.deepEqual(s.topics, [TOPICS.inferenceResults, TOPICS.deadLetters], 'first attempt: no retry');
  const result = decodeInferenceResult(s.published[0]!.value);
  assert.deepEqual([result.event_id, result.frame, result.objects], ['e1', 5, []]);
  assert.match(result.error ?? '', /classes header is not JSON/);
  assert.deepEqual(s.calls, []);
});

test('published boxes are rounded to hundredths of a pixel and confidences to four decimals', async () => {
  const s = stage();
  const detector = s.deps.detectors.get();
  detector.detect = async () => [[{ class: 'person', box: [254.12314453124998, 0.005, 99.994999, 12.3456], conf: 0.87654321 }]];
  await detectFrame({ key: 'e1/5', value: await jpeg(), headers: headers(), topic: 'inference_tasks', offset: '0', attempt: 1 }, s.deps);
  const [o] = decodeInferenceResult(s.published.at(-1)!.value).objects;
  assert.deepEqual(o, { class: 'person', box: [254.12, 0.01, 99.99, 12.35], conf: 0.8765 });
  assert.equal(JSON.stringify(o!.box), '[254.12,0.01,99.99,12.35]');
});
