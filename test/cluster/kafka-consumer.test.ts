import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { KafkaBus } from '../../src/adapters/bus/kafka.js';
import { waitFor } from '../contracts/wait-for.js';
import { ENDPOINTS, infraUp } from './infra.js';

before(infraUp, { timeout: 45 * 60_000 });

test("a consumer whose client emits 'error' (it could not rejoin its group) reconnects instead of crashing the process", async () => {
  // @platformatic/kafka's consumer emits a bare 'error' event when a heartbeat fails and rejoining
  // the group fails too (the broker down during a rebalance). With no listener, Node throws it and
  // the process exits: the cluster chaos test saw an inference worker die so. Emitting that event
  // on the live consumer reproduces the moment without timing a broker outage.
  const log = pino({ level: 'silent' });
  const bus = new KafkaBus({
    brokers: [ENDPOINTS.kafka],
    clientId: `consumer-error-${randomUUID().slice(0, 8)}`,
    log,
    partitions: 1,
    retryBaseMs: 10,
    retryMaxMs: 50,
  });
  const topic = `consumer-error-${randomUUID().slice(0, 8)}`;
  await bus.ensureTopics([topic]);
  const seen: string[] = [];
  try {
    await bus.subscribe(topic, async (m) => void seen.push(m.value.toString()), { group: `g-${topic}` });
    await bus.publish(topic, [{ key: 'k', value: Buffer.from('before') }]);
    await waitFor(() => seen.includes('before'), 'the first message', 60_000);

    const consumer = (bus as unknown as { subscriptions: Array<{ consumer?: EventEmitter }> }).subscriptions[0]!.consumer!;
    assert.ok(consumer instanceof EventEmitter);
    consumer.emit('error', new Error('Cannot connect to any broker (simulated)'));

    await bus.publish(topic, [{ key: 'k', value: Buffer.from('after') }]);
    await waitFor(() => seen.includes('after'), 'a message after the error', 60_000);
  } finally {
    await bus.close();
  }
});
