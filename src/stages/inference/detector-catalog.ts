import type { Detector } from '../../ports/detector.js';
import { MalformedMessageError } from '../../core/messages.js';

/** Makes one model's detector (the composition root knows how: adapters live there). */
export type DetectorFactory = () => Promise<Detector>;

/**
 * The models an inference worker serves, by name. Every model is loaded at start (`open`), so a
 * missing file or a broken export stops the worker at once instead of failing jobs later.
 */
export interface DetectorCatalog {
  readonly defaultModel: string;
  readonly names: readonly string[];
  /** The detector of `name` (default: `defaultModel`); a name not served here is a permanent error. */
  get(name?: string): Detector;
  close(): Promise<void>;
}

/** A task asked for a model this worker does not serve: no retry can help. */
export class UnknownModelError extends MalformedMessageError {
  constructor(name: string, served: readonly string[]) {
    super(`model "${name}" is not configured on this inference worker (it serves: ${served.join(', ')})`);
    this.name = 'UnknownModelError';
  }
}

export async function openDetectorCatalog(factories: ReadonlyMap<string, DetectorFactory>, defaultModel: string): Promise<DetectorCatalog> {
  if (!factories.has(defaultModel)) throw new Error(`the default model "${defaultModel}" is not among the models (${[...factories.keys()].join(', ')})`);
  const detectors = new Map<string, Detector>();
  try {
    for (const [name, make] of factories) detectors.set(name, await make());
  } catch (err) {
    await Promise.allSettled([...detectors.values()].map((d) => d.close()));
    throw err;
  }
  const names = [...detectors.keys()];
  return {
    defaultModel,
    names,
    get(name = defaultModel) {
      const d = detectors.get(name);
      if (!d) throw new UnknownModelError(name, names);
      return d;
    },
    async close() {
      await Promise.allSettled([...detectors.values()].map((d) => d.close()));
    },
  };
}
