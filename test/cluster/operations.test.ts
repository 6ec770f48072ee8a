import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startCluster, stopAll, type StageProcess } from '../../scripts/cluster-local.js';
import { FIXTURE, isFinished, waitForResult } from '../e2e/server.js';
import { infraUp } from './infra.js';

before(infraUp, { timeout: 45 * 60_000 });

const api = (procs: StageProcess[]) => procs.find((p) => p.stage === 'api')!.url!;
const byStage = (procs: StageProcess[], stage: string) => procs.filter((p) => p.stage === stage);

async function upload(url: string, headers: Record<string, string> = {}): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([await readFile(FIXTURE)]), 'vtest-10s.mp4');
  const r = await fetch(`${url}/api/upload_video`, { method: 'POST', body: form, headers });
  assert.equal(r.status, 200);
  return ((await r.json()) as { event_id: string }).event_id;
}

/** The value of a Prometheus sample, e.g. `framewise_frames_detected_total{service="inference"}`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('cluster operations: trace context, metrics, graceful shutdown', () => {
  test('a job’s trace id is in its log lines in every process; every process serves /metrics', async () => {
    const procs = await startCluster({ runners: 1, inference: 1 });
    try {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const id = await upload(api(procs), { traceparent: `00-${traceId}-b7ad6b7169203331-01` });
      const result = await waitForResult(api(procs), id, isFinished, 300_000);
      assert.equal(result.status, 'ready');
      for (const stage of ['api', 'runner', 'publisher']) {
        // The lines the pipeline writes about the job (request logs of clients polling it carry their own requests).
        const jobLines = () =>
          byStage(procs, stage)
            .flatMap((p) => p.log)
            .filter((l) => l.includes(`"event_id":"${id}"`));
        // The API answers `ready` once detection/{id}.json exists; the publisher writes its line just
        // after it marks the job, and the line still has to cross the pipe: wait for it, briefly.
        for (const until = Date.now() + 15_000; jobLines().length === 0 && Date.now() < until;) await new Promise((r) => setTimeout(r, 100));
        const lines = jobLines();
        assert.ok(lines.length > 0, `${stage} logged the job`);
        for (const line of lines) assert.ok(line.includes(traceId), `${stage} line without the trace id: ${line.slice(0, 300)}`);
      }
      const metrics = async (p: StageProcess) => (await fetch(`${p.url}/metrics`)).text();
      const inference = await metrics(byStage(procs, 'inference')[0]!);
      assert.ok((sample(inference, 'framewise_frames_detected_total') ?? 0) >= 20, 'frames detected');
      assert.ok((sample(inference, 'framewise_inference_latency_seconds_count') ?? 0) >= 20);
      const relay = await metrics(byStage(procs, 'relay')[0]!);
      assert.ok((sample(relay, 'framewise_outbox_publish_latency_seconds_count', { outbox: 'jobs' }) ?? 0) >= 1, 'relay publish latency');
      assert.equal(sample(relay, 'framewise_outbox_backlog', { outbox: 'jobs', status: 'new' }) ?? 0, 0);
      const runner = await metrics(byStage(procs, 'runner')[0]!);
      assert.ok((sample(runner, 'framewise_frames_extracted_total') ?? 0) >= 20, 'frames extracted');
      assert.ok(runner.includes('framewise_consumer_lag'), 'consumer lag exported');
      const publisher = await metrics(byStage(procs, 'publisher')[0]!);
      assert.ok((sample(publisher, 'framewise_job_duration_seconds_count', { status: 'ready' }) ?? 0) >= 1, 'job duration');
      const apiMetrics = await (await fetch(`${api(procs)}/metrics`)).text();
      assert.ok((sample(apiMetrics, 'framewise_jobs_submitted_total') ?? 0) >= 1);
    } finally {
      await stopAll(procs);
    }
  });

  test('SIGTERM mid-work: every process exits 0 within 30 s; restarted, the job completes with each frame once', async () => {
    let procs = await startCluster({ runners: 1, inference: 1, apiPort: 18080 });
    try {
      const url = api(procs);
      const id = await upload(url);
      await waitForResult(url, id, (r) => (r.progress?.frames_done ?? 0) >= 3 || isFinished(r), 300_000);
      const exits = await Promise.all(
        procs.map(async (p) => {
          const t0 = Date.now();
          p.proc.kill('SIGTERM');
          const code = await p.exited;
          return { name: p.name, code, ms: Date.now() - t0 };
        }),
      );
      console.log(`# shutdown: ${exits.map((e) => `${e.name} ${e.ms} ms`).join(', ')}`);
      for (const e of exits) {
        assert.equal(e.code, 0, `${e.name} exit code`);
        assert.ok(e.ms < 30_000, `${e.name} took ${e.ms} ms`);
      }
      procs = await startCluster({ runners: 1, inference: 1, apiPort: 18080 });
      const result = await waitForResult(api(procs), id, isFinished, 300_000);
      assert.equal(result.status, 'ready', JSON.stringify(result).slice(0, 300));
      const frames = result.prediction.map((f: { frame: number }) => f.frame);
      assert.deepEqual(
        frames,
        Array.from({ length: 20 }, (_, i) => i * 5),
        'every sampled frame once',
      );
    } finally {
      await stopAll(procs);
    }
  });
});
