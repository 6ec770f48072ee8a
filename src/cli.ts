// OpenTelemetry, when the OTEL_* variables ask for it, is started below before anything loads
// Fastify or `http` (the commands import them lazily), so its instrumentation patches them.
import { startTracing, stopTracing } from './observability/tracing.js';
import { Command, Option } from 'commander';
import pino, { type Logger } from 'pino';
import { ConfigError, describeConfig, loadConfig, type Config } from './core/config.js';

/** The processes that serve (trace export); the client commands (detect, config…) never export. */
const SERVICE_NAMES: Record<string, string> = {
  serve: 'framewise',
  api: 'framewise-api',
  relay: 'framewise-relay',
  runner: 'framewise-runner',
  inference: 'framewise-inference',
  publisher: 'framewise-publisher',
};
const command = process.argv[2];
if (command !== undefined && Object.hasOwn(SERVICE_NAMES, command)) startTracing(SERVICE_NAMES[command]!);

const program = new Command().name('framewise').description('Turns videos into per-frame object detections.');

/** Runs until SIGTERM/SIGINT, then closes the service (stop taking work, finish or release, exit) within 30 s. */
function closeOnSignal(service: { close(): Promise<void> }, log: Logger): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    service
      .close()
      // The spans not yet exported go out before the process ends (nothing to do without tracing).
      .then(() => stopTracing().catch((err: unknown) => log.warn({ err }, 'trace export at shutdown failed')))
      .then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const portOption = () => new Option('-p, --port <port>', 'API port (FRAMEWISE_PORT, default 8080)');
const hostOption = () => new Option('--host <host>', 'address to bind (FRAMEWISE_HOST, default 127.0.0.1)');

function configure(opts: { port?: string; host?: string; data?: string }): { config: Config; log: Logger } {
  const config = loadConfig(process.env, { port: opts.port, host: opts.host, dataDir: opts.data });
  return { config, log: pino({ level: config.logLevel }) };
}

program
  .command('serve')
  .description('Run everything in one process (embedded mode: SQLite, local files, bundled COCO detector)')
  .addOption(portOption())
  .addOption(hostOption())
  .addOption(new Option('-d, --data <dir>', 'data directory (FRAMEWISE_DATA_DIR, default ./data)'))
  .action(async (opts: { port?: string; host?: string; data?: string }) => {
    const { config, log } = configure(opts);
    const { startEmbedded } = await import('./modes/embedded.js');
    closeOnSignal(await startEmbedded(config, log), log);
  });

const stages = {
  api: 'the HTTP API (port FRAMEWISE_PORT, 8080)',
  relay: 'the outbox relay: main_db.outbox → Kafka outbox_events',
  runner: 'the runner: extracts frames, collects results (health on RUNNER_PORT, 8002)',
  inference: 'an inference worker: detects frames (health and stats on INFERENCE_PORT, 8003)',
  publisher: 'the result publisher: runner_db → S3 detection/{id}.json',
} as const;

for (const [stage, what] of Object.entries(stages) as Array<[keyof typeof stages, string]>) {
  program
    .command(stage)
    .description(`Cluster mode: run ${what}, on Kafka, MongoDB and S3 from the environment`)
    .addOption(portOption())
    .addOption(hostOption())
    .action(async (opts: { port?: string; host?: string }) => {
      const { config, log } = configure(opts);
      const { startClusterStage } = await import('./modes/cluster.js');
      closeOnSignal(await startClusterStage(stage, config, log.child({ stage })), log);
    });
}

