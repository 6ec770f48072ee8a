import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoundRobinGate } from '../../src/stages/runner/round-robin-gate.js';

test('free slots go round-robin by job, however many frames each has waiting', async () => {
  const gate = new RoundRobinGate(2);
  const order: string[] = [];
  const held: Array<() => void> = [];
  const take = (job: string) => gate.acquire(job).then((release) => (order.push(job), held.push(release)));
  await Promise.all([take('long'), take('long')]); // the long job fills the gate
  const waiting = [...Array.from({ length: 6 }, () => take('long')), take('short'), take('short')];
  assert.equal(gate.held, 2);
  // Release one slot at a time: the short job gets every other one from its first frame on.
  for (let i = 0; i < 8; i++) {
    held.shift()!();
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(waiting);
  assert.deepEqual(order.slice(2), ['long', 'short', 'long', 'short', 'long', 'long', 'long', 'long']);
});

test('a job alone takes every free slot; a release is counted once; capacity is checked', async () => {
  const gate = new RoundRobinGate(3);
  const releases = await Promise.all([gate.acquire('a'), gate.acquire('a'), gate.acquire('a')]);
  assert.equal(gate.held, 3);
  let fourth = false;
  const next = gate.acquire('a').then((r) => ((fourth = true), r));
  releases[0]!();
  releases[0]!(); // twice: still one slot
  await next;
  assert.equal(fourth, true);
  assert.equal(gate.held, 3);
  assert.throws(() => new RoundRobinGate(0), /positive integer/);
});
