import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import sharp from 'sharp';
import { SharpFrameCodec } from '../../src/adapters/frame-codec/sharp.js';
import { encodeFrameWithin } from '../../src/stages/runner/frame-message.js';
import { detectFrame } from '../../src/stages/inference/detect.js';
import { decodeInferenceResult, inferenceTaskHeaders } from '../../src/core/messages.js';
import type { Detector } from '../../src/ports/detector.js';
import type { BusMessage } from '../../src/ports/bus-message.js';
import type { FrameImage } from '../../src/core/types.js';

const codec = new SharpFrameCodec('jpeg', 90);

/** Deterministic noise: the worst case for JPEG (a 1920×1080 noise frame is megabytes at q90). */
function noise(width: number, height: number): FrameImage {
  const data = new Uint8Array(width * height * 3);
  let x = 2463534242;
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  return { width, height, data };
}

test('a frame under the limit is encoded once, at the configured quality', async () => {
  const { data, info } = await sharp(path.join(import.meta.dirname, '../fixtures/messi5.jpg'))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const frame: FrameImage = { width: info.width, height: info.height, data };
  const jpeg = await encodeFrameWithin(codec, frame, 1_000_000);
  assert.deepEqual(jpeg, await codec.encode(frame));
  assert.equal(jpeg.contentType, 'image/jpeg');
});

test('a frame over the limit is re-encoded at lower quality, then shrunk, until it fits', async () => {
  const frame = noise(1920, 1080);
  const full = (await codec.encode(frame)).bytes;
  const limit = 300_000;
  assert.ok(full.length > 4 * limit, `the noise frame is big at q90 (${full.length} bytes)`);
  const jpeg = await encodeFrameWithin(codec, frame, limit);
  assert.ok(jpeg.bytes.length <= limit, `${jpeg.bytes.length} ≤ ${limit}`);
  const back = await codec.decode(jpeg.bytes, jpeg.contentType);
  assert.ok(back.width < 1920 && back.width > 300, `shrunk, not to nothing: ${back.width}x${back.height}`);
  assert.ok(Math.abs(back.width / back.height - 1920 / 1080) < 0.02, 'aspect ratio kept');
  await assert.rejects(encodeFrameWithin(codec, frame, 10), /cannot be encoded in 10 bytes/);
});

test('boxes of a frame shrunk for the bus come back in the frame’s own pixels', async () => {
  const small = (await codec.encode(noise(64, 32))).bytes; // the frame was 256×128
  let seen: FrameImage | undefined;
  const detector: Detector = {
    name: 'fake',
    sha256: 'a'.repeat(64),
    detect: async (frames) => {
      seen = frames[0];
      return [[{ class: 'person', box: [8, 4, 16, 12], conf: 0.9 }]];
    },
    close: async () => {},
  };
  const published: BusMessage[] = [];
  const deps = {
    detectors: { defaultModel: 'fake', names: ['fake'], get: () => detector, close: async () => {} },
    codec,
    bus: { publish: async (_topic: string, messages: BusMessage[]) => void published.push(...messages), close: async () => {} },
  };
  const headers = inferenceTaskHeaders({ eventId: 'e1', frame: 5 }, 256, 128);
  await detectFrame({ key: 'e1/5', value: small, headers, topic: 'inference_tasks', offset: '0', attempt: 1 }, deps);
  assert.equal(seen?.width, 64);
  const result = decodeInferenceResult(published[0]!.value);
  assert.deepEqual(result.objects[0]!.box, [32, 16, 64, 48]);
  // Without size headers (an older runner), boxes stay as detected.
  published.length = 0;
  await detectFrame({ key: 'e1/5', value: small, headers: { event_id: 'e1', frame: '5' }, topic: 'inference_tasks', offset: '1', attempt: 1 }, deps);
  assert.deepEqual(decodeInferenceResult(published[0]!.value).objects[0]!.box, [8, 4, 16, 12]);
});

test('raw frames: the frame’s own bytes, their size in the content type, shrunk to fit; any codec decodes every format', async () => {
  const raw = new SharpFrameCodec('raw');
  const frame = noise(320, 240);
  const encoded = await encodeFrameWithin(raw, frame, 1_000_000);
  assert.equal(encoded.contentType, 'image/x-raw-rgb; width=320; height=240');
  assert.equal(encoded.bytes.length, 320 * 240 * 3);
  assert.equal(encoded.bytes.buffer, frame.data.buffer, 'not copied');
  const back = await raw.decode(encoded.bytes, encoded.contentType);
  assert.deepEqual([back.width, back.height], [320, 240]);
  assert.deepEqual(Buffer.from(back.data), Buffer.from(frame.data), 'lossless');
  assert.deepEqual(await codec.decode(encoded.bytes, encoded.contentType), back, 'a JPEG codec reads raw frames too');
  const jpeg = await codec.encode(frame);
  assert.equal((await raw.decode(jpeg.bytes, jpeg.contentType)).width, 320, 'a raw codec reads JPEG frames too');
  assert.equal((await raw.decode(jpeg.bytes)).width, 320, 'and JPEG frames without a content type (older runners)');

  const big = noise(768, 576); // 1.3 MB raw: over a Kafka-sized limit
  const fitted = await encodeFrameWithin(raw, big, 1_000_000);
  assert.ok(fitted.bytes.length <= 1_000_000, `${fitted.bytes.length} bytes`);
  const small = await raw.decode(fitted.bytes, fitted.contentType);
  assert.ok(small.width < 768 && small.width >= 600, `shrunk a little: ${small.width}x${small.height}`);
  await assert.rejects(raw.decode(Buffer.alloc(10), encoded.contentType), /does not hold 320x240 RGB/);

  // Frames of runners before this version: a magic header with the size, then the pixels.
  const legacy = Buffer.concat([Buffer.from('FWRGB\x001\x00', 'latin1'), Buffer.from([64, 1, 0, 0, 240, 0, 0, 0]), Buffer.from(frame.data)]);
  assert.deepEqual(Buffer.from((await codec.decode(legacy, 'application/x-framewise-rgb')).data), Buffer.from(frame.data));
});

test('auto: raw where the frame fits the limit, JPEG where it does not', async () => {
  const auto = new SharpFrameCodec('auto');
  const atModelSize = await encodeFrameWithin(auto, noise(640, 480), 1_000_000); // 921,600 bytes raw
  assert.equal(atModelSize.contentType, 'image/x-raw-rgb; width=640; height=480');
  const full = await encodeFrameWithin(auto, noise(768, 576), 1_000_000); // 1.3 MB raw
  assert.equal(full.contentType, 'image/jpeg');
  assert.ok(full.bytes.length <= 1_000_000);
});
