import type { JobStatus, Operation, StatusAll } from './api';
import { formatEta, shortId } from './format';

interface Props {
  data: StatusAll | undefined;
  error: string | undefined;
  selected: string | undefined;
  /** The selected job's live status, shown in its row while it runs. */
  live: JobStatus | undefined;
  onSelect(id: string): void;
}

/** The newest jobs shown; the rest are counted. */
const MAX_ROWS = 50;

/** A row's status: the live one for the watched job (fresher than the list's), with its progress. */
function StatusCell({ op, live }: { op: Operation; live: JobStatus | undefined }) {
  const status = live?.status ?? op.status_code;
  const running = live && (status === 'processing' || status === 'predictable') && live.percent !== null && live.percent !== undefined;
  return (
    <>
      <span class={`badge status-${status}`} title={live?.status_description ?? op.status_description}>
        {status}
      </span>
      {running && (
        <span class="muted">
          {' '}
          {live.percent!.toFixed(0)}%{live.eta_seconds !== null && live.eta_seconds !== undefined ? ` · ${formatEta(live.eta_seconds)} left` : ''}
        </span>
      )}
      {status === 'failed' && (op.reason ?? live?.reason) && <div class="muted reason">{op.reason ?? live?.reason}</div>}
    </>
  );
}

/** Every job, newest first, with its status (refreshed) and a button that opens it in the viewer. */
export function JobList({ data, error, selected, live, onSelect }: Props) {
  const ops = data ? [...data.operations].reverse() : [];
  return (
    <section class="card" aria-labelledby="jobs-heading">
      <h2 id="jobs-heading">Jobs {data && <span class="muted">({data.total})</span>}</h2>
      {error && (
        <p class="error" role="alert">
          The job list could not be refreshed: {error}
        </p>
      )}
      {!data && !error && <p class="muted">Loading…</p>}
      {data && ops.length === 0 && <p class="muted">No jobs yet: upload a video.</p>}
      {ops.length > 0 && (
        <div class="table-scroll">
          <table class="jobs">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col">Time</th>
                <th scope="col">
                  <span class="visually-hidden">Open</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {ops.slice(0, MAX_ROWS).map((op) => (
                <tr
                  key={op.video_id}
                  data-job={op.video_id}
                  data-status={(op.video_id === selected ? live?.status : undefined) ?? op.status_code}
                  class={op.video_id === selected ? 'selected' : undefined}
                >
                  <td>
                    <code title={op.video_id}>{shortId(op.video_id)}</code>
                  </td>
                  <td>
                    <StatusCell op={op} live={op.video_id === selected && live?.event_id === op.video_id ? live : undefined} />
                  </td>
                  <td>{op.processing_time_formatted}</td>
                  <td>
                    <button
                      type="button"
                      class="secondary"
                      onClick={() => onSelect(op.video_id)}
                      aria-pressed={op.video_id === selected}
                      aria-label={`View job ${op.video_id}`}
                    >
                      View
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {ops.length > MAX_ROWS && <p class="muted">and {ops.length - MAX_ROWS} older jobs</p>}
        </div>
      )}
    </section>
  );
}
