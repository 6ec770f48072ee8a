import type { Logger } from 'pino';
import type { BundledModel, Config } from '../core/config.js';
import type { ModelInput } from '../core/model-input.js';
import { CENTERNET_INPUT } from '../adapters/detector/tfjs-centernet.js';
import { NANODET_INPUT } from '../adapters/detector/onnx-nanodet.js';

/** How each bundled model takes a frame. */
const BUNDLED_INPUTS: Readonly<Record<BundledModel, ModelInput>> = { 'nanodet-coco': NANODET_INPUT, 'centernet-coco': CENTERNET_INPUT };
import { yoloModelInput } from '../adapters/detector/yolo/model-input.js';

/**
 * The input of each model of the config, as far as this process can read it: the bundled
 * models' are known; a YOLO model's is read from its file. A runner that cannot read a model's
 * file (it lives only on the inference hosts) sends that model's frames at full size — correct,
 * only more bytes — and says so once. Returns the lookup by model name (undefined: the default).
 */
export async function modelInputs(config: Config, log: Pick<Logger, 'warn'>): Promise<(model: string | undefined) => ModelInput | undefined> {
  const inputs = new Map<string, ModelInput>(config.bundledModels.map((m) => [m, BUNDLED_INPUTS[m]]));
  await Promise.all(
    config.models.map(async (spec) => {
      try {
        inputs.set(spec.name, await yoloModelInput(spec.path, spec.input_size));
      } catch (err) {
        log.warn({ model: spec.name, reason: (err as Error).message }, "cannot read the model's input size here; its frames travel at full size");
      }
    }),
  );
  return (model) => inputs.get(model ?? config.defaultModel);
}
