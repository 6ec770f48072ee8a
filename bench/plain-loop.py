#!/usr/bin/env python3
"""The plain loop a user would write instead of Framewise: the bench's baseline.

One Python process, one video, one frame at a time:
  OpenCV decode (every frame is decoded; `grab` skips the colour conversion of unsampled ones)
  -> the design's preprocessing (cv2.GaussianBlur 3x3, cv2.convertScaleAbs alpha 1.3 beta 5)
  -> Ultralytics' letterbox (cv2.resize INTER_LINEAR, grey 114 border, centred)
  -> onnxruntime (the same .onnx file Framewise runs)
  -> best class per anchor above the confidence, class-wise NMS (as Ultralytics' non_max_suppression
     with agnostic=False, multi_label=False), boxes mapped back to the frame.

  python3 bench/plain-loop.py --model M.onnx --video V [--every 5] [--conf 0.25] [--iou 0.45]
      [--intra-op-threads N] [--detections out.jsonl] [--frames-out frames.bin]

Prints one JSON object on stdout: frames, seconds (first read to last result, model already
loaded), fps, per-phase milliseconds per frame, and, with --detections, writes one JSON line per
sampled frame ({"frame", "objects": [{"class", "box", "conf"}]}, boxes in frame pixels).
"""
import argparse
import ast
import json
import resource
import sys
import time

import cv2
import numpy as np
import onnxruntime as ort


def letterbox(img, new_shape):
    """ultralytics.data.augment.LetterBox(new_shape, auto=False, scaleup=True, center=True)."""
    h, w = img.shape[:2]
    r = min(new_shape[0] / h, new_shape[1] / w)
    new_unpad = int(round(w * r)), int(round(h * r))
    dw, dh = (new_shape[1] - new_unpad[0]) / 2, (new_shape[0] - new_unpad[1]) / 2
    if (w, h) != new_unpad:
        img = cv2.resize(img, new_unpad, interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))
    return img, (new_unpad, left, top)


def nms(boxes, scores, iou):
    """Greedy NMS, torchvision.ops.nms semantics (areas without +1), indices by descending score."""
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        w = np.clip(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0, None)
        h = np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0, None)
        inter = w * h
        overlap = inter / (areas[i] + areas[rest] - inter + 1e-12)
        order = rest[overlap <= iou]
    return np.array(keep, dtype=np.int64)


def postprocess(out, conf, iou, frame_shape, lb, max_det=300):
    """[1, 4+nc, A] -> boxes in frame pixels, as Ultralytics' v8 head output is decoded."""
    pred = out[0].T  # [A, 4+nc]
    scores_all = pred[:, 4:]
    cls = scores_all.argmax(1)
    score = scores_all[np.arange(len(cls)), cls]
    keep = score > conf
    pred, cls, score = pred[keep], cls[keep], score[keep]
    if len(score) == 0:
        return []
    cx, cy, w, h = pred[:, 0], pred[:, 1], pred[:, 2], pred[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
    # Class-wise NMS by offsetting each class's boxes far apart (Ultralytics' max_wh trick).
    kept = nms(boxes + (cls * 7680.0)[:, None], score, iou)[:max_det]
    (uw, uh), left, top = lb
    fh, fw = frame_shape[:2]
    sx, sy = fw / uw, fh / uh
    objects = []
    for i in kept:
        x1 = min(max((boxes[i, 0] - left) * sx, 0.0), fw)
        y1 = min(max((boxes[i, 1] - top) * sy, 0.0), fh)
        x2 = min(max((boxes[i, 2] - left) * sx, 0.0), fw)
        y2 = min(max((boxes[i, 3] - top) * sy, 0.0), fh)
        if x2 > x1 and y2 > y1:
            objects.append((int(cls[i]), [float(x1), float(y1), float(x2), float(y2)], float(score[i])))
    return objects


def class_names(session):
    names = session.get_modelmeta().custom_metadata_map.get("names")
    if not names:
        return None
    parsed = ast.literal_eval(names)
    return [parsed[k] for k in sorted(parsed)] if isinstance(parsed, dict) else list(parsed)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--video", required=True)
    p.add_argument("--every", type=int, default=5)
    p.add_argument("--conf", type=float, default=0.25)
    p.add_argument("--iou", type=float, default=0.45)
    p.add_argument("--blur-ksize", type=int, default=3)
    p.add_argument("--alpha", type=float, default=1.3)
    p.add_argument("--beta", type=float, default=5.0)
    p.add_argument("--intra-op-threads", type=int, default=0, help="0: onnxruntime's default (one per core)")
    p.add_argument("--detections", help="write one JSON line per sampled frame here")
    args = p.parse_args()

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if args.intra_op_threads:
        options.intra_op_num_threads = args.intra_op_threads
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    _, _, ih, iw = inp.shape
    ih = ih if isinstance(ih, int) else 640
    iw = iw if isinstance(iw, int) else 640
    names = class_names(session)
    feed_type = np.float16 if inp.type == "tensor(float16)" else np.float32

    # Warm-up run, as Framewise's detector has had by the time a job arrives.
    session.run(None, {inp.name: np.zeros((1, 3, ih, iw), dtype=feed_type)})

    out_file = open(args.detections, "w") if args.detections else None
    phases = {"decode": 0.0, "preprocess": 0.0, "letterbox": 0.0, "infer": 0.0, "postprocess": 0.0}
    cap = cv2.VideoCapture(args.video)
    if not cap.isOpened():
        sys.exit(f"cannot open {args.video}")
    n = 0
    frames = 0
    t_start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        if n % args.every != 0:
            ok = cap.grab()
            phases["decode"] += time.perf_counter() - t0
            if not ok:
                break
            n += 1
            continue
        ok, frame = cap.read()
        t1 = time.perf_counter()
        phases["decode"] += t1 - t0
        if not ok:
            break
        if args.blur_ksize > 1:
            frame = cv2.GaussianBlur(frame, (args.blur_ksize, args.blur_ksize), 0)
        frame = cv2.convertScaleAbs(frame, alpha=args.alpha, beta=args.beta)
        t2 = time.perf_counter()
        img, lb = letterbox(frame, (ih, iw))
        blob = np.ascontiguousarray(img[:, :, ::-1].transpose(2, 0, 1))[None].astype(feed_type) / feed_type(255)
        t3 = time.perf_counter()
        out = session.run(None, {inp.name: blob})[0]
        t4 = time.perf_counter()
        objects = postprocess(out.astype(np.float32), args.conf, args.iou, frame.shape, lb)
        t5 = time.perf_counter()
        phases["preprocess"] += t2 - t1
        phases["letterbox"] += t3 - t2
        phases["infer"] += t4 - t3
        phases["postprocess"] += t5 - t4
        if out_file:
            objs = [{"class": names[c] if names and c < len(names) else f"class{c}", "box": b, "conf": s} for c, b, s in objects]
            out_file.write(json.dumps({"frame": n, "objects": objs}) + "\n")
        frames += 1
        n += 1
    seconds = time.perf_counter() - t_start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    if out_file:
        out_file.close()
    print(json.dumps({
        "frames": frames,
        "decoded_frames": n,
        "seconds": seconds,
        "fps": frames / seconds if seconds > 0 else 0.0,
        "phase_ms_per_frame": {k: 1000 * v / max(frames, 1) for k, v in phases.items()},
        "onnxruntime": ort.__version__,
        "opencv": cv2.__version__,
        "intra_op_threads": args.intra_op_threads or "default",
        # The whole process: imports, model load and warm-up included (all threads).
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }))


if __name__ == "__main__":
    main()
