import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pollLoop } from '../../src/core/poll-loop.js';

test('a poke that arrives during a round is not lost: the next round runs without waiting', async () => {
  const stop = new AbortController();
  const rounds: number[] = [];
  // Waits of 10 s or more: only a poke can start a second round within the test's half second.
  const loop: ReturnType<typeof pollLoop> = pollLoop(
    async () => {
      rounds.push(Date.now());
      await new Promise((r) => setTimeout(r, 5));
      if (rounds.length === 1) loop.poke(); // new work arrives while this (idle) round runs
      return 0;
    },
    { minIntervalMs: 10_000, maxIntervalMs: 60_000, signal: stop.signal, onError: () => {} },
  );
  await new Promise((r) => setTimeout(r, 500));
  stop.abort();
  loop.poke();
  await loop.done;
  assert.equal(rounds.length, 2, 'the round that was poked during, and the one the poke asked for');
});
