import type { AnnotatedFrame, AnnotatedObject } from '../../ports/video-annotator.js';

/** The font family of the bundled DejaVu Sans, as libass finds it in `fontsdir`. */
export const FONT_FAMILY = 'DejaVu Sans';

/**
 * Vivid colours, far from each other and from the greys and skin tones of most footage, so a box
 * stands out and a test can find it.
 */
const PALETTE: ReadonlyArray<readonly [number, number, number]> = [
  [255, 0, 0],
  [0, 200, 0],
  [0, 90, 255],
  [255, 220, 0],
  [255, 0, 255],
  [0, 230, 230],
  [255, 128, 0],
  [140, 0, 255],
  [0, 255, 128],
  [255, 0, 128],
  [128, 255, 0],
  [0, 160, 255],
];

/** The colour (RGB) of a class's boxes: the same class always gets the same one. */
export function classColour(name: string): readonly [number, number, number] {
  return PALETTE[paletteIndex(name)]!;
}

function paletteIndex(name: string): number {
  // FNV-1a: stable across runs and processes (the web page may use the same rule).
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h % PALETTE.length;
}

/** `"person #3 0.87"`; without a track, `"person 0.87"`. */
export function labelText(o: AnnotatedObject): string {
  return `${o.class}${o.track_id === null || o.track_id === undefined ? '' : ` #${o.track_id}`} ${o.conf.toFixed(2)}`;
}

/** Line width and label size for a video, in its pixels. */
export function drawingSizes(width: number, height: number): { line: number; fontSize: number } {
  const short = Math.min(width, height);
  return { line: Math.min(10, Math.max(2, Math.round(short / 200))), fontSize: Math.min(48, Math.max(10, Math.round(short / 36))) };
}

/** ASS style colour `&HAABBGGRR` (alpha first, 00 opaque; blue before red). */
const assColour = ([r, g, b]: readonly [number, number, number], alpha: number) => `&H${hex(alpha)}${hex(b)}${hex(g)}${hex(r)}`;
const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

/** Black text on light colours, white on dark ones (ITU-R BT.601 luma). */
const textOn = ([r, g, b]: readonly [number, number, number]): [number, number, number] =>
  0.299 * r + 0.587 * g + 0.114 * b > 140 ? [0, 0, 0] : [255, 255, 255];

