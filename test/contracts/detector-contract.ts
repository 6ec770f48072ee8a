import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { COCO_CLASSES } from '../../src/adapters/detector/coco-classes.js';
import type { Detector, DetectorOptions } from '../../src/ports/detector.js';
import type { DetectedObject, FrameImage } from '../../src/core/types.js';
import { iou } from '../../src/core/tracking/byte-tracker.js';

/**
 * The Detector port's contract (`src/ports/detector.ts`), for every detector adapter, on real
 * pictures: messi5.jpg from Debian's opencv-doc and a frame of the vtest fixture decoded by the real
 * ffmpeg. A detector of COCO-80 weights finds the player, the ball and the pedestrians; every one
 * keeps to the thresholds, the NMS, the order of calls, the caller's frames and `close`.
 */
const MESSI = fileURLToPath(new URL('../fixtures/messi5.jpg', import.meta.url));
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VIDEO = path.join(ROOT, 'test/fixtures/vtest-10s.mp4');
const FFMPEG = path.join(ROOT, 'node_modules/@ffmpeg-installer/linux-x64/ffmpeg');

export const LOW = 0.3;
const HIGH = 0.5;

async function decode(img: sharp.Sharp): Promise<FrameImage> {
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3);
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/** A private copy, so no test can disturb the shared frame. */
function copy(f: FrameImage): FrameImage {
  return { width: f.width, height: f.height, data: f.data.slice() };
}

function bestPerson(objects: DetectedObject[]): DetectedObject {
  const people = objects.filter((o) => o.class === 'person').sort((a, b) => b.conf - a.conf);
  assert.ok(people[0], `no person in ${JSON.stringify(objects)}`);
  return people[0];
}

function wellFormed(rounded: boolean) {
  return (objects: DetectedObject[], frame: { width: number; height: number }, minConf: number): void => {
    for (const o of objects) {
      assert.ok(COCO_CLASSES.includes(o.class), `unknown class ${o.class}`);
      assert.ok(o.conf >= minConf - 1e-4 && o.conf <= 1, `conf ${o.conf}`);
      if (rounded) assert.equal(Math.round(o.conf * 1e4) / 1e4, o.conf, 'conf rounded to 4 decimals');
      const [x1, y1, x2, y2] = o.box;
      if (rounded) for (const v of o.box) assert.equal(Math.round(v * 10) / 10, v, 'box rounded to 1 decimal');
      assert.ok(0 <= x1 && x1 < x2 && x2 <= frame.width, `x-range ${x1}..${x2} in 0..${frame.width}`);
      assert.ok(0 <= y1 && y1 < y2 && y2 <= frame.height, `y-range ${y1}..${y2} in 0..${frame.height}`);
    }
  };
}

