import { useMemo, useRef, useState } from 'preact/hooks';
import { annotatedUrl, videoUrl, type JobResult } from './api';
import { BoxFilters } from './box-filters';
import { ClassSummaryTable } from './class-summary';
import { classColors } from './class-colors';
import type { BoxFilter } from './draw-boxes';
import { timedFrames } from './frame-at';
import { Timeline } from './timeline';
import { TrackTable } from './track-table';
import { useAnnotated } from './use-annotated';
import { VideoOverlay } from './video-overlay';

/** Detections per class: the server's summary, else counted from the frames (older servers). */
function classCounts(result: JobResult): { name: string; detections: number }[] {
  if (result.classes) return result.classes.map((c) => ({ name: c.class, detections: c.detections }));
  const counts = new Map<string, number>();
  for (const f of result.prediction) for (const o of f.objects) counts.set(o.class, (counts.get(o.class) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([name, detections]) => ({ name, detections }));
}

/** A ready job: the video with its boxes, the filters, the timeline, and the track and class summaries. */
export function ResultView({ id, result }: { id: string; result: JobResult }) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const [filter, setFilter] = useState<BoxFilter>({ hidden: new Set(), minConf: 0 });
  const [currentMs, setCurrentMs] = useState(0);
  const [videoError, setVideoError] = useState<string>();
  const [elementDurationMs, setElementDurationMs] = useState(0);
  const frames = useMemo(() => timedFrames(result.prediction, result.video?.fps), [result]);
  const classes = useMemo(() => classCounts(result), [result]);
  const colors = useMemo(() => classColors(classes.map((c) => c.name)), [classes]);
  const durationMs = result.video?.duration_ms ?? elementDurationMs;
  const p = result.parameters;
  const annotated = useAnnotated(id, p?.annotate === true);

  const seek = (ms: number) => {
    const v = videoRef.current;
    if (!v) return;
    v.currentTime = Math.max(0, ms) / 1000;
    setCurrentMs(ms);
  };

  return (
    <div class="result" data-event-id={id}>
      <p class="meta">
        {result.model && (
          <span title={`weights SHA-256 ${result.model.sha256}`}>
            Model <strong>{result.model.name}</strong>
          </span>
        )}
        <span>
          {result.prediction.length} sampled frames
          {result.total_frames ? ` of ${result.total_frames}` : ''}
          {p?.sample_fps ? ` (about ${p.sample_fps} per second)` : p?.sample_every ? ` (every ${p.sample_every})` : ''}
        </span>
        {result.video && (
          <span>
            {result.video.width}×{result.video.height}
            {result.video.fps ? ` at ${Math.round(result.video.fps * 100) / 100} fps` : ''}
          </span>
        )}
        {result.processing_time_formatted && <span>processed in {result.processing_time_formatted}</span>}
        {annotated === 'available' && (
          <a class="button" href={annotatedUrl(id)} download={`${id}-annotated.mp4`}>
            Download annotated video
          </a>
        )}
        {annotated === 'rendering' && <span class="annotated-pending">Annotated video: rendering…</span>}
      </p>
      <div class="viewer-grid">
        <div>
          <VideoOverlay
            src={videoUrl(id)}
            frames={frames}
            filter={filter}
            colors={colors}
            video={result.video}
            videoRef={videoRef}
            onTime={(ms) => {
              setCurrentMs(ms);
              const d = videoRef.current?.duration;
              if (d && Number.isFinite(d)) setElementDurationMs(d * 1000);
            }}
            onError={setVideoError}
          />
          {videoError && (
            <p class="error" role="alert">
              {videoError}
            </p>
          )}
        </div>
        <BoxFilters classes={classes} colors={colors} filter={filter} onChange={setFilter} />
      </div>
      <section aria-labelledby="timeline-heading">
        <h3 id="timeline-heading">Timeline</h3>
        {result.segments ? (
          <Timeline
            classes={classes.map((c) => c.name)}
            segments={result.segments}
            durationMs={durationMs}
            currentMs={currentMs}
            colors={colors}
            onSeek={seek}
          />
        ) : (
          <p class="muted">This server sends no segments.</p>
        )}
      </section>
      <section aria-labelledby="summary-heading">
        <h3 id="summary-heading">Summary</h3>
        <ClassSummaryTable classes={result.classes ?? []} colors={colors} />
        {result.tracks ? <TrackTable tracks={result.tracks} colors={colors} onSeek={seek} /> : <p class="muted">This server sends no tracks.</p>}
      </section>
    </div>
  );
}
