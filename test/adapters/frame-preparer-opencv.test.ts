import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FfmpegFrameSource } from '../../src/adapters/frame-source/ffmpeg.js';
import { WasmFramePreparer } from '../../src/adapters/frame-preparer/wasm-simd.js';
import { TypeScriptFramePreparer } from '../../src/adapters/frame-preparer/typescript.js';
import type { FramePreparer } from '../../src/ports/frame-preparer.js';
import type { FrameImage } from '../../src/core/types.js';
import { plainLoopPython } from '../../bench/plain-loop.js';
import { FIXTURE } from '../support/derived-videos.js';

const SCRIPT = fileURLToPath(new URL('../support/opencv-reference.py', import.meta.url));

/** OpenCV (the plain loop's pinned opencv-python-headless) on `frames`: see opencv-reference.py. */
async function opencv(frames: FrameImage[], o: { blur: boolean; alpha: number; beta: number; size?: [number, number] }): Promise<Buffer> {
  const python = await plainLoopPython();
  const { width, height } = frames[0]!;
  const child = spawn(python, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  const done = new Promise<number | null>((resolve) => child.once('close', resolve));
  child.stdin.write(JSON.stringify({ width, height, frames: frames.length, blur: o.blur, alpha: o.alpha, beta: o.beta, size: o.size ?? null }) + '\n');
  for (const f of frames) child.stdin.write(f.data);
  child.stdin.end();
  assert.equal(await done, 0, err);
  return Buffer.concat(out);
}

/** Frames of the fixture (Debian opencv-doc's vtest) and a noise frame (every byte value, sharp edges). */
async function frames(): Promise<FrameImage[]> {
  const out: FrameImage[] = [];
  for await (const { image } of new FfmpegFrameSource({ decodeErrors: 'fail' }).frames(FIXTURE, 25)) out.push(image);
  const noise = new Uint8Array(768 * 576 * 3);
  let s = 2463534242;
  for (let i = 0; i < noise.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    noise[i] = s & 255;
  }
  return [...out, { width: 768, height: 576, data: noise }];
}

/**
 * Every FramePreparer against OpenCV itself (the contract's ±1 per channel): the design's
 * preprocessing is bit-exact (`GaussianBlur` 3×3 + `convertScaleAbs`), the linear resize within 1
 * of `cv2.resize(INTER_LINEAR)`, on real frames and on noise.
 */
describe('frame preparers against OpenCV', () => {
  let input: FrameImage[];
  before(async () => {
    input = await frames();
  });

  for (const [name, preparer] of [
    ['SIMD (WebAssembly)', new WasmFramePreparer()],
    ['TypeScript reference', new TypeScriptFramePreparer()],
  ] as Array<[string, FramePreparer]>) {
    for (const [label, o] of [
      ['blur + contrast 1.3 / 5', { blur: true, alpha: 1.3, beta: 5 }],
      ['contrast only, 0.7 / -20', { blur: false, alpha: 0.7, beta: -20 }],
      ['blur + contrast, then resized to 640×480', { blur: true, alpha: 1.3, beta: 5, size: [640, 480] as [number, number] }],
      ['resized up to 1000×700', { blur: false, alpha: 1, beta: 0, size: [1000, 700] as [number, number] }],
    ] as const) {
      test(`${name}: ${label}`, async () => {
        const want = await opencv(input, o);
        const got = Buffer.concat(
          input.map(
            (f) =>
              preparer.prepare(f, {
                preprocess: { blur: { enabled: o.blur, ksize: 3 }, contrast: { enabled: true, alpha: o.alpha, beta: o.beta } },
                ...('size' in o ? { size: { width: o.size[0], height: o.size[1] } } : {}),
              }).data,
          ),
        );
        assert.equal(got.length, want.length);
        let off = 0;
        let worst = 0;
        for (let i = 0; i < got.length; i++) {
          const d = Math.abs(got[i]! - want[i]!);
          if (d > 0) off++;
          if (d > worst) worst = d;
        }
        assert.ok(worst <= 1, `at most 1 off per channel (worst ${worst})`);
        if (!('size' in o)) assert.equal(off, 0, "the design's preprocessing is bit-exact");
      });
    }
  }
});
