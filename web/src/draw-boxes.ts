import type { DetectedObject, VideoMetadata } from './api';
import { FALLBACK_COLOR, textColorOn, type ClassColors } from './class-colors';
import { formatConf } from './format';

/** What the overlay shows: the classes ticked in the filter, at or above the confidence slider. */
export interface BoxFilter {
  hidden: ReadonlySet<string>;
  minConf: number;
}

export const isShown = (o: DetectedObject, f: BoxFilter): boolean => !f.hidden.has(o.class) && o.conf >= f.minConf;

/**
 * A box as fractions (0–1) of the displayed frame: `box_norm` when the server sends it, else `box`
 * divided by the video's displayed size.
 */
function normBox(o: DetectedObject, video: Pick<VideoMetadata, 'width' | 'height'> | undefined): [number, number, number, number] | undefined {
  if (o.box_norm) return o.box_norm;
  if (!video?.width || !video.height) return undefined;
  const [x1, y1, x2, y2] = o.box;
  return [x1 / video.width, y1 / video.height, x2 / video.width, y2 / video.height];
}

/** `person #3 0.87`: the class, its track (if one took it) and the confidence. */
export const boxLabel = (o: DetectedObject): string =>
  `${o.class}${o.track_id !== null && o.track_id !== undefined ? ` #${o.track_id}` : ''} ${formatConf(o.conf)}`;

/**
 * Clears the canvas and draws the shown objects: a rectangle in the class's colour and a label on
 * a tab of the same colour. The canvas covers the video's picture exactly, so a normalised box
 * times the canvas size is the box on screen. `scale` is the device pixel ratio (lines and text
 * keep their CSS size on dense screens). Returns how many boxes it drew.
 */
export function drawBoxes(
  ctx: CanvasRenderingContext2D,
  objects: readonly DetectedObject[] | undefined,
  filter: BoxFilter,
  colors: ClassColors,
  video: Pick<VideoMetadata, 'width' | 'height'> | undefined,
  scale: number,
): number {
  const { width, height } = ctx.canvas;
  ctx.clearRect(0, 0, width, height);
  let drawn = 0;
  const line = Math.max(1, Math.round(2 * scale));
  const fontPx = Math.round(12 * scale);
  ctx.font = `600 ${fontPx}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  for (const o of objects ?? []) {
    if (!isShown(o, filter)) continue;
    const n = normBox(o, video);
    if (!n) continue;
    const x = n[0] * width;
    const y = n[1] * height;
    const w = (n[2] - n[0]) * width;
    const h = (n[3] - n[1]) * height;
    const color = colors.get(o.class) ?? FALLBACK_COLOR;
    ctx.strokeStyle = color;
    ctx.lineWidth = line;
    ctx.strokeRect(x, y, w, h);
    const label = boxLabel(o);
    const pad = Math.round(3 * scale);
    const tabW = ctx.measureText(label).width + 2 * pad;
    const tabH = fontPx + 2 * pad;
    // Above the box when there is room, else inside its top edge.
    const tabY = y - tabH >= 0 ? y - tabH : y;
    const tabX = Math.min(Math.max(0, x - line / 2), Math.max(0, width - tabW));
    ctx.fillStyle = color;
    ctx.fillRect(tabX, tabY, tabW, tabH);
    ctx.fillStyle = textColorOn(color);
    ctx.fillText(label, tabX + pad, tabY + pad);
    drawn++;
  }
  return drawn;
}
