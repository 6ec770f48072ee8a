/** Which YOLO output layout a model has, from its output shape (see `decode.ts` for the layouts). */
import type { YoloLayout } from './decode.js';

/** What is known about the model when choosing its layout. */
export interface LayoutHints {
  /** The model file, for error messages. */
  file: string;
  /** Output shape from the session; symbolic (or unknown) dims are strings. */
  shape: readonly (number | string)[];
  /** Class count, when the class names are known. */
  classes?: number;
  /** The model's `end2end` metadata, when present. */
  end2end?: boolean;
}

const MIN_ATTRS: Record<YoloLayout, { dim: 1 | 2; min: number }> = {
  v8: { dim: 1, min: 5 },
  v5: { dim: 2, min: 6 },
  end2end: { dim: 2, min: 6 },
};

/**
 * `requested` if given (checked against the shape where its dims are known), else decided from the
 * shape: dims[1] = 4+nc → v8; dims[2] = 5+nc → v5; dims[2] = 6 → end2end. Without a class count,
 * the smaller of the two dims is the attribute dim. v5 with one class and end2end both give
 * `[B, ·, 6]`: the `end2end` metadata decides, and without it this throws.
 */
export function resolveLayout(h: LayoutHints, requested?: YoloLayout): YoloLayout {
  const shape = `[${h.shape.join(', ')}]`;
  if (h.shape.length !== 3) throw new Error(`${h.file}: output shape ${shape} is not a YOLO detection output [batch, ·, ·]`);
  const d1 = typeof h.shape[1] === 'number' ? h.shape[1] : undefined;
  const d2 = typeof h.shape[2] === 'number' ? h.shape[2] : undefined;
  if (requested) {
    const { dim, min } = MIN_ATTRS[requested];
    const n = dim === 1 ? d1 : d2;
    if (n !== undefined && n < min) throw new Error(`${h.file}: output shape ${shape} cannot be YOLO layout ${requested}`);
    return requested;
  }
  const nc = h.classes;
  const e2e = d2 === 6;
  if (e2e && h.end2end === true) return 'end2end';
  const v8 = nc !== undefined ? d1 === 4 + nc : d1 !== undefined && d1 >= 5 && (d2 === undefined || d1 < d2);
  const v5 = nc !== undefined ? d2 === 5 + nc : d2 !== undefined && d2 >= 6 && (d1 === undefined || d2 < d1);
  if (v8) return 'v8';
  if (v5 && e2e && h.end2end === undefined) {
    throw new Error(
      `${h.file}: output shape ${shape} fits both YOLOv5 with one class and end-to-end (NMS-free) output, ` +
        `and the model has no end2end metadata: pass layout 'v5' or 'end2end'`,
    );
  }
  if (v5) return 'v5';
  if (e2e) return 'end2end';
  const known = nc !== undefined ? ` for ${nc} classes` : '';
  throw new Error(`${h.file}: cannot tell the YOLO layout of output shape ${shape}${known}: pass layout 'v5', 'v8' or 'end2end'`);
}
