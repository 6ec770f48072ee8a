import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { openDatabase } from '../../src/adapters/sqlite/database.js';
import { sqliteRunnerDatabase } from '../../src/adapters/sqlite/runner-database.js';
import type { Publisher } from '../../src/ports/bus-publisher.js';
import type { BusMessage } from '../../src/ports/bus-message.js';
import { redriveStalled } from '../../src/stages/runner/redrive.js';
import { decodeOutboxEvent } from '../../src/core/messages.js';

/** A publisher (our own port) that records what it was given. */
function recordingPublisher() {
  const sent: Array<{ topic: string; message: BusMessage }> = [];
  const publisher: Publisher = {
    publish: async (topic, messages) => void sent.push(...messages.map((message) => ({ topic, message }))),
    close: async () => {},
  };
  return { publisher, sent };
}

/**
 * Long enough that two sweeps run back to back never straddle it, even on a loaded 2-core CI
 * machine (at 20 ms they did: the "just driven" sweep saw both jobs stale).
 */
const STALL_MS = 250;

test('a job whose frames stopped arriving is driven again with its event, then failed past its drives', async () => {
  const runnerDb = sqliteRunnerDatabase(openDatabase(':memory:'));
  const { publisher, sent } = recordingPublisher();
  const input = { bucket: 'videos', object: 'input/a.mp4', media_type: 'video/mp4' };
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const stalled = randomUUID();
  const healthy = randomUUID();
  await runnerDb.jobRecords.start({ _id: stalled, created_at: new Date(1000), expected_frames: 4, parameters: { sample_every: 5 }, input, traceparent });
  await new Promise((r) => setTimeout(r, STALL_MS + 60));
  await runnerDb.jobRecords.start({ _id: healthy, created_at: new Date(2000), expected_frames: 4, parameters: { sample_every: 5 }, input });
  const deps = { frameCollection: runnerDb.frameCollection, bus: publisher, log: pino({ level: 'silent' }), stallTimeoutMs: STALL_MS, maxStallRedrives: 2 };

  assert.equal(await redriveStalled(deps), 1, 'only the job without news for STALL_MS');
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.topic, 'outbox_events');
  const event = decodeOutboxEvent(sent[0]!.message.value);
  assert.equal(event._id, stalled);
  assert.deepEqual(event.payload, input);
  assert.equal(sent[0]!.message.headers?.traceparent, traceparent);
  assert.equal(sent[0]!.message.headers?.redrive, '1');
  assert.equal(await redriveStalled(deps), 0, 'just driven: not stalled again yet');

  await new Promise((r) => setTimeout(r, STALL_MS + 60));
  await runnerDb.frameCollection.addFrameResult(healthy, { frame: 0, objects: [] });
  assert.equal(await redriveStalled(deps), 1);
  assert.equal(sent.length, 2, 'second drive');
  await new Promise((r) => setTimeout(r, STALL_MS + 60));
  await runnerDb.frameCollection.addFrameResult(healthy, { frame: 5, objects: [] });
  assert.equal(await redriveStalled(deps), 1);
  assert.equal(sent.length, 2, 'past its drives: no third message');
  const failed = await runnerDb.jobRecords.get(stalled);
  assert.equal(failed?.status, 'failed');
  assert.match(failed?.error ?? '', /frames stopped arriving/);
  assert.equal((await runnerDb.jobRecords.get(healthy))?.status, 'processing', 'a job whose frames keep coming is left alone');
});
