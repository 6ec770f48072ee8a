import { useEffect, useRef } from 'preact/hooks';
import type { RefObject } from 'preact';
import type { VideoMetadata } from './api';
import type { ClassColors } from './class-colors';
import { drawBoxes, type BoxFilter } from './draw-boxes';
import { frameAt, type TimedFrame } from './frame-at';

interface Props {
  src: string;
  frames: readonly TimedFrame[];
  filter: BoxFilter;
  colors: ClassColors;
  video: VideoMetadata | undefined;
  videoRef: RefObject<HTMLVideoElement | null>;
  /** The player's time in ms, a few times a second (for the timeline's playhead). */
  onTime(ms: number): void;
  onError(message: string): void;
}

type FrameCallbackVideo = HTMLVideoElement & {
  requestVideoFrameCallback?(cb: (now: number, meta: { mediaTime: number }) => void): number;
  cancelVideoFrameCallback?(handle: number): void;
};

/** Where the picture lies inside the element: `object-fit: contain` letterboxes a mismatched shape. */
function pictureRect(v: HTMLVideoElement): { left: number; top: number; width: number; height: number } {
  const cw = v.clientWidth;
  const ch = v.clientHeight;
  if (!v.videoWidth || !v.videoHeight || !cw || !ch) return { left: 0, top: 0, width: cw, height: ch };
  const s = Math.min(cw / v.videoWidth, ch / v.videoHeight);
  const width = v.videoWidth * s;
  const height = v.videoHeight * s;
  return { left: v.offsetLeft + (cw - width) / 2, top: v.offsetTop + (ch - height) / 2, width, height };
}

/**
 * The video with its boxes drawn over it on a canvas, in step with the picture: on each presented
 * frame (requestVideoFrameCallback, whose media time is the frame's own), else on each animation
 * frame while playing; and after seeks, resizes and filter changes. The boxes are those of the
 * latest sampled frame at or before the picture's time. The canvas carries `data-frame` (the
 * sampled frame drawn, empty for none) and `data-boxes` (how many boxes).
 */
export function VideoOverlay({ src, frames, filter, colors, video, videoRef, onTime, onError }: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  // The draw loop reads the latest props through this ref, so it is set up once per video.
  const latest = useRef({ frames, filter, colors, video, onTime, onError });
  latest.current = { frames, filter, colors, video, onTime, onError };
  const drawRef = useRef<(mediaMs?: number) => void>(() => {});

  useEffect(() => {
    const v = videoRef.current as FrameCallbackVideo | null;
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!v || !canvas || !ctx) return;

    const fit = () => {
      const r = pictureRect(v);
      const dpr = window.devicePixelRatio || 1;
      Object.assign(canvas.style, { left: `${r.left}px`, top: `${r.top}px`, width: `${r.width}px`, height: `${r.height}px` });
      const w = Math.max(1, Math.round(r.width * dpr));
      const h = Math.max(1, Math.round(r.height * dpr));
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
    };
    const draw = (mediaMs = v.currentTime * 1000) => {
      fit();
      const { frames: fs, filter: f, colors: c, video: meta } = latest.current;
      const shown = frameAt(fs, mediaMs);
      const n = drawBoxes(ctx, shown?.frame.objects, f, c, meta, window.devicePixelRatio || 1);
      canvas.dataset.frame = shown ? String(shown.frame.frame) : '';
      canvas.dataset.boxes = String(n);
    };
    drawRef.current = draw;

    let stopped = false;
    let handle = 0;
    const useFrameCallback = typeof v.requestVideoFrameCallback === 'function';
    const onFrame = (_now: number, meta: { mediaTime: number }) => {
      if (stopped) return;
      // Playing: the presented frame's own time. Paused (after a seek): the player's time, which
      // names the same sampled frame and is what the controls show.
      draw(v.paused ? undefined : meta.mediaTime * 1000);
      handle = v.requestVideoFrameCallback!(onFrame);
    };
    const onAnimationFrame = () => {
      if (stopped) return;
      draw();
      if (!v.paused && !v.ended) handle = requestAnimationFrame(onAnimationFrame);
    };
    if (useFrameCallback) handle = v.requestVideoFrameCallback!(onFrame);
    const onPlay = () => {
      if (!useFrameCallback) handle = requestAnimationFrame(onAnimationFrame);
    };
    const onStill = () => draw();
    const onTimeUpdate = () => latest.current.onTime(v.currentTime * 1000);
    const onVideoError = () =>
      latest.current.onError('The browser could not play this video (missing or in a format it cannot decode); the tables and timeline still apply.');
    const events: [string, () => void][] = [
      ['play', onPlay],
      ['seeked', onStill],
      ['loadeddata', onStill],
      ['loadedmetadata', onStill],
      ['pause', onStill],
      ['timeupdate', onTimeUpdate],
      ['seeked', onTimeUpdate],
      ['error', onVideoError],
    ];
    for (const [name, fn] of events) v.addEventListener(name, fn);
    const resize = new ResizeObserver(() => draw());
    resize.observe(v);
    draw();
    return () => {
      stopped = true;
      if (useFrameCallback) v.cancelVideoFrameCallback?.(handle);
      else cancelAnimationFrame(handle);
      for (const [name, fn] of events) v.removeEventListener(name, fn);
      resize.disconnect();
    };
  }, [src]);

  // Filters and colours change what is drawn, not when: redraw the current picture.
  useEffect(() => drawRef.current(), [frames, filter, colors, video]);

  const aspect = video?.width && video.height ? `${video.width} / ${video.height}` : undefined;
  return (
    <div class="player">
      <video
        ref={videoRef}
        src={src}
        controls
        playsInline
        preload="auto"
        style={aspect ? { aspectRatio: aspect } : undefined}
        aria-label="The uploaded video"
      />
      <canvas ref={canvasRef} class="overlay" aria-hidden="true" data-testid="overlay" />
    </div>
  );
}
