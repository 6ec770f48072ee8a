/**
 * Runs the plain loop (bench/plain-loop.py: OpenCV + onnxruntime in one Python process, the script a
 * user would write instead of Framewise) in the pinned virtualenv of scripts/plain-loop-requirements.txt,
 * installed on first use by scripts/python-venv.sh (cached outside the repository).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { DetectedObject } from '../src/core/types.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface PlainLoopRun {
  frames: number;
  seconds: number;
  fps: number;
  phase_ms_per_frame: Record<string, number>;
  onnxruntime: string;
  opencv: string;
  /** utime + stime of the Python process over its whole run (imports and model load included), s. */
  cpu_seconds: number;
  /** Per sampled frame, in order: what the loop found. */
  detections: Array<{ frame: number; objects: DetectedObject[] }>;
}

let venv: Promise<string> | undefined;

/** The plain loop's virtualenv python, installed on first use. */
export function plainLoopPython(): Promise<string> {
  venv ??= run('bash', [join(ROOT, 'scripts/python-venv.sh'), join(ROOT, 'scripts/plain-loop-requirements.txt')], { maxBuffer: 1 << 20 }).then(({ stdout }) =>
    join(stdout.trim(), 'bin', 'python'),
  );
  return venv;
}

export interface PlainLoopOptions {
  model: string;
  video: string;
  every: number;
  confidence?: number;
  iou?: number;
  intraOpThreads?: number;
  blur?: { ksize: number } | false;
  contrast?: { alpha: number; beta: number } | false;
}

/** Runs the loop once; resolves with its timing and its detections. */
export async function runPlainLoop(o: PlainLoopOptions): Promise<PlainLoopRun> {
  const python = await plainLoopPython();
  const dir = await mkdtemp(join(tmpdir(), 'fw-plain-loop-'));
  try {
    const out = join(dir, 'detections.jsonl');
    const args = [join(ROOT, 'bench/plain-loop.py'), '--model', o.model, '--video', o.video, '--every', String(o.every), '--detections', out];
    if (o.confidence !== undefined) args.push('--conf', String(o.confidence));
    if (o.iou !== undefined) args.push('--iou', String(o.iou));
    if (o.intraOpThreads) args.push('--intra-op-threads', String(o.intraOpThreads));
    if (o.blur === false) args.push('--blur-ksize', '1');
    else if (o.blur) args.push('--blur-ksize', String(o.blur.ksize));
    if (o.contrast === false) args.push('--alpha', '1', '--beta', '0');
    else if (o.contrast) args.push('--alpha', String(o.contrast.alpha), '--beta', String(o.contrast.beta));
    const { stdout } = await run(python, args, { maxBuffer: 16 << 20 });
    const result = JSON.parse(stdout) as Omit<PlainLoopRun, 'detections'>;
    const detections = (await readFile(out, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { frame: number; objects: DetectedObject[] });
    return { ...result, detections };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
