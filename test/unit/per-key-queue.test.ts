import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerKeyQueue } from '../../src/adapters/mongo/per-key-queue.js';

const tick = () => new Promise((r) => setImmediate(r));

test('calls with one key run one after another, in order; other keys run alongside; a failure does not block the next', async () => {
  const q = new PerKeyQueue();
  const log: string[] = [];
  const gates: Record<string, () => void> = {};
  const step = (name: string) => () =>
    new Promise<string>((resolve) => {
      log.push(`start ${name}`);
      gates[name] = () => {
        log.push(`end ${name}`);
        resolve(name);
      };
    });
  const a1 = q.run('a', step('a1'));
  const a2 = q.run('a', async () => {
    log.push('start a2');
    throw new Error('a2 failed');
  });
  const a3 = q.run('a', step('a3'));
  const b1 = q.run('b', step('b1'));
  await tick();
  assert.deepEqual(log, ['start a1', 'start b1'], 'a2 waits for a1; b1 does not');
  gates.b1!();
  gates.a1!();
  await assert.rejects(a2, /a2 failed/);
  await tick();
  gates.a3!();
  assert.deepEqual(await Promise.all([a1, a3, b1]), ['a1', 'a3', 'b1']);
  assert.deepEqual(log, ['start a1', 'start b1', 'end b1', 'end a1', 'start a2', 'start a3', 'end a3']);
});
