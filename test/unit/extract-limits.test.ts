import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openDatabase } from '../../src/adapters/sqlite/database.js';
import { sqliteRunnerDatabase } from '../../src/adapters/sqlite/runner-database.js';
import { LocalDirObjectStore } from '../../src/adapters/object-store/local-dir.js';
import { FfmpegFrameSource } from '../../src/adapters/frame-source/ffmpeg.js';
import { TypeScriptFramePreparer } from '../../src/adapters/frame-preparer/typescript.js';
import { SharpFrameCodec } from '../../src/adapters/frame-codec/sharp.js';
import { extractFrames, type ExtractDeps } from '../../src/stages/runner/extract.js';
import { encodeOutboxEvent } from '../../src/core/messages.js';
import { videoSubmitted } from '../../src/core/job.js';
import { newEventId } from '../../src/core/ids.js';
import { TOPICS } from '../../src/core/topics.js';
import type { VideoLimits } from '../../src/core/video-limits.js';
import type { BusMessage, DeliveredMessage } from '../../src/ports/bus-message.js';
import type { FrameSource } from '../../src/ports/frame-source.js';
import { clipOfFixture } from '../support/derived-videos.js';

const LAX: VideoLimits = { maxDurationSeconds: 3 * 3600, maxWidth: 3840, maxHeight: 2160, maxFrames: 1_000_000 };
const ffmpeg = new FfmpegFrameSource({ decodeErrors: 'fail' });

/**
 * The runner's extraction handler with real ffmpeg, real SQLite runner ports and a local object
 * store; the bus is an in-process recorder of what it was given.
 */
describe('runner: a job over the video limits ends failed with the limit in its reason', () => {
  let dir: string;
  let objects: LocalDirObjectStore;
  const KEY = 'input/one-second.mp4'; // 768×576, 1 s, 10 frames

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-extract-limits-'));
    objects = new LocalDirObjectStore(join(dir, 'objects'), 'videos');
    await objects.put(KEY, createReadStream(await clipOfFixture(dir, 'one-second.mp4')));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function extract(limits: Partial<VideoLimits>, frames: FrameSource = ffmpeg) {
    const runnerDb = sqliteRunnerDatabase(openDatabase(':memory:'));
    const published: BusMessage[] = [];
    const deps: ExtractDeps = {
      objects,
      jobRecords: runnerDb.jobRecords,
      frameCollection: runnerDb.frameCollection,
      bus: { publish: async (_topic, messages) => void published.push(...messages), close: async () => {} },
      frames,
      preparer: new TypeScriptFramePreparer(),
      modelInput: () => undefined,
      pacing: 'results',
      codec: new SharpFrameCodec('jpeg', 80),
      sampling: { everyNFrames: 5 },
      detection: () => ({ confidence: 0.25, iou: 0.45, class_agnostic_nms: false }),
      preprocessing: { blur: { enabled: false, ksize: 3 }, contrast: { enabled: false, alpha: 1, beta: 0 } },
      log: pino({ level: 'silent' }),
      signal: new AbortController().signal,
      maxFrameBytes: 1_000_000,
      maxFramesInFlight: 100,
      limits: { ...LAX, ...limits },
    };
    const id = newEventId();
    const message: DeliveredMessage = {
      ...encodeOutboxEvent(videoSubmitted(id, { bucket: 'videos', object: KEY, media_type: 'video/mp4' }, TOPICS.outboxEvents, undefined)),
      topic: TOPICS.outboxEvents,
      offset: '0',
      attempt: 1,
      headers: {},
    };
    await extractFrames(message, deps);
    return { job: await runnerDb.jobRecords.get(id), published };
  }

  test('within the limits, every sampled frame is published', async () => {
    const { job, published } = await extract({ maxDurationSeconds: 1, maxFrames: 10, maxWidth: 768, maxHeight: 576 });
    assert.equal(job?.status, 'processing');
    assert.equal(published.length, 2, 'frames 0 and 5');
  });

  for (const [limit, reason] of [
    [{ maxDurationSeconds: 0.5 }, /lasts 1 s, over the limit of 0\.5 s/],
    [{ maxWidth: 640, maxHeight: 480 }, /768×576 pixels, over the limit of 640×480/],
    [{ maxFrames: 5 }, /has 10 frames, over the limit of 5/],
  ] as const) {
    test(`over ${JSON.stringify(limit)}: failed after the probe, no frame extracted`, async () => {
      const { job, published } = await extract(limit);
      assert.equal(job?.status, 'failed');
      assert.match(job?.error ?? '', reason);
      assert.equal(published.length, 0);
    });
  }

  /** ffmpeg's decoding, behind a probe that knows neither the duration nor the frame count (as some containers state nothing). */
  const silentProbe: FrameSource = {
    probe: async (path) => ({ ...(await ffmpeg.probe(path)), durationSeconds: undefined, frameCount: undefined }),
    frames: (path, every) => ffmpeg.frames(path, every),
    index: async () => undefined,
  };

  test('a frame count the container does not state is caught while decoding', async () => {
    const { job, published } = await extract({ maxFrames: 5 }, silentProbe);
    assert.equal(job?.status, 'failed');
    assert.match(job?.error ?? '', /has more than 5 frames, over the limit of 5/);
    assert.equal(published.length, 1, 'only frame 0, decoded before the limit was passed');
  });

  test('a duration the container does not state is caught from the frames’ own timestamps', async () => {
    const { job, published } = await extract({ maxDurationSeconds: 0.3 }, silentProbe);
    assert.equal(job?.status, 'failed');
    assert.match(job?.error ?? '', /lasts more than 0\.5 s, over the limit of 0\.3 s/);
    assert.equal(published.length, 1, 'frame 0 (0 ms) passed; frame 5 (500 ms) did not');
  });
});
