"""OpenCV itself, as the reference of Framewise's frame preparation (test/adapters/frame-preparer-opencv.test.ts).

Reads from stdin: a JSON header line {"width", "height", "frames", "blur", "alpha", "beta", "size": [w, h] | null}
then `frames` packed RGB frames; writes to stdout, per frame, cv2.GaussianBlur (3x3, sigma 0) when
"blur", then cv2.convertScaleAbs(alpha, beta), then, with "size", cv2.resize(INTER_LINEAR): packed RGB.
"""
import json
import sys

import cv2
import numpy as np

head = json.loads(sys.stdin.buffer.readline())
w, h = head["width"], head["height"]
out = sys.stdout.buffer
for _ in range(head["frames"]):
    frame = np.frombuffer(sys.stdin.buffer.read(w * h * 3), np.uint8).reshape(h, w, 3)
    if head["blur"]:
        frame = cv2.GaussianBlur(frame, (3, 3), 0)
    frame = cv2.convertScaleAbs(frame, alpha=head["alpha"], beta=head["beta"])
    if head["size"]:
        frame = cv2.resize(frame, tuple(head["size"]), interpolation=cv2.INTER_LINEAR)
    out.write(np.ascontiguousarray(frame).tobytes())
out.flush()
