/**
 * Readiness (`GET /ready`): whether this process's dependencies answer now — unlike `/health`,
 * which only says the process does. Each check is a function the composition root makes from the
 * clients it holds (a trivial SQLite query, a MongoDB `ping`, a Kafka metadata request, an S3
 * HeadBucket, the detector loaded); it resolves when its dependency answered and rejects with why
 * not.
 *
 * Invariants: every check runs at once and alone against its own deadline, so the probe answers
 * within about `timeoutMs` however a dependency hangs; a check that throws or is slow makes the
 * process not ready and names itself, never the others.
 */
export type ReadyCheck = () => Promise<unknown>;

/** The process's checks, by the name the answer reports (`sqlite`, `main_db`, `kafka`, `s3`, `detector`…). */
export type ReadyChecks = Readonly<Record<string, ReadyCheck>>;

export interface Readiness {
  status: 'ready' | 'not_ready';
  /** Per check: `ok`, or why not (the error's message, or that it timed out). */
  checks: Record<string, string>;
}

/** How long one check may take before it counts as failed. */
export const READY_CHECK_TIMEOUT_MS = 2_000;

/** Runs every check concurrently, each bounded by `timeoutMs`. */
export async function checkReadiness(checks: ReadyChecks, timeoutMs = READY_CHECK_TIMEOUT_MS): Promise<Readiness> {
  const entries = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const));
  return { status: entries.every(([, r]) => r === 'ok') ? 'ready' : 'not_ready', checks: Object.fromEntries(entries) };
}

async function runCheck(check: ReadyCheck, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    // `Promise.resolve().then(check)`: a check that throws synchronously is a failed check too.
    const answered = Promise.resolve()
      .then(check)
      .then(
        () => 'ok',
        (err: unknown) => describe(err),
      );
    return await Promise.race([answered, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** An error as one line: its message (or its name/code when it has none — some clients throw bare errors). */
function describe(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describe(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return (err.message || (typeof code === 'string' ? code : '') || err.name).slice(0, 300);
  }
  return String(err).slice(0, 300);
}
