import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createCenternetDetector } from '../../src/adapters/detector/tfjs-centernet.js';
import { createNanodetDetector } from '../../src/adapters/detector/onnx-nanodet.js';
import { detectorContract, LOW, type DetectorUnderTest } from '../contracts/detector-contract.js';

/** Both bundled detectors pass the Detector contract (`test/contracts/detector-contract.ts`). */
const MODELS: DetectorUnderTest[] = [
  {
    name: 'nanodet-coco',
    make: (o) => createNanodetDetector(o),
    makeBroken: async (dir) => {
      await writeFile(path.join(dir, 'model.onnx'), 'not an onnx model');
      return createNanodetDetector({ confidence: LOW, iou: 0.5, modelPath: path.join(dir, 'model.onnx') });
    },
    rounded: true,
  },
  {
    name: 'centernet-coco',
    make: (o) => createCenternetDetector(o),
    makeBroken: async (dir) => {
      await writeFile(path.join(dir, 'centernet.json'), '{"not":"a model"}');
      return createCenternetDetector({ confidence: LOW, iou: 0.5, modelDir: dir });
    },
    rounded: true,
  },
];

for (const model of MODELS) detectorContract(model);
