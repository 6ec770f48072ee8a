/** Opens an onnxruntime session on the requested execution provider, falling back to the CPU. */
import * as ort from 'onnxruntime-node';

export interface SessionChoice {
  executionProvider?: 'cpu' | 'cuda';
  intraOpThreads?: number;
  interOpThreads?: number;
  log?: { warn(obj: object, msg: string): void };
}

/**
 * A session for the model at `file` and the provider it runs on. CUDA is tried as `['cuda', 'cpu']`
 * (nodes CUDA cannot run stay on the CPU); if the session cannot be created with it at all — e.g.
 * this onnxruntime build ships no CUDA provider — that is logged and a CPU session is made instead.
 * Nothing is ever downloaded. With `bytes`, the session is made from them (`file` names them in errors).
 */
export async function openSession(file: string, o: SessionChoice, bytes?: Uint8Array): Promise<{ session: ort.InferenceSession; provider: string }> {
  const create = (options: ort.InferenceSession.SessionOptions) =>
    bytes ? ort.InferenceSession.create(bytes, options) : ort.InferenceSession.create(file, options);
  const base: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
  if (o.intraOpThreads !== undefined) base.intraOpNumThreads = o.intraOpThreads;
  if (o.interOpThreads !== undefined) base.interOpNumThreads = o.interOpThreads;
  if (o.executionProvider === 'cuda') {
    try {
      return { session: await create({ ...base, executionProviders: ['cuda', 'cpu'] }), provider: 'cuda' };
    } catch (err) {
      o.log?.warn({ model: file, reason: (err as Error).message }, 'CUDA execution provider unavailable; running on the CPU');
    }
  }
  try {
    return { session: await create({ ...base, executionProviders: ['cpu'] }), provider: 'cpu' };
  } catch (err) {
    throw new Error(`cannot load ONNX model ${file}: ${(err as Error).message}`, { cause: err });
  }
}
