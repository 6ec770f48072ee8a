/**
 * The configuration reference page (`docs/reference/configuration.md`), generated from the config
 * schema so that it cannot drift: `npm run build:reference` writes it, and a test fails while the
 * committed page differs from what the schema says.
 */
import { describeConfig } from './config.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function shown(v: unknown): string {
  if (v === undefined) return 'unset';
  if (Array.isArray(v)) return v.length === 0 ? '`[]`' : `\`${v.join(',')}\``;
  return `\`${String(v)}\``;
}

/** The page, Markdown. */
export function configurationReference(): string {
  const rows = describeConfig().map((s) => `| \`${s.env}\` | ${cell(shown(s.default))} | ${cell(s.description)} |`);
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/core/config.ts by `npm run build:reference`; edit the schema, not this page. -->',
    '',
    'Read once at start-up from the environment (CLI flags `--port`, `--host`, `--data` win) and',
    'validated; an invalid value stops start-up with a message naming the variable.',
    '`npx framewise config` prints the same list.',
    '',
    '| variable | default | meaning |',
    '|---|---|---|',
    ...rows,
    '',
    'Besides these: OpenTelemetry trace export, off unless `OTEL_EXPORTER_OTLP_ENDPOINT` /',
    '`OTEL_TRACES_EXPORTER` / `OTEL_*` are set (see [Observability](../observability.md)).',
    '',
  ].join('\n');
}
