import type { JobStatus, Operation } from './api';
import { JobProgress } from './job-progress';
import { ResultView } from './result-view';
import { useResult } from './use-result';

interface Props {
  id: string;
  /** The job's live status (event stream). */
  live: JobStatus | undefined;
  /** The job as the job list last saw it. */
  listed: Operation | undefined;
}

/** The watched job: its progress until it is ready, then its result. */
export function Viewer({ id, live, listed }: Props) {
  const ready = live?.status === 'ready' || listed?.status_code === 'ready';
  const result = useResult(id, ready);
  const failed = live?.status === 'failed' ? live : listed?.status_code === 'failed' ? listed : undefined;
  return (
    <section class="card viewer" aria-labelledby="viewer-heading">
      <h2 id="viewer-heading">
        Job <code>{id}</code>
      </h2>
      {failed ? (
        <p class="error" role="alert">
          The job failed{failed.reason ? `: ${failed.reason}` : '.'}
        </p>
      ) : !ready ? (
        <JobProgress status={live} />
      ) : result.state === 'loaded' ? (
        <ResultView key={id} id={id} result={result.result} />
      ) : result.state === 'error' ? (
        <p class="error" role="alert">
          Could not load the result: {result.message}
        </p>
      ) : (
        <p class="muted">Loading the result…</p>
      )}
    </section>
  );
}