/** The frame of the vtest video at 2 s (a street with many pedestrians), decoded by the real ffmpeg. */
async function vtestFrame(): Promise<FrameImage> {
  const dir = await mkdtemp(path.join(tmpdir(), 'framewise-vtest-'));
  try {
    const png = path.join(dir, 'frame.png');
    await promisify(execFile)(FFMPEG, ['-v', 'error', '-ss', '2', '-i', VIDEO, '-frames:v', '1', '-y', png]);
    return await decode(sharp(png));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A detector adapter under the contract. */
export interface DetectorUnderTest {
  name: string;
  make: (o: DetectorOptions) => Promise<Detector>;
  /** A detector made from a broken model file in `dir`: must fail to start. */
  makeBroken: (dir: string) => Promise<Detector>;
  /** Whether it rounds boxes to 0.1 px and confidences to 4 decimals (the bundled ones do; YOLO's are unrounded). */
  rounded: boolean;
  /** How far (px) a mirrored frame's box may sit from the mirrored box (default 10, < 2 % of messi5's width). */
  mirrorTolerancePx?: number;
  /** Why the suite cannot run here (a model file that is not on this machine); absent: it runs. */
  skip?: string;
}

/** Runs the contract for `model`. */
export function detectorContract(model: DetectorUnderTest): void {
  const assertWellFormed = wellFormed(model.rounded);
  describe(`Detector contract: ${model.name}`, { ...(model.skip ? { skip: model.skip } : {}) }, () => {
    let detector: Detector;
    let messi: FrameImage;

    before(async () => {
      [detector, messi] = await Promise.all([model.make({ confidence: LOW, iou: 0.5 }), decode(sharp(MESSI))]);
    });

    after(async () => {
      await detector?.close();
    });

    test('name is stable', () => {
      assert.equal(detector.name, model.name);
      assert.equal(COCO_CLASSES.length, 80);
      assert.equal(COCO_CLASSES[0], 'person');
      assert.equal(COCO_CLASSES[32], 'sports ball');
      assert.equal(COCO_CLASSES[79], 'toothbrush');
    });

    test('finds the player (and the ball) in messi5.jpg, boxes inside the frame', async () => {
      const [objects] = await detector.detect([copy(messi)]);
      assert.ok(objects);
      assertWellFormed(objects, messi, LOW);
      const person = bestPerson(objects);
      assert.ok(person.conf >= 0.5, `person conf ${person.conf}`);
      // The player fills most of the right part of the picture.
      assert.ok(person.box[2] - person.box[0] > messi.width / 3, JSON.stringify(person));
      assert.ok(person.box[3] - person.box[1] > messi.height / 2, JSON.stringify(person));
      assert.ok(
        objects.some((o) => o.class === 'sports ball'),
        JSON.stringify(objects),
      );
      // Sorted by confidence and no same-class pair overlapping above the IoU threshold (NMS).
      for (let i = 1; i < objects.length; i++) assert.ok(objects[i - 1]!.conf >= objects[i]!.conf);
      for (const a of objects) {
        for (const b of objects) {
          if (a !== b && a.class === b.class) assert.ok(iou(a.box, b.box) <= 0.5 + 1e-6);
        }
      }
    });

    test('boxes map back to each frame: mirrored and 2x downscaled copies, in one call', async () => {
      const flipped = await decode(sharp(MESSI).flop());
      const half = await decode(sharp(MESSI).resize(Math.round(messi.width / 2), Math.round(messi.height / 2), { fit: 'fill' }));
      const results = await detector.detect([copy(messi), flipped, half]);
      assert.equal(results.length, 3);
      const [orig, flip, small] = results.map((r) => bestPerson(r!)) as [DetectedObject, DetectedObject, DetectedObject];
      assertWellFormed(results[1]!, flipped, LOW);
      assertWellFormed(results[2]!, half, LOW);

      const tol = model.mirrorTolerancePx ?? 10; // px: the network is not exactly mirror-symmetric
      assert.ok(Math.abs(flip.box[0] - (messi.width - orig.box[2])) <= tol, `${JSON.stringify(flip)} vs ${JSON.stringify(orig)}`);
      assert.ok(Math.abs(flip.box[2] - (messi.width - orig.box[0])) <= tol, `${JSON.stringify(flip)} vs ${JSON.stringify(orig)}`);
      assert.ok(Math.abs(flip.box[1] - orig.box[1]) <= tol && Math.abs(flip.box[3] - orig.box[3]) <= tol);

      // The half-size copy is a blurrier input, so the network's box moves a little; the mapping back
      // to the small frame's pixels must still put it over the same person.
      const sx = half.width / messi.width;
      const sy = half.height / messi.height;
      const scaled: DetectedObject['box'] = [orig.box[0] * sx, orig.box[1] * sy, orig.box[2] * sx, orig.box[3] * sy];
      assert.ok(iou(small.box, scaled) >= 0.85, `${JSON.stringify(small.box)} vs ${JSON.stringify(scaled)}`);
      assert.ok(small.box[2] <= half.width && small.box[3] <= half.height);
    });

    test('a higher confidence threshold yields a subset; detect after close rejects', async () => {
      const strict = await model.make({ confidence: HIGH, iou: 0.5 });
      try {
        const [[low], [high]] = await Promise.all([detector.detect([copy(messi)]), strict.detect([copy(messi)])]);
        assert.ok(low && high);
        assert.ok(high.length < low.length, `${high.length} vs ${low.length}`);
        assertWellFormed(high, messi, HIGH);
        for (const o of high) {
          assert.ok(
            low.some((l) => l.class === o.class && l.conf === o.conf && l.box.every((v, i) => v === o.box[i])),
            `${JSON.stringify(o)} not in ${JSON.stringify(low)}`,
          );
        }
        assert.deepEqual(
          high,
          low.filter((o) => o.conf >= HIGH),
        );
      } finally {
        await strict.close();
      }
      await assert.rejects(strict.detect([copy(messi)]), (err: unknown) => err instanceof Error && /closed/.test(err.message));
      await strict.close(); // idempotent
    });

    test('calls made back to back are served in order', async () => {
      const flipped = await decode(sharp(MESSI).flop());
      const [a, b, c] = await Promise.all([detector.detect([copy(messi)]), detector.detect([]), detector.detect([flipped])]);
      assert.deepEqual(b, []);
      const pa = bestPerson(a[0]!);
      const pc = bestPerson(c[0]!);
      // The player stands right of centre in the original and left of centre in the mirrored copy.
      assert.ok(pa.box[0] + pa.box[2] > messi.width * 0.9, JSON.stringify(pa));
      assert.ok(pc.box[0] + pc.box[2] < messi.width * 1.1, JSON.stringify(pc));
    });

    test('a malformed frame rejects that call only', async () => {
      await assert.rejects(detector.detect([{ width: 10, height: 10, data: new Uint8Array(10) }]), /RGB bytes/);
      const [objects] = await detector.detect([copy(messi)]);
      assert.ok(objects && objects.length > 0);
    });

    test('the caller keeps its frames: whole buffers and views into a larger one are copied to the worker', async () => {
      const owned = copy(messi);
      const big = new Uint8Array(messi.data.length + 16);
      big.set(messi.data, 8);
      const view: FrameImage = { width: messi.width, height: messi.height, data: big.subarray(8, 8 + messi.data.length) };
      const [r1, r2] = await detector.detect([owned, view]);
      assert.deepEqual(owned.data, messi.data, 'whole-buffer frame left intact');
      assert.deepEqual(view.data, messi.data, 'partial view left intact');
      assert.deepEqual(r1, r2);
      assert.deepEqual((await detector.detect([owned]))[0], r1, 'the same frame again: a retry sees the same pixels');
    });

    test('close lets accepted calls finish, later calls reject; a bad model fails to start', async () => {
      const d = await model.make({ confidence: LOW, iou: 0.5 });
      const pending = d.detect([copy(messi)]);
      const closed = d.close();
      await assert.rejects(d.detect([copy(messi)]), /closed/);
      assert.ok(
        (await pending)[0]!.some((o) => o.class === 'person'),
        'the accepted call finished',
      );
      await closed;

      const dir = await mkdtemp(path.join(tmpdir(), 'framewise-detector-'));
      try {
        await assert.rejects(model.makeBroken(dir), /failed to start|cannot load/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      await assert.rejects(model.make({ confidence: 2, iou: 0.5 }), /confidence/);
    });

    test('finds pedestrians in a frame of the vtest video', async () => {
      const frame = await vtestFrame();
      const size = { width: frame.width, height: frame.height };
      const [objects] = await detector.detect([frame]);
      assert.ok(objects);
      assertWellFormed(objects, size, LOW);
      const people = objects.filter((o) => o.class === 'person');
      assert.ok(people.length >= 1, JSON.stringify(objects));
    });

    test('per-call confidence: the call’s threshold, below and above the default, for that call only', async () => {
      const street = await vtestFrame();
      for (const frame of [messi, street]) {
        const [[loose], [strict], [byDefault], [explicit], [empty]] = await Promise.all([
          detector.detect([copy(frame)], { confidence: 0.1 }),
          detector.detect([copy(frame)], { confidence: 0.6 }),
          detector.detect([copy(frame)]),
          detector.detect([copy(frame)], { confidence: LOW, iou: 0.5 }),
          detector.detect([copy(frame)], {}),
        ]);
        assert.ok(loose && strict && byDefault);
        assert.ok(loose.length > byDefault.length && byDefault.length >= strict.length, `${loose.length} > ${byDefault.length} >= ${strict.length}`);
        assert.ok(strict.length >= 1, 'something is that sure');
        for (const o of loose) assert.ok(o.conf >= 0.1, `conf ${o.conf} at 0.1`);
        for (const o of strict) assert.ok(o.conf >= 0.6, `conf ${o.conf} at 0.6`);
        assertWellFormed(loose, frame, 0.1);
        // Low-scored candidates never suppress higher ones: a stricter call keeps exactly the looser one's sure objects.
        assert.deepEqual(
          strict,
          loose.filter((o) => o.conf >= 0.6),
        );
        assert.deepEqual(
          byDefault,
          loose.filter((o) => o.conf >= LOW),
        );
        assert.deepEqual(explicit, byDefault, 'absent options are the detector’s own');
        assert.deepEqual(empty, byDefault);
      }
      await assert.rejects(detector.detect([copy(messi)], { confidence: 1.5 }), /confidence must be a number between 0 and 1/);
      await assert.rejects(detector.detect([copy(messi)], { iou: -0.1 }), /iou must be a number between 0 and 1/);
      assert.deepEqual((await detector.detect([copy(messi)]))[0], (await detector.detect([copy(messi)], { confidence: LOW }))[0], 'still usable');
    });

    test('per-call IoU: no two boxes of a class overlap above it, and a lower IoU never keeps more', async () => {
      const street = await vtestFrame();
      const thresholds = [0, 0.2, 0.5, 0.9, 1];
      for (const frame of [messi, street]) {
        const results = await Promise.all(thresholds.map((t) => detector.detect([copy(frame)], { confidence: 0.1, iou: t }).then((r) => r[0]!)));
        const counts = results.map((r) => r.length);
        for (let i = 1; i < counts.length; i++) assert.ok(counts[i - 1]! <= counts[i]!, `counts at IoU ${thresholds.join(', ')}: ${counts.join(', ')}`);
        assert.ok(counts[0]! < counts.at(-1)!, `the IoU matters on this frame: ${counts.join(', ')}`);
        results.forEach((objects, k) => {
          assertWellFormed(objects, frame, 0.1);
          for (const a of objects) {
            for (const b of objects) {
              // Boxes are rounded to 0.1 px after NMS: allow for it (rounding never makes disjoint boxes overlap).
              if (a !== b && a.class === b.class) assert.ok(iou(a.box, b.box) <= thresholds[k]! + 0.01, `IoU ${iou(a.box, b.box)} above ${thresholds[k]}`);
            }
          }
        });
      }
    });
  });
}
