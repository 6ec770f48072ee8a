import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childTraceparent, newTraceparent, parseTraceparent, traceIdOf } from '../../src/core/trace.js';

test('a valid traceparent is kept (lower-cased); invalid ones are ignored, as the W3C spec says', () => {
  const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  assert.equal(parseTraceparent(valid), valid);
  assert.equal(parseTraceparent(valid.toUpperCase()), valid);
  for (const bad of [
    undefined,
    '',
    'garbage',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    `${valid}-extra`,
  ]) {
    assert.equal(parseTraceparent(bad), undefined, String(bad));
  }
});

test('new traces are valid and distinct; a child keeps the trace id with a new span', () => {
  const a = newTraceparent();
  assert.equal(parseTraceparent(a), a);
  assert.notEqual(newTraceparent(), a);
  const child = childTraceparent(a);
  assert.equal(parseTraceparent(child), child);
  assert.equal(traceIdOf(child), traceIdOf(a));
  assert.notEqual(child.split('-')[2], a.split('-')[2]);
});

test('ids stay valid and distinct across many refills of the random pool', () => {
  // 4 KiB of pool gives 170 traces: 2,000 cross it a dozen times, at varying offsets.
  const traces = Array.from({ length: 2000 }, (_, i) => (i % 3 === 2 ? childTraceparent(newTraceparent()) : newTraceparent()));
  for (const t of traces) assert.equal(parseTraceparent(t), t);
  assert.equal(new Set(traces.map((t) => t.split('-')[1])).size, traces.length, 'trace ids distinct');
  assert.equal(new Set(traces.map((t) => t.split('-')[2])).size, traces.length, 'span ids distinct');
});
