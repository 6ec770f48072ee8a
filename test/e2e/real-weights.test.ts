import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURE, isFinished, startServer, uploadFile, waitForResult, type Server } from './server.js';
import { runPlainLoop, type PlainLoopRun } from '../../bench/plain-loop.js';
import { agreement } from '../../bench/agreement.js';

/**
 * The first test on real weights: the real Ultralytics YOLOv8n (COCO-80, int8 weights) that the
 * project keeps beside the repository in ../shared/models (AGPL-3.0: used from there, never copied
 * in), in `framewise serve`, on the vtest fixture (Debian opencv-doc's pedestrian street), every 5th
 * frame. It must find a person in at least 95 % of the sampled frames, and its boxes must agree
 * with the plain loop's (bench/plain-loop.py: OpenCV decode and preprocessing, Ultralytics'
 * letterbox, Python's onnxruntime, on the same file and frames): same class, IoU ≥ 0.5, F1 ≥ 0.97.
 */
const MODEL = fileURLToPath(new URL('../../../shared/models/yolov8n-coco-int8.onnx', import.meta.url));
const skip = existsSync(MODEL)
  ? false
  : `../shared/models/yolov8n-coco-int8.onnx is not here (it lives beside the project's checkout, not in it): no real weights to test`;

describe('real weights: the Ultralytics YOLOv8n on vtest frames, against the plain loop', { skip }, () => {
  let dir: string;
  let server: Server;
  let result: any;
  let plain: PlainLoopRun;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-real-weights-'));
    server = await startServer(join(dir, 'data'), { FRAMEWISE_MODELS: JSON.stringify([{ name: 'yolov8n', path: MODEL }]), FRAMEWISE_DEFAULT_MODEL: 'yolov8n' });
    const [{ body }, loop] = await Promise.all([
      uploadFile(server.url, await readFile(FIXTURE), 'vtest-10s.mp4'),
      runPlainLoop({ model: MODEL, video: FIXTURE, every: 5 }),
    ]);
    plain = loop;
    result = await waitForResult(server.url, body.event_id, isFinished, 300_000);
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('finds a person in at least 95 % of the sampled frames', () => {
    assert.equal(result.status, 'ready', result.reason);
    const frames: Array<{ objects: Array<{ class: string }> }> = result.prediction;
    assert.equal(frames.length, 20);
    const withPerson = frames.filter((f) => f.objects.some((o) => o.class === 'person')).length;
    assert.ok(withPerson / frames.length >= 0.95, `a person in ${withPerson} of ${frames.length} frames`);
    assert.equal(result.model?.name, 'yolov8n');
  });

  test('its boxes agree with the plain loop’s on the same frames: same class, IoU ≥ 0.5, F1 ≥ 0.97', () => {
    assert.deepEqual(
      result.prediction.map((f: { frame: number }) => f.frame),
      plain.detections.map((f) => f.frame),
      'the same sampled frames',
    );
    const a = agreement(result.prediction, plain.detections, 0.5);
    assert.ok(a.reference > 100, `the plain loop found ${a.reference} boxes`);
    process.stderr.write(
      `real weights: F1 ${a.f1.toFixed(4)}, precision ${a.precision.toFixed(4)}, recall ${a.recall.toFixed(4)} (${a.matched} of ${a.found} vs ${a.reference})\n`,
    );
    assert.ok(
      a.f1 >= 0.97,
      `F1 ${a.f1.toFixed(4)} (precision ${a.precision.toFixed(4)}, recall ${a.recall.toFixed(4)}; ${a.matched} of ${a.found} vs ${a.reference})`,
    );
  });
});
