import { Command, Option } from 'commander';
import pino from 'pino';
import { ConfigError, describeConfig, loadConfig } from './core/config.js';

const program = new Command()
  .name('framewise')
  .description('Turns videos into per-frame object detections.');

program
  .command('serve')
  .description('Run everything in one process (embedded mode: SQLite, local files, bundled COCO detector)')
  .addOption(new Option('-p, --port <port>', 'API port (FRAMEWISE_PORT, default 8080)'))
  .addOption(new Option('--host <host>', 'address to bind (FRAMEWISE_HOST, default 127.0.0.1)'))
  .addOption(new Option('-d, --data <dir>', 'data directory (FRAMEWISE_DATA_DIR, default ./data)'))
  .action(async (opts: { port?: string; host?: string; data?: string }) => {
    const config = loadConfig(process.env, { port: opts.port, host: opts.host, dataDir: opts.data });
    const log = pino({ level: config.logLevel });
    const { startEmbedded } = await import('./modes/embedded.js');
    const service = await startEmbedded(config, log);
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
      service.close().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });

program
  .command('detect')
  .description('Upload a video to a running Framewise, follow it with progress bars, and save the detections')
  .argument('<video>', 'video file')
  .option('-u, --url <url>', 'Framewise API', 'http://127.0.0.1:8080')
  .option('-o, --out <file>', 'write the result JSON here (default: stdout)')
  .option('--no-progress', 'no progress bars')
  .action(async (video: string, opts: { url: string; out?: string; progress: boolean }) => {
    const { detect } = await import('./client/detect.js');
    try {
      await detect(video, opts);
    } catch (err) {
      console.error(`framewise detect: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
  });

program
  .command('config')
  .description('List every setting: environment variable, default and meaning')
  .action(() => {
    for (const s of describeConfig()) console.log(`${s.env.padEnd(32)} ${String(s.default ?? '(unset)').padEnd(12)} ${s.description}`);
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
