/**
 * Bench, quality runs: a detector over the video's sampled frames, prepared as the runner prepares
 * them for it (the design's preprocessing, resized to its travel size), its boxes brought back to
 * the displayed frame — what `quality.ts` compares.
 */
import { createHash } from 'node:crypto';
import cliProgress from 'cli-progress';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WasmFramePreparer } from '../src/adapters/frame-preparer/wasm-simd.js';
import { travelSize, type ModelInput } from '../src/core/model-input.js';
import { preprocessing } from '../src/modes/settings.js';
import type { Config } from '../src/core/config.js';
import type { Detector } from '../src/ports/detector.js';
import type { FrameBoxes } from './agreement.js';
import type { SampledVideo } from './detector-run.js';
import { quality, SWEEP_FLOOR, toDisplay, type DetectorQuality } from './quality.js';
import { YOLO_DEFAULTS, type ModelDefaults } from '../src/core/model-defaults.js';

/** Frames at a time: the detector's batches, so a CPU run takes seconds, not minutes. */
const CHUNK = 8;

/**
 * `detector`'s boxes on every sampled frame at `confidence` and `iou`, in displayed pixels; frame
 * numbers are the decoded frames' (`i · every`). Calls `onFrames` with the frames done so far.
 */
export async function detectSampled(
  detector: Detector,
  video: SampledVideo,
  config: Config,
  input: ModelInput | undefined,
  thresholds: { confidence: number; iou: number },
  onFrames?: (done: number) => void,
): Promise<FrameBoxes[]> {
  const display = { width: video.width, height: video.height };
  const travel = input ? travelSize(video.width, video.height, input) : display;
  const preparer = new WasmFramePreparer();
  const pre = preprocessing(config);
  const out: FrameBoxes[] = [];
  for (let start = 0; start < video.decoded.length; start += CHUNK) {
    const frames = video.decoded.slice(start, start + CHUNK).map((f) => preparer.prepare(f, { preprocess: pre, size: travel }));
    const found = await detector.detect(frames, thresholds);
    found.forEach((objects, i) => out.push({ frame: (start + i) * video.every, objects: toDisplay(objects, travel, display) }));
    onFrames?.(out.length);
  }
  return out;
}

/** A committed reference: a detector's boxes on one video's sampled frames, with where they came from. */
export interface ReferenceLabels {
  provenance: string;
  video: { name: string; sha256: string; every: number; width: number; height: number };
  model: { name: string; sha256: string };
  confidence: number;
  iou: number;
  frames: FrameBoxes[];
}

/** The committed references (bench/reference/*.json), for machines without ../shared/models. */
export const REFERENCE_DIR = fileURLToPath(new URL('./reference/', import.meta.url));

/** SHA-256 of a file, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The committed reference for `video` sampled every `every` frames, if there is one. */
export async function committedReference(video: string, every: number): Promise<ReferenceLabels | undefined> {
  const sha256 = await fileSha256(video);
  for (const name of await readdir(REFERENCE_DIR).catch(() => [] as string[])) {
    if (!name.endsWith('.json')) continue;
    const labels = JSON.parse(await readFile(join(REFERENCE_DIR, name), 'utf8')) as ReferenceLabels;
    if (labels.video.sha256 === sha256 && labels.video.every === every) return labels;
  }
  return undefined;
}

/** Boxes rounded as results print them (0.01 px, 4 decimals of confidence), for a committed file. */
export function roundedFrames(frames: readonly FrameBoxes[]): FrameBoxes[] {
  const r = (v: number, d: number): number => Math.round(v * 10 ** d) / 10 ** d;
  return frames.map((f) => ({
    frame: f.frame,
    objects: f.objects.map((o) => ({ class: o.class, box: o.box.map((v) => r(v, 2)) as [number, number, number, number], conf: r(o.conf, 4) })),
  }));
}

/** A detector the quality phase measures. */
export interface QualityDetector {
  name: string;
  input: ModelInput | undefined;
  open: () => Promise<Detector>;
  defaults: ModelDefaults;
  /** Why it has no quality figure (random weights, or it is the reference); absent: measured. */
  skip?: string;
}

export interface QualitySummary {
  /** What the boxes are compared with; null: nothing (no ../shared model, no committed labels for this video). */
  reference: {
    name: string;
    source: 'model' | 'committed labels';
    sha256: string;
    confidence: number;
    iou: number;
    frames: number;
    boxes: number;
    provenance?: string;
  } | null;
  detectors: DetectorQuality[];
  skipped: Array<{ detector: string; why: string }>;
}

/**
 * The quality phase: the reference's boxes (the real YOLOv8n at the design's thresholds when
 * `referenceModel` is given, else the committed labels for this video, if any), then each
 * detector at `SWEEP_FLOOR` and its quality against them.
 */
