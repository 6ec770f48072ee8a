/**
 * `npm run cluster:up`: Kafka, MinIO and the MongoDB-protocol server (scripts/infra/up.sh), then one
 * process per Framewise stage (API on 8080, runner health 8002, inference 8003), detached, logging
 * to $FRAMEWISE_INFRA_DIR/run/cluster/*.log. Returns once everything is healthy.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startCluster } from './cluster-local.js';

const runDir = join(process.env.FRAMEWISE_INFRA_DIR ?? join(homedir(), '.cache', 'framewise-infra'), 'run', 'cluster');
mkdirSync(runDir, { recursive: true });
execFileSync('bash', [join(ROOT, 'scripts/infra/up.sh')], { stdio: 'inherit' });
const procs = await startCluster({ runners: Number(process.env.RUNNERS ?? 1), inference: Number(process.env.INFERENCE_WORKERS ?? 1), apiPort: 8080 }, runDir);
writeFileSync(join(runDir, 'pids'), procs.map((p) => `${p.proc.pid} ${p.name}`).join('\n') + '\n');
for (const p of procs) console.log(`${p.name.padEnd(12)} pid ${String(p.proc.pid).padEnd(8)} ${p.url ?? ''}`);
console.log(`Framewise cluster up: API http://127.0.0.1:8080 — logs in ${runDir}; stop with npm run cluster:down`);
