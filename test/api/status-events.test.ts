import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { OutboxDatabase } from '../../src/ports/outbox-database.js';
import type { RunnerDatabase } from '../../src/ports/runner-database.js';
import { videoSubmitted } from '../../src/core/job.js';
import { startApiFixture, type ApiFixture } from '../support/api-fixture.js';
import { modelDefaults } from '../../src/core/model-defaults.js';

interface SseEvent {
  event: string;
  id?: string;
  data: { status: string; stage: string; frames_done: number; frames_total: number | null; percent: number | null };
}

/** Reads a real HTTP event stream until it ends, handing each parsed event to `onEvent`. */
async function readEvents(url: string, onEvent: (e: SseEvent) => Promise<void> | void): Promise<{ contentType: string | null; events: SseEvent[] }> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: AbortSignal.timeout(20_000) });
  assert.equal(res.status, 200);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const fields = Object.fromEntries(
        block
          .split('\n')
          .filter((l) => !l.startsWith(':'))
          .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
      );
      if (!fields.data) continue; // a heartbeat
      const e = { event: fields.event ?? 'message', id: fields.id, data: JSON.parse(fields.data) } as SseEvent;
      events.push(e);
      await onEvent(e);
    }
  }
  return { contentType: res.headers.get('content-type'), events };
}

describe('GET /api/status/{id}/events (Server-Sent Events over real HTTP)', () => {
  let fx: ApiFixture;
  let base: string;
  let outboxDb: OutboxDatabase;
  let runnerDb: RunnerDatabase;

  before(async () => {
    fx = await startApiFixture('sse', {
      maxUploadBytes: 1000,
      statusPollMs: 20,
      models: { names: ['m'], defaultModel: 'm', defaults: (m: string) => modelDefaults({ models: [] }, m) },
    });
    ({ outboxDb, runnerDb } = fx);
    // A real port: the stream is read as a browser's EventSource would, not through inject.
    base = await fx.api.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => fx.close());

  test('streams each change of a job, frame by frame, and closes after ready', async () => {
    const id = randomUUID();
    await outboxDb.jobsOutbox.insert(videoSubmitted(id, { bucket: 'videos', object: `input/${id}.mp4`, media_type: 'video/mp4' }, 'outbox_events', undefined));
    // The job moves on as the client sees each event: started, 3 frames, total known, ready.
    const steps = [
      () => runnerDb.jobRecords.start({ _id: id, created_at: new Date(), expected_frames: 3, parameters: { sample_every: 5 } }),
      () => runnerDb.frameCollection.addFrameResult(id, { frame: 0, objects: [] }),
      () => runnerDb.frameCollection.addFrameResult(id, { frame: 5, objects: [] }),
      () => runnerDb.frameCollection.addFrameResult(id, { frame: 10, objects: [] }),
      async () => {
        await runnerDb.frameCollection.setTotalFrames(id, 3);
        await runnerDb.frameCollection.markPredictable(id);
      },
      () => runnerDb.resultsOutbox.markReady(id, new Date(), { bucket: 'videos', object: `detection/${id}.json` }),
    ];
    const { contentType, events } = await readEvents(`${base}/api/status/${id}/events`, async () => {
      await steps.shift()?.();
    });
    assert.match(contentType ?? '', /^text\/event-stream/);
    assert.ok(events.every((e) => e.event === 'status'));
    assert.deepEqual(
      events.map((e) => [e.data.status, e.data.frames_done]),
      [
        ['new', 0],
        ['processing', 0],
        ['processing', 1],
        ['processing', 2],
        ['processing', 3],
        ['predictable', 3],
        ['ready', 3],
      ],
    );
    assert.equal(events.at(-1)?.data.percent, 100);
    assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'every event has its own id');
  });

  test('a job that is already final gets one event and the stream ends', async () => {
    const id = randomUUID();
    await runnerDb.frameCollection.markFailed(id, 'the video is damaged', new Date(), {
      created_at: new Date(),
      input: { bucket: 'videos', object: `input/${id}.mp4`, media_type: 'video/mp4' },
    });
    const { events } = await readEvents(`${base}/api/status/${id}/events`, () => {});
    assert.equal(events.length, 1);
    assert.equal(events[0]!.data.status, 'failed');
  });

  test('an unknown job is a JSON 404 and a malformed id a 400, before any stream', async () => {
    const missing = await fetch(`${base}/api/status/${randomUUID()}/events`, { headers: { accept: 'text/event-stream' } });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'ERR_JOB_NOT_FOUND');
    const malformed = await fetch(`${base}/api/status/nope/events`);
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as { error: { code: string } }).error.code, 'ERR_JOB_ID_MALFORMED');
  });
});
