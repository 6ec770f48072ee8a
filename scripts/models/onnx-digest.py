"""Prints a digest of what an ONNX model computes with, independent of what varies between two
conversions of one source (tf2onnx names some nodes from a counter and orders some by set
iteration): its inputs and outputs with their shapes, the count of each operator, and every weight's
values (sorted, without names). Two files with one digest have the same weights and operators.
Usage: onnx-digest.py MODEL.onnx"""
import hashlib
import sys
from collections import Counter

import onnx
from onnx import numpy_helper

model = onnx.load(sys.argv[1])
g = model.graph
h = hashlib.sha256()
shape = lambda v: [d.dim_value or d.dim_param for d in v.type.tensor_type.shape.dim]
h.update(repr(sorted((i.name, shape(i)) for i in g.input)).encode())
h.update(repr(sorted((o.name, shape(o)) for o in g.output)).encode())
h.update(repr(sorted(Counter(n.op_type for n in g.node).items())).encode())
for digest in sorted(hashlib.sha256(numpy_helper.to_array(i).tobytes()).hexdigest() + str(i.data_type) for i in g.initializer):
    h.update(digest.encode())
print(h.hexdigest())
