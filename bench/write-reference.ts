/**
 * Writes a committed quality reference (bench/reference/<name>.json): the real Ultralytics YOLOv8n
 * of ../shared/models at the design's thresholds on a video's sampled frames, so the quality
 * figures (`npm run bench -- --quality`) and test/adapters/detector-quality.test.ts have a
 * reference on machines without ../shared (its weights are AGPL-3.0 and never enter the
 * repository; these are its outputs on Debian opencv-doc's own video).
 *
 *   node --import tsx bench/write-reference.ts <video> <name>
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/core/config.js';
import { YOLO_DEFAULTS } from '../src/core/model-defaults.js';
import { createOnnxYoloDetector } from '../src/adapters/detector/onnx-yolo.js';
import { yoloModelInput } from '../src/adapters/detector/yolo/model-input.js';
import { sampleVideo } from './detector-run.js';
import { detectSampled, fileSha256, REFERENCE_DIR, roundedFrames, type ReferenceLabels } from './quality-run.js';

const MODEL = fileURLToPath(new URL('../../shared/models/yolov8n-coco-int8.onnx', import.meta.url));

async function main(): Promise<void> {
  const [video, name] = process.argv.slice(2);
  if (!video || !name) throw new Error('usage: write-reference.ts <video> <name>');
  const config = loadConfig(process.env, { logLevel: 'warn' });
  const sampled = await sampleVideo(video, config);
  const detector = await createOnnxYoloDetector({ name: 'yolov8n-coco-int8', modelPath: MODEL, ...YOLO_DEFAULTS, maxBatch: 8 });
  try {
    const frames = await detectSampled(detector, sampled, config, await yoloModelInput(MODEL), YOLO_DEFAULTS);
    const labels: ReferenceLabels = {
      provenance:
        `The boxes of the real Ultralytics YOLOv8n (COCO-80, int8 weights; ../shared/models/yolov8n-coco-int8.onnx, AGPL-3.0, not in this repository) ` +
        `through Framewise's detector (the design's preprocessing, letterbox, class-wise NMS) at confidence ${YOLO_DEFAULTS.confidence}, IoU ${YOLO_DEFAULTS.iou}, ` +
        `on every ${sampled.every}th frame of ${basename(video)} (Debian opencv-doc). Machine-made, not hand-labelled: a reference to compare detectors with, not ground truth. ` +
        'Written by bench/write-reference.ts.',
      video: { name: basename(video), sha256: await fileSha256(video), every: sampled.every, width: sampled.width, height: sampled.height },
      model: { name: 'yolov8n-coco-int8', sha256: detector.sha256 },
      confidence: YOLO_DEFAULTS.confidence,
      iou: YOLO_DEFAULTS.iou,
      frames: roundedFrames(frames),
    };
    await mkdir(REFERENCE_DIR, { recursive: true });
    const file = join(REFERENCE_DIR, `${name}.json`);
    // One frame a line: diffs stay readable.
    const { frames: fs, ...head } = labels;
    await writeFile(file, `${JSON.stringify(head).slice(0, -1)},"frames":[\n${fs.map((f) => JSON.stringify(f)).join(',\n')}\n]}\n`);
    process.stderr.write(`wrote ${file}: ${frames.length} frames, ${frames.reduce((a, f) => a + f.objects.length, 0)} boxes\n`);
  } finally {
    await detector.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
