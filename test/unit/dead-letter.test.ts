import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { deadLetter } from '../../src/handler-middleware/dead-letter.js';
import { isTransient } from '../../src/core/transient.js';
import { MalformedMessageError } from '../../src/core/messages.js';
import type { Publisher } from '../../src/ports/bus-publisher.js';
import type { BusMessage, DeliveredMessage } from '../../src/ports/bus-message.js';

/** An in-process fake of our own Publisher port that records what was published. */
function recorder() {
  const published: Array<{ topic: string; messages: readonly BusMessage[] }> = [];
  const publisher: Publisher = { publish: async (topic, messages) => void published.push({ topic, messages }), close: async () => {} };
  return { publisher, published };
}
const message = (attempt: number): DeliveredMessage => ({
  topic: 'outbox_events',
  key: 'k',
  value: Buffer.from('{}'),
  headers: { event_id: 'e' },
  offset: '7',
  attempt,
});

test('a failing message is retried until its last attempt, then dead-lettered with its error and given up on', async () => {
  const { publisher, published } = recorder();
  const givenUp: unknown[] = [];
  const handler = deadLetter<object>({ publisher, log: pino({ level: 'silent' }), maxAttempts: 3, onGiveUp: async (_m, err) => void givenUp.push(err) })(
    async () => {
      throw new Error('handler bug');
    },
  );
  await assert.rejects(handler(message(1), {}), /handler bug/);
  await assert.rejects(handler(message(2), {}), /handler bug/);
  await handler(message(3), {});
  assert.equal(published.length, 1);
  assert.equal(published[0]!.topic, 'dead_letters');
  assert.equal(published[0]!.messages[0]!.headers!.error, 'handler bug');
  assert.equal(published[0]!.messages[0]!.headers!.original_topic, 'outbox_events');
  assert.equal(givenUp.length, 1);
});

test('a malformed message is dead-lettered at once', async () => {
  const { publisher, published } = recorder();
  const handler = deadLetter<object>({ publisher, log: pino({ level: 'silent' }), maxAttempts: 5 })(async () => {
    throw new MalformedMessageError('not JSON');
  });
  await handler(message(1), {});
  assert.equal(published.length, 1);
});

test('an outage is never the message’s fault: retried past the attempt budget, never dead-lettered', async () => {
  const { publisher, published } = recorder();
  const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' });
  const handler = deadLetter<object>({ publisher, log: pino({ level: 'silent' }), maxAttempts: 2 })(async () => {
    throw outage;
  });
  for (const attempt of [1, 2, 3, 50]) await assert.rejects(handler(message(attempt), {}), /ECONNREFUSED/);
  assert.equal(published.length, 0);
});

test('transient errors are told apart from bad messages', () => {
  assert.ok(isTransient(Object.assign(new Error('x'), { code: 'ECONNRESET' })));
  assert.ok(isTransient(Object.assign(new Error('x'), { name: 'MongoServerSelectionError' })));
  assert.ok(isTransient({ name: 'S3ServiceException', $metadata: { httpStatusCode: 503 } }));
  assert.ok(isTransient(new Error('wrapped', { cause: Object.assign(new Error('y'), { code: 'PLT_KFK_NETWORK' }) })));
  assert.ok(isTransient(new AggregateError([new Error('a'), Object.assign(new Error('b'), { code: 'ETIMEDOUT' })])));
  assert.equal(isTransient(new Error('Cannot read properties of undefined')), false);
  assert.equal(isTransient({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }), false);
  assert.equal(isTransient(new MalformedMessageError('bad')), false);
});
