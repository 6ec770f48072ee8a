/**
 * A float16 input tensor onnxruntime-node can read on every Node this project supports.
 *
 * onnxruntime-common stores float16 data as a `Float16Array` where the runtime has one (Node ≥ 23)
 * and turns a `Uint16Array` given for it into a `Float16Array` view; onnxruntime-node's binding
 * (1.31) then reads that input as 0 bytes and the run fails ("not enough space: expected N, got 0";
 * microsoft/onnxruntime PR #32323, open). So the tensor gets its `Uint16Array` bit patterns back
 * (the same bytes: the view shares them), which the binding reads as on Node 20. Outputs need
 * nothing: they come back as `Uint16Array` or `Float16Array`, and `float16.ts` reads both.
 */
import * as ort from 'onnxruntime-node';

/** A float16 tensor of `halves` (IEEE binary16 bit patterns) with `dims`. */
export function float16Tensor(halves: Uint16Array, dims: readonly number[]): ort.Tensor {
  const tensor = new ort.Tensor('float16', halves, dims);
  // `cpuData` is what `data` returns and what the binding reads (onnxruntime-common's TensorImpl).
  const impl = tensor as unknown as { cpuData?: unknown };
  if (!(tensor.data instanceof Uint16Array) && 'cpuData' in impl) impl.cpuData = halves;
  return tensor;
}