/** ASS time `H:MM:SS.CC` of a count of centiseconds. */
function assTime(cs: number): string {
  const h = Math.floor(cs / 360_000);
  const m = Math.floor(cs / 6000) % 60;
  const s = Math.floor(cs / 100) % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(cs % 100).padStart(2, '0')}`;
}

/** Class names come from models: keep them from opening override blocks or escapes. */
const plain = (text: string) => [...text.replace(/[{]/g, '(').replace(/[}]/g, ')').replace(/\\/g, '/')].map((c) => (c.charCodeAt(0) < 0x20 ? ' ' : c)).join('');

/** A run of decoded frames, `start` ≤ n < `end`, that one ffmpeg process draws on. */
export interface FrameWindow {
  start: number;
  end: number;
}

/**
 * Walks the sampled frames once, window after window, pulling them only as needed (one frame of
 * look-ahead). A window gets the latest frame before it first — its boxes are still showing —
 * then the frames inside it. Frames must ascend by frame number.
 */
export class FrameCursor {
  private readonly it: AsyncIterator<AnnotatedFrame>;
  private lookahead: AnnotatedFrame | undefined;
  private showing: AnnotatedFrame | undefined;
  private ended = false;

  constructor(frames: AsyncIterable<AnnotatedFrame>) {
    this.it = frames[Symbol.asyncIterator]();
  }

  async *window(w: FrameWindow): AsyncGenerator<AnnotatedFrame> {
    if (this.showing) yield this.showing;
    for (;;) {
      const f = this.lookahead ?? (await this.pull());
      this.lookahead = undefined;
      if (!f) return;
      if (f.frame >= w.end) {
        this.lookahead = f;
        return;
      }
      this.showing = f;
      yield f;
    }
  }

  /** Stops the source (a database cursor, say) when the video ended before its frames did. */
  async close(): Promise<void> {
    if (!this.ended) await this.it.return?.();
    this.ended = true;
  }

  private async pull(): Promise<AnnotatedFrame | undefined> {
    if (this.ended) return undefined;
    const next = await this.it.next();
    if (next.done) {
      this.ended = true;
      return undefined;
    }
    const f = next.value;
    if (!Number.isSafeInteger(f.frame) || f.frame < 0) throw new Error(`invalid frame number ${f.frame}`);
    const before = this.showing?.frame ?? -1;
    if (f.frame <= before) throw new Error(`frames must ascend: ${f.frame} after ${before}`);
    return f;
  }
}

/**
 * The ASS subtitle script that draws the boxes and labels of one window of decoded frames,
 * streamed one sampled frame at a time.
 *
 * Timing is keyed by frame number, not by time: the renderer gives decoded frame n of the window
 * time n (+ ½) centiseconds of the script's clock (see `annotate.ts`), and the boxes of sampled
 * frame f show from centisecond f until the next sampled frame's (or the window's end). So every
 * decoded frame shows the boxes of the latest sampled frame at or before it — exactly, whatever
 * the video's frame rate, start time or timestamp jitter (ASS's own clock has only centiseconds).
 *
 * Boxes are in pixels of the displayed video (PlayResX/Y = its display size, so one script
 * pixel is one video pixel); each is a ring (outer rectangle, inner one reversed) in its class's
 * colour, its label above it (inside it when there is no room above), on a background of the
 * same colour. `frames` is a `FrameCursor` window: the frame showing at the window's start first.
 */
export async function* assScript(size: { width: number; height: number }, window: FrameWindow, frames: AsyncIterable<AnnotatedFrame>): AsyncGenerator<string> {
  const { width, height } = size;
  const { line, fontSize } = drawingSizes(width, height);
  const pad = Math.max(1, Math.round(fontSize / 6));
  yield [
    '[Script Info]',
    'ScriptType: v4.00+',
    `PlayResX: ${width}`,
    `PlayResY: ${height}`,
    'ScaledBorderAndShadow: yes',
    'WrapStyle: 2',
    '',
    '[V4+ Styles]',
    'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
    // Two styles per palette colour, so an event names its colours in a few bytes (libass keeps
    // every event in memory): B<i> fills box rings, L<i> puts a label on a box of that colour
    // (BorderStyle 3: an opaque box of OutlineColour, `Outline` pixels around the text).
    ...PALETTE.map(
      (c, i) => `Style: B${i},${FONT_FAMILY},${fontSize},${assColour(c, 0)},${assColour(c, 0)},&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,0,0,7,0,0,0,1`,
    ),
    ...PALETTE.map(
      (c, i) =>
        `Style: L${i},${FONT_FAMILY},${fontSize},${assColour(textOn(c), 0)},${assColour(textOn(c), 0)},${assColour(c, 0)},${assColour(c, 0)},0,0,0,0,100,100,0,0,3,${pad},0,1,0,0,0,1`,
    ),
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
    '',
  ].join('\n');

  const events = (f: AnnotatedFrame, until: number): string => {
    const start = assTime(Math.max(f.frame, window.start) - window.start);
    const end = assTime(until - window.start);
    let out = '';
    for (const o of f.objects) {
      const [x1, y1, x2, y2] = o.box.map((v, i) => Math.round(Math.min(Math.max(v, 0), i % 2 === 0 ? width : height)));
      const w = x2! - x1!;
      const h = y2! - y1!;
      if (!(w >= 1 && h >= 1)) continue;
      const colour = paletteIndex(o.class);
      const t = Math.min(line, Math.floor(w / 2), Math.floor(h / 2));
      // A ring: the outer rectangle, and the inner one the other way round (a hole).
      const ring =
        w > 2 * t && h > 2 * t
          ? `m 0 0 l ${w} 0 ${w} ${h} 0 ${h} m ${t} ${t} l ${t} ${h - t} ${w - t} ${h - t} ${w - t} ${t}`
          : `m 0 0 l ${w} 0 ${w} ${h} 0 ${h}`;
      out += `Dialogue: 0,${start},${end},B${colour},,0,0,0,,{\\pos(${x1},${y1})\\p1}${ring}\n`;
      // Above the box (L<i> aligns the label's bottom left), or inside it when there is no room above.
      const above = y1! >= fontSize + 2 * pad;
      const anchor = above ? `\\pos(${x1! + pad},${y1! - pad})` : `\\an7\\pos(${x1! + t + pad},${y1! + t + pad})`;
      out += `Dialogue: 1,${start},${end},L${colour},,0,0,0,,{${anchor}}${plain(labelText(o))}\n`;
    }
    return out;
  };
  let pending: AnnotatedFrame | undefined;
  for await (const f of frames) {
    if (pending) yield events(pending, Math.min(f.frame, window.end));
    pending = f;
  }
  if (pending) yield events(pending, window.end);
}
