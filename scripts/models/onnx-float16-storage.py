"""Rewrites an ONNX model so that every float32 weight that float16 holds exactly is stored as
float16 and cast back to float32 in the graph (onnxruntime folds the casts when it loads the model).
The bundled NanoDet's TFJS weights were float16 already, so this halves the file and changes no
value the model computes with. Usage: onnx-float16-storage.py IN.onnx OUT.onnx"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

model = onnx.load(sys.argv[1])
graph = model.graph
initializers, casts, moved, kept = [], [], 0, 0
for init in graph.initializer:
    if init.data_type == TensorProto.FLOAT:
        values = numpy_helper.to_array(init)
        halves = values.astype(np.float16)
        # Small tensors (shapes, scalars) stay as they are: nothing to gain.
        if values.size > 16 and np.array_equal(halves.astype(np.float32), values):
            stored = init.name + '__f16'
            initializers.append(numpy_helper.from_array(halves, stored))
            casts.append(helper.make_node('Cast', [stored], [init.name], to=TensorProto.FLOAT, name=init.name + '__cast'))
            moved += values.size
            continue
        kept += values.size
    initializers.append(init)
del graph.initializer[:]
graph.initializer.extend(initializers)
nodes = list(graph.node)
del graph.node[:]
graph.node.extend(casts + nodes)
onnx.checker.check_model(model)
onnx.save(model, sys.argv[2])
print(f'stored as float16: {moved} values; kept float32: {kept}', file=sys.stderr)