export async function measureQuality(
  video: SampledVideo,
  videoPath: string,
  config: Config,
  detectors: readonly QualityDetector[],
  referenceModel: { name: string; open: () => Promise<Detector>; input: ModelInput | undefined } | undefined,
  note: (msg: string) => void,
  progress: boolean,
): Promise<QualitySummary> {
  const run = async (name: string, d: Detector, input: ModelInput | undefined, thresholds: { confidence: number; iou: number }): Promise<FrameBoxes[]> => {
    const bar = progress
      ? new cliProgress.SingleBar(
          { stream: process.stderr, format: `quality ${name} [{bar}] {value}/{total} frames | {duration_formatted}`, hideCursor: true },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    bar?.start(video.decoded.length, 0);
    try {
      return await detectSampled(d, video, config, input, thresholds, (done) => bar?.update(done));
    } finally {
      bar?.stop();
    }
  };
  let reference: FrameBoxes[] | undefined;
  let about: QualitySummary['reference'] = null;
  if (referenceModel) {
    note(`quality: the reference, ${referenceModel.name} at confidence ${YOLO_DEFAULTS.confidence}, IoU ${YOLO_DEFAULTS.iou}`);
    const d = await referenceModel.open();
    try {
      reference = await run(referenceModel.name, d, referenceModel.input, YOLO_DEFAULTS);
      about = {
        name: referenceModel.name,
        source: 'model',
        sha256: d.sha256,
        confidence: YOLO_DEFAULTS.confidence,
        iou: YOLO_DEFAULTS.iou,
        frames: reference.length,
        boxes: 0,
      };
    } finally {
      await d.close();
    }
  } else {
    const labels = await committedReference(videoPath, video.every);
    if (labels) {
      reference = labels.frames;
      about = {
        name: labels.model.name,
        source: 'committed labels',
        sha256: labels.model.sha256,
        confidence: labels.confidence,
        iou: labels.iou,
        frames: labels.frames.length,
        boxes: 0,
        provenance: labels.provenance,
      };
      note(`quality: no ../shared/models here; the reference is the committed labels (${labels.model.name}, ${labels.frames.length} frames)`);
    }
  }
  const skipped: QualitySummary['skipped'] = [];
  const out: DetectorQuality[] = [];
  if (!reference || !about) {
    note('quality: no reference for this video (no ../shared/models/yolov8n-coco-int8.onnx, no committed labels for it): no quality figures');
    return { reference: null, detectors: out, skipped: detectors.map((d) => ({ detector: d.name, why: 'no reference' })) };
  }
  about.boxes = reference.reduce((a, f) => a + f.objects.length, 0);
  for (const q of detectors) {
    if (q.skip) {
      skipped.push({ detector: q.name, why: q.skip });
      continue;
    }
    note(`quality: ${q.name} at confidence ${SWEEP_FLOOR} (then every threshold to 0.95), IoU ${q.defaults.iou}`);
    const d = await q.open();
    try {
      const found = await run(q.name, d, q.input, { confidence: SWEEP_FLOOR, iou: q.defaults.iou });
      out.push(quality(q.name, found, reference, { confidence: q.defaults.confidence, iou: q.defaults.iou, agnostic: q.defaults.class_agnostic_nms }));
    } finally {
      await d.close();
    }
  }
  return { reference: about, detectors: out, skipped };
}

/** The quality figures as text: per detector, the thresholds around its default and its best. */
export function qualityText(q: QualitySummary): string[] {
  if (!q.reference) return ['Quality: no reference for this video (see bench/README.md, "Quality").'];
  const r = q.reference;
  const pct = (v: number): string => v.toFixed(3);
  const lines = [
    `Quality against ${r.name} (${r.source}; confidence ${r.confidence}, IoU ${r.iou}: ${r.boxes} boxes on ${r.frames} frames), same class and IoU ≥ 0.5, matched one to one:`,
  ];
  for (const d of q.detectors) {
    const shown = new Set([0.25, 0.3, 0.35, 0.4, 0.45, 0.5, d.default_confidence, d.best.confidence].map((c) => Math.round(c * 100) / 100));
    lines.push(
      '',
      `  ${d.detector} — default ${d.default_confidence}${d.class_agnostic_nms ? ', class-agnostic NMS' : ''}: precision ${pct(d.at_default.precision)}, recall ${pct(d.at_default.recall)}, F1 ${pct(d.at_default.f1)}; F1-best threshold ${d.best.confidence} (F1 ${pct(d.best.f1)})`,
    );
    lines.push(`    ${'threshold'.padEnd(11)}${'precision'.padStart(10)}${'recall'.padStart(8)}${'F1'.padStart(7)}${'boxes'.padStart(7)}`);
    for (const p of d.sweep.filter((p) => shown.has(p.confidence))) {
      const tag = p.confidence === d.default_confidence ? ' ← default' : p.confidence === d.best.confidence ? ' ← F1-best' : '';
      lines.push(
        `    ${p.confidence.toFixed(2).padEnd(11)}${pct(p.precision).padStart(10)}${pct(p.recall).padStart(8)}${pct(p.f1).padStart(7)}${String(p.boxes).padStart(7)}${tag}`,
      );
    }
    const old = d.at_design_default;
    lines.push(
      `    the design's ${old.confidence} with class-wise NMS only (the default before): precision ${pct(old.precision)}, recall ${pct(old.recall)}, F1 ${pct(old.f1)}, ${old.boxes} boxes`,
    );
    const o = d.other_suppression;
    lines.push(
      `    ${o.class_agnostic_nms ? 'with' : 'without'} class-agnostic NMS: F1 ${pct(o.at_default.f1)} at ${d.default_confidence} (${o.at_default.boxes} boxes), best ${pct(o.best.f1)} at ${o.best.confidence}`,
    );
    lines.push(
      `    per class at ${d.default_confidence} (found / reference, F1): ${d.classes.map((c) => `${c.class} ${c.found}/${c.reference} ${c.f1.toFixed(2)}`).join(', ')}`,
    );
  }
  for (const s of q.skipped) lines.push(`  ${s.detector}: no figure (${s.why})`);
  return lines;
}