program
  .command('detect')
  .description('Upload a video to a running Framewise, follow it with progress bars, and save the detections')
  .argument('<video>', 'video file')
  .option('-u, --url <url>', 'Framewise API', 'http://127.0.0.1:8080')
  .option('-o, --out <file>', 'write the result JSON here (default: stdout)')
  .option('--no-progress', 'no progress bars')
  .option('--model <name>', 'the detector (GET /api/models)')
  .option('--sample-every <n>', 'detect every Nth frame')
  .option('--sample-fps <rate>', 'or: about this many frames per second')
  .option('--confidence <0-1>', 'minimum confidence')
  .option('--iou <0-1>', 'NMS IoU threshold')
  .option('--classes <list>', 'keep only these classes, comma-separated')
  .option('--annotate', 'also render an annotated MP4')
  .option('--webhook-url <url>', 'called when the job is ready or failed')
  .addOption(new Option('-k, --key <key>', 'API key, sent as Authorization: Bearer').env('FRAMEWISE_API_KEY'))
  .action(async (video: string, opts: { url: string; out?: string; progress: boolean; key?: string } & Record<string, string | boolean | undefined>) => {
    const { detect } = await import('./client/detect.js');
    // Sent as they are: the server validates them (400 ERR_OPTION_INVALID names the wrong one).
    const names = {
      model: 'model',
      sampleEvery: 'sample_every',
      sampleFps: 'sample_fps',
      confidence: 'confidence',
      iou: 'iou',
      classes: 'classes',
      annotate: 'annotate',
      webhookUrl: 'webhook_url',
    };
    const jobOptions = Object.fromEntries(Object.entries(names).flatMap(([k, q]) => (opts[k] === undefined ? [] : [[q, String(opts[k])]])));
    try {
      await detect(video, {
        url: opts.url,
        ...(opts.out ? { out: opts.out } : {}),
        progress: opts.progress,
        jobOptions,
        ...(opts.key ? { key: opts.key } : {}),
      });
    } catch (err) {
      console.error(`framewise detect: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
  });

const deadLetters = program.command('dead-letters').description('Outbox items that failed past their attempts: list, replay, discard (admin API)');
const adminOptions = (c: Command) =>
  c
    .option('-u, --url <url>', 'Framewise API', 'http://127.0.0.1:8080')
    .addOption(new Option('-k, --key <key>', 'an API key of role admin (else FRAMEWISE_ADMIN_KEY)').env('FRAMEWISE_API_KEY'));
/** The admin key: `--key`, FRAMEWISE_API_KEY, else FRAMEWISE_ADMIN_KEY (the server's own admin key, on its machine). */
const adminKeyOf = (opts: { key?: string }) => opts.key || process.env.FRAMEWISE_ADMIN_KEY || undefined;
const fail = (what: string) => (err: unknown) => {
  console.error(`framewise dead-letters ${what}: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
};
adminOptions(deadLetters.command('list').description('List dead letters, oldest first'))
  .addOption(new Option('--outbox <outbox>', 'only this outbox').choices(['jobs', 'results', 'webhooks']))
  .option('--limit <n>', 'at most this many (1–1000)', '100')
  .option('--json', 'print JSON')
  .action(async (opts: { url: string; key?: string; outbox?: string; limit?: string; json?: boolean }) => {
    const { listDeadLetters } = await import('./client/dead-letters.js');
    await listDeadLetters({ ...opts, key: adminKeyOf(opts) }).catch(fail('list'));
  });
for (const action of ['replay', 'discard'] as const) {
  adminOptions(
    deadLetters
      .command(action)
      .description(action === 'replay' ? 'Deliver a dead letter again (attempts start over)' : 'Drop a dead letter (a jobs-outbox event is deleted)')
      .argument('<outbox>', 'jobs, results or webhooks')
      .argument('<event_id>', 'the event (job) id'),
  ).action(async (outbox: string, eventId: string, opts: { url: string; key?: string }) => {
    const { actOnDeadLetter } = await import('./client/dead-letters.js');
    await actOnDeadLetter(action, outbox, eventId, { ...opts, key: adminKeyOf(opts) }).catch(fail(action));
  });
}

program
  .command('config')
  .description('List every setting: environment variable, default and meaning')
  .action(() => {
    for (const s of describeConfig()) console.log(`${s.env.padEnd(32)} ${String(s.default ?? '(unset)').padEnd(22)} ${s.description}`);
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
