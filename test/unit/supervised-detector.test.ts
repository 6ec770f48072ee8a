import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { DetectorCrashedError, type Detector } from '../../src/ports/detector.js';
import { supervisedDetector } from '../../src/stages/inference/supervised-detector.js';

/** Fake detectors (our own port): the first crashes on its second call, later ones work. */
function factory() {
  let made = 0;
  const closed: number[] = [];
  const start = async (): Promise<Detector> => {
    const n = ++made;
    let calls = 0;
    return {
      name: 'fake',
      sha256: 'f'.repeat(64),
      detect: async (frames) => {
        if (n === 1 && ++calls >= 2) throw new DetectorCrashedError('worker exited unexpectedly (exit code 134)');
        return frames.map(() => [{ class: `from-${n}`, box: [0, 0, 1, 1], conf: 1 }]);
      },
      close: async () => void closed.push(n),
    };
  };
  return { start, made: () => made, closed };
}

const frame = { width: 1, height: 1, data: new Uint8Array(3) };

test('a crashed detector fails the call that met the crash, then a new one serves the next calls', async () => {
  const f = factory();
  const d = await supervisedDetector(f.start, pino({ level: 'silent' }));
  assert.equal((await d.detect([frame]))[0]![0]!.class, 'from-1');
  await assert.rejects(d.detect([frame]), DetectorCrashedError);
  assert.equal((await d.detect([frame]))[0]![0]!.class, 'from-2');
  assert.equal(f.made(), 2, 'one restart');
  assert.deepEqual(f.closed, [1], 'the crashed one was closed');
  await d.close();
  assert.deepEqual(f.closed, [1, 2]);
});
