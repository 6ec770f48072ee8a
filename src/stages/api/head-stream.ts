import { Readable } from 'node:stream';

/**
 * Reads the first `bytes` of a stream (fewer if it ends) and returns them with a stream that
 * yields the whole content again, head included, without buffering more than the head.
 */
export async function peek(stream: Readable, bytes: number): Promise<{ head: Buffer; whole: Readable }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let ended = false;
  while (size < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    chunks.push(next.value);
    size += next.value.length;
  }
  const head = Buffer.concat(chunks);
  const whole = Readable.from(
    (async function* () {
      try {
        yield head;
        if (ended) return;
        for (;;) {
          const next = await iterator.next();
          if (next.done) return;
          yield next.value;
        }
      } finally {
        // Stops the source too when the consumer gives up early.
        await iterator.return?.();
      }
    })(),
    { objectMode: false },
  );
  return { head: head.subarray(0, bytes), whole };
}
