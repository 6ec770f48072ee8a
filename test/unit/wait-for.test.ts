import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Writable } from 'node:stream';
import { waitFor } from '../../src/modes/wait-for.js';

function capture() {
  const lines: Array<{ msg: string; dependency?: string; retry_in_ms?: number }> = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _e, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    }),
  );
  return { log, lines };
}

test('waits for a dependency with growing backoff, saying what it waits for', async () => {
  const { log, lines } = capture();
  let calls = 0;
  const value = await waitFor(
    'MongoDB main_db at mongodb://db:27017',
    async () => {
      if (++calls < 3) throw new Error('connect ECONNREFUSED');
      return 42;
    },
    log,
  );
  assert.equal(value, 42);
  assert.equal(calls, 3);
  const waits = lines.filter((l) => l.msg.startsWith('waiting for MongoDB main_db'));
  assert.equal(waits.length, 2);
  assert.deepEqual(
    waits.map((w) => w.retry_in_ms),
    [500, 1000],
  );
  assert.ok(lines.some((l) => l.msg === 'dependency reachable'));
});

test('stops waiting when shutdown is signalled', async () => {
  const { log } = capture();
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 100);
  await assert.rejects(
    waitFor('Kafka', async () => Promise.reject(new Error('down')), log, stop.signal),
    { name: 'AbortError' },
  );
});
