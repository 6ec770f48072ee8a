/** `npm run cluster:down`: stops the stage processes started by cluster:up, then the infra servers. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cluster-local.js';

const runDir = join(process.env.FRAMEWISE_INFRA_DIR ?? join(homedir(), '.cache', 'framewise-infra'), 'run', 'cluster');
const pidFile = join(runDir, 'pids');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
if (existsSync(pidFile)) {
  const pids = readFileSync(pidFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(l.split(' ')[0]));
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGTERM');
  const until = Date.now() + 35_000;
  while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(pidFile);
  console.log(`stopped ${pids.length} Framewise processes`);
}
execFileSync('bash', [join(ROOT, 'scripts/infra/down.sh')], { stdio: 'inherit' });
