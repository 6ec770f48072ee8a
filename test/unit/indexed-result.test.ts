import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import fc from 'fast-check';
import { detectionDocument } from '../../src/core/result-document.js';
import type { Box, FrameResult } from '../../src/core/types.js';
import { IndexedResult } from '../../src/stages/api/indexed-result.js';
import { ResultCache } from '../../src/stages/api/result-cache.js';
import { encodeCursor, readResultPage, type ResultQuery } from '../../src/stages/api/result-pages.js';

const CLASSES = ['person', 'car', 'dog'];
const VIDEO = { width: 640, height: 480, fps: 10, duration_ms: 60_000, frame_count: 600, codec: 'h264', rotation: 0 };

/** Sampled frames (ascending, with gaps), some without a time, each with 0–4 objects. */
const framesArb = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 1, max: 5 }),
      timed: fc.boolean(),
      objects: fc.array(fc.record({ c: fc.integer({ min: 0, max: 2 }), x: fc.integer({ min: 0, max: 500 }), conf: fc.integer({ min: 10, max: 99 }) }), {
        maxLength: 4,
      }),
    }),
    { maxLength: 60 },
  )
  .map((rows) => {
    let frame = -1;
    return rows.map((r): FrameResult => {
      frame += r.gap;
      const objects = r.objects.map((o) => ({ class: CLASSES[o.c]!, box: [o.x, 10, o.x + 40, 90] as Box, conf: o.conf / 100 }));
      return { frame, ...(r.timed ? { timestamp_ms: frame * 100 } : {}), objects };
    });
  });

const queryArb = fc.record(
  {
    limit: fc.integer({ min: 1, max: 20 }),
    cursor: fc.integer({ min: 0, max: 200 }).map(encodeCursor),
    classes: fc.subarray(CLASSES, { minLength: 1 }),
    minConf: fc.integer({ min: 0, max: 100 }).map((c) => c / 100),
    trackId: fc.integer({ min: 1, max: 6 }),
    fromMs: fc.integer({ min: 0, max: 20_000 }),
    toMs: fc.integer({ min: 0, max: 30_000 }),
  },
  { requiredKeys: [] },
);

async function publish(frames: FrameResult[], video = true): Promise<Buffer> {
  const head = { event_id: 'job-1', total_frames: frames.length, parameters: { sample_every: 1 }, ...(video ? { video: VIDEO } : {}) };
  return Buffer.from(await text(Readable.from(detectionDocument(head, () => Readable.from(frames)))));
}

describe('IndexedResult: pages spliced from a published result held in memory', () => {
  test('every page and the whole answer equal what the streamed reader gives, for any frames and query', async () => {
    await fc.assert(
      fc.asyncProperty(framesArb, queryArb, fc.boolean(), async (frames, q: ResultQuery, video) => {
        if (q.fromMs !== undefined && q.toMs !== undefined && q.fromMs > q.toMs) return;
        const bytes = await publish(frames, video);
        const indexed = IndexedResult.of(bytes);
        assert.ok(indexed, 'a published document is indexed');
        const streamed = await readResultPage(Readable.from([bytes]), q);
        const page = JSON.parse(indexed.page('"status":"ready",', q).toString()) as Record<string, unknown>;
        assert.deepEqual(page, { status: 'ready', ...streamed.head, prediction: streamed.prediction, next_cursor: streamed.next_cursor });
        assert.deepEqual(JSON.parse(indexed.whole('"status":"ready",').toString()), { status: 'ready', ...JSON.parse(bytes.toString()) });
      }),
      { numRuns: 300 },
    );
  });

  test('only the one-frame-per-line layout is indexed: an older or a cut document is not', async () => {
    const bytes = await publish([
      { frame: 0, timestamp_ms: 0, objects: [] },
      { frame: 3, timestamp_ms: 300, objects: [] },
    ]);
    assert.ok(IndexedResult.of(bytes));
    assert.equal(IndexedResult.of(Buffer.from(JSON.stringify(JSON.parse(bytes.toString())))), undefined, 'one line (the layout before paging)');
    assert.equal(IndexedResult.of(bytes.subarray(0, bytes.length - 2)), undefined, 'no closing `]}`');
    assert.equal(IndexedResult.of(Buffer.from('')), undefined);
  });
});

describe('ResultCache', () => {
  const counted = (bytes: Buffer) => {
    const opens = { n: 0 };
    return { opens, open: async () => (opens.n++, Readable.from([bytes.subarray(0, 7), bytes.subarray(7)])) };
  };

  test('a result that fits is read once, by concurrent requests too, and then served from memory', async () => {
    const bytes = await publish([{ frame: 0, timestamp_ms: 0, objects: [] }]);
    const cache = new ResultCache(64 * bytes.length);
    const { opens, open } = counted(bytes);
    const at = new Date();
    const answers = await Promise.all([cache.get('a', at, open), cache.get('a', at, open), cache.get('a', at, open)]);
    assert.ok(answers.every((a) => a && 'indexed' in a));
    await cache.get('a', at, open);
    assert.equal(opens.n, 1);
    await cache.get('a', new Date(at.getTime() + 1), open);
    assert.equal(opens.n, 2, 'a re-published result (new ready_at) is read again');
  });

  test('a result over a sixteenth of the cache is streamed whole on every read, and buffered only the first time', async () => {
    const frames = Array.from({ length: 50 }, (_, i): FrameResult => ({
      frame: i,
      timestamp_ms: i * 100,
      objects: [{ class: 'car', box: [1, 2, 3, 4], conf: 0.5 }],
    }));
    const bytes = await publish(frames);
    const cache = new ResultCache(16 * (bytes.length - 1));
    const { opens, open } = counted(bytes);
    for (let i = 0; i < 3; i++) {
      const got = await cache.get('big', new Date(0), open);
      assert.ok(got && 'stream' in got);
      assert.equal(await text(got.stream), bytes.toString(), 'nothing read while measuring it is lost');
    }
    assert.equal(opens.n, 3);
  });

  test('no result, no cache, and an older layout', async () => {
    assert.equal(await new ResultCache(1 << 20).get('none', new Date(), async () => undefined), undefined);
    const bytes = await publish([{ frame: 0, objects: [] }]);
    const off = await new ResultCache(0).get('a', new Date(), counted(bytes).open);
    assert.ok(off && 'stream' in off);
    const oneLine = Buffer.from(JSON.stringify(JSON.parse(bytes.toString())));
    const legacy = await new ResultCache(1 << 20).get('old', new Date(), counted(oneLine).open);
    assert.ok(legacy && 'stream' in legacy);
    assert.equal(await text(legacy.stream), oneLine.toString());
  });
});
