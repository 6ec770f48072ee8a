import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readPpmFrames } from '../../src/adapters/frame-source/ppm-stream.js';

function ppm(w: number, h: number, value: number): Buffer {
  return Buffer.concat([Buffer.from(`P6\n${w} ${h}\n255\n`), Buffer.alloc(w * h * 3, value)]);
}

async function collect(chunks: Buffer[]) {
  const out = [];
  for await (const f of readPpmFrames(Readable.from(chunks))) out.push(f);
  return out;
}

test('splits frames whatever the chunk boundaries', async () => {
  const all = Buffer.concat([ppm(4, 3, 1), ppm(4, 3, 2), ppm(2, 2, 3)]);
  for (const size of [1, 7, 13, 64, all.length]) {
    const chunks = [];
    for (let i = 0; i < all.length; i += size) chunks.push(all.subarray(i, i + size));
    const frames = await collect(chunks);
    assert.deepEqual(
      frames.map((f) => [f.width, f.height, f.data[0], f.data.length]),
      [
        [4, 3, 1, 36],
        [4, 3, 2, 36],
        [2, 2, 3, 12],
      ],
    );
  }
});

test('a stream that ends inside a frame is an error, not a short frame', async () => {
  await assert.rejects(collect([ppm(4, 4, 9).subarray(0, 30)]), /ended inside a frame/);
});

test('non-PPM output is an error', async () => {
  await assert.rejects(collect([Buffer.from('this is not a picture at all, it is text that goes on and on and on')]), /other than PPM/);
});
