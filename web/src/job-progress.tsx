import type { JobStatus } from './api';
import { formatEta } from './format';

/** A job on its way: stage, frames done of how many, a progress bar and the time left. */
export function JobProgress({ status }: { status: JobStatus | undefined }) {
  if (!status) return <p class="muted">Waiting for the job's status…</p>;
  if (status.status === 'failed') {
    return (
      <p class="error" role="alert">
        The job failed{status.reason ? `: ${status.reason}` : '.'}
      </p>
    );
  }
  const of = status.frames_total ?? status.frames_expected;
  const percent = status.percent ?? null;
  return (
    <div class="job-progress" data-status={status.status}>
      <p>
        <span class={`badge status-${status.status}`}>{status.status}</span> {status.status_description}
      </p>
      <progress max={100} value={percent ?? undefined} aria-label="Detection progress">
        {percent ?? 0}%
      </progress>
      <p class="muted">
        {percent !== null ? `${percent.toFixed(0)}%` : 'starting'}
        {status.frames_done !== undefined && ` · ${status.frames_done}${of ? ` of ${of}` : ''} frames`}
        {status.eta_seconds !== null && status.eta_seconds !== undefined && ` · about ${formatEta(status.eta_seconds)} left`}
      </p>
    </div>
  );
}
