import type { JobStatus, RunnerRecord } from './job.js';

/** Where a job is, for people: a stage name, frames done of how many, and an estimate of the rest. */
export interface JobProgress {
  /** `queued` (not started), `detecting` (frames being extracted and detected), `publishing`, `done`, `failed`. */
  stage: 'queued' | 'detecting' | 'publishing' | 'done' | 'failed';
  frames_done: number;
  /** Known once extraction has ended. */
  frames_total: number | null;
  /** The container's estimate, known when the job starts. */
  frames_expected: number | null;
  /** 0–100 of the total (else of the estimate); null before either is known. */
  percent: number | null;
  /** Seconds left at the job's average rate so far (queueing included); null while nothing is done or the job is over. */
  eta_seconds: number | null;
}

const STAGES: Record<JobStatus, JobProgress['stage']> = {
  new: 'queued',
  sent: 'queued',
  processing: 'detecting',
  predictable: 'publishing',
  ready: 'done',
  failed: 'failed',
};

export function jobProgress(status: JobStatus, run: RunnerRecord | undefined, elapsedSeconds: number): JobProgress {
  const done = run?.received_frames ?? 0;
  const total = run?.total_frames ?? null;
  const expected = run?.expected_frames ?? null;
  const of = total ?? expected;
  const percent = status === 'ready' ? 100 : of ? Math.min(100, Math.round((1000 * done) / of) / 10) : null;
  let eta: number | null = null;
  // Rounded up to a tenth of a second: frames still to come never read as an ETA of 0.
  if (status === 'processing' && of && done > 0 && elapsedSeconds > 0)
    eta = Math.max(0, Math.ceil((Math.max(0, of - done) / (done / elapsedSeconds)) * 10 - 1e-9) / 10);
  return { stage: STAGES[status], frames_done: done, frames_total: total, frames_expected: expected, percent, eta_seconds: eta };
}
