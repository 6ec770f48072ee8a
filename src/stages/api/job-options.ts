import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { FramewiseError } from '../../core/errors.js';
import { nonPublicRange } from '../../core/public-address.js';
import type { JobOptions } from '../../core/job.js';

/**
 * The per-job options as the API takes them (upload query or form fields, or `/api/request`'s
 * JSON): one schema that validates, documents and — for form fields, which arrive as text —
 * converts. Rules the schema cannot state (one sampling rule, known classes) are in `jobOptions`.
 */
export const JobOptionFields = {
  sample_every: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'Detect every Nth decoded frame (default: the server’s, 5)' })),
  // `minimum`, not `exclusiveMinimum: 0`: /openapi.json is OpenAPI 3.0, where exclusiveMinimum is a boolean.
  sample_fps: Type.Optional(
    Type.Number({ minimum: 0.001, maximum: 1000, description: 'Or: about this many frames per second of video, 0.001–1000 (not with sample_every)' }),
  ),
  confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Minimum confidence of a kept detection (default: the server’s, 0.25)' })),
  iou: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'IoU threshold of non-maximum suppression (default: the server’s, 0.45)' })),
  classes: Type.Optional(
    Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 100 }), Type.String({ minLength: 1, maxLength: 5000 })], {
      description: 'Keep only these classes: a list, or names separated by commas (e.g. "person,car")',
    }),
  ),
  annotate: Type.Optional(Type.Boolean({ description: 'Also render an MP4 with the boxes drawn (GET /api/result_video/{id}/annotated.mp4)' })),
  webhook_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL called (POST, signed) when the job is ready or failed' })),
};

export const JobOptionsInput = Type.Object(JobOptionFields, { additionalProperties: false });
export type JobOptionsInput = Static<typeof JobOptionsInput>;

export const OPTION_NAMES = Object.keys(JobOptionFields) as Array<keyof JobOptionsInput>;

/** What the checks need to know of the server: the classes of models that declare theirs. */
export interface OptionContext {
  model: string;
  /** The model's class names, when the API knows them (else any name is accepted). */
  classesOf?: (model: string) => readonly string[] | undefined;
  /** Accept webhook URLs naming loopback, private and other non-public addresses (default: refused). */
  webhookAllowPrivate?: boolean;
}

/** Form fields (text) → typed options, by the same schema; a value that does not convert is reported by name. */
export function optionsFromFields(fields: Partial<Record<keyof JobOptionsInput, string>>): JobOptionsInput {
  const raw: Record<string, unknown> = {};
  for (const name of OPTION_NAMES) {
    const v = fields[name];
    if (v === undefined) continue;
    raw[name] = name === 'classes' || name === 'webhook_url' ? v : name === 'annotate' ? Value.Convert(JobOptionFields.annotate, v.trim()) : numberOrText(v);
  }
  return checked(raw);
}

/** A number as written ("2.5" stays 2.5, so an integer option refuses it), else the text, for the schema to refuse by name. */
function numberOrText(v: string): number | string {
  const n = Number(v.trim());
  return v.trim() !== '' && Number.isFinite(n) ? n : v;
}

function checked(raw: Record<string, unknown>): JobOptionsInput {
  if (Value.Check(JobOptionsInput, raw)) return raw;
  const first = [...Value.Errors(JobOptionsInput, raw)][0];
  const name = first?.instancePath.split('/')[1] ?? '';
  const given = name ? JSON.stringify(raw[name]) : '';
  throw new FramewiseError('ERR_OPTION_INVALID', name ? `${name}=${given.slice(0, 100)}: ${first?.message ?? 'invalid'}` : (first?.message ?? 'invalid'));
}

/**
 * Validated options → the job's `JobOptions`: one sampling rule at most, class names trimmed,
 * de-duplicated and known to the model (when the server knows its classes), the webhook an
 * absolute http(s) URL. Throws `ERR_OPTION_INVALID` naming the option and the rule.
 */
export function jobOptions(input: JobOptionsInput, ctx: OptionContext): JobOptions {
  const out: JobOptions = {};
  if (input.sample_every !== undefined && input.sample_fps !== undefined) {
    throw new FramewiseError('ERR_OPTION_INVALID', 'sample_every and sample_fps: give one sampling rule, not both');
  }
  if (input.sample_every !== undefined) out.sample_every = input.sample_every;
  if (input.sample_fps !== undefined) out.sample_fps = input.sample_fps;
  if (input.confidence !== undefined) out.confidence = input.confidence;
  if (input.iou !== undefined) out.iou = input.iou;
  if (input.annotate !== undefined) out.annotate = input.annotate;
  if (input.classes !== undefined) out.classes = classList(input.classes, ctx);
  if (input.webhook_url !== undefined) out.webhook_url = webhookUrl(input.webhook_url, ctx.webhookAllowPrivate ?? false);
  return out;
}

function classList(given: string | string[], ctx: OptionContext): string[] {
  const names = [...new Set((Array.isArray(given) ? given : given.split(',')).map((c) => c.trim()).filter(Boolean))];
  if (names.length === 0) throw new FramewiseError('ERR_OPTION_INVALID', 'classes: name at least one class');
  if (names.length > 100) throw new FramewiseError('ERR_OPTION_INVALID', 'classes: at most 100 classes');
  const known = ctx.classesOf?.(ctx.model);
  if (known) {
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length > 0) {
      const shown = known.length > 12 ? `${known.slice(0, 12).join(', ')}, … (GET /api/models)` : known.join(', ');
      throw new FramewiseError(
        'ERR_OPTION_INVALID',
        `classes: ${unknown.map((u) => JSON.stringify(u)).join(', ')} not among the classes of model ${ctx.model}: ${shown}`,
      );
    }
  }
  return names;
}

function webhookUrl(given: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new FramewiseError('ERR_OPTION_INVALID', `webhook_url: ${JSON.stringify(given.slice(0, 100))} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new FramewiseError('ERR_OPTION_INVALID', `webhook_url: only http and https URLs, not ${url.protocol}`);
  if (url.username || url.password)
    throw new FramewiseError('ERR_OPTION_INVALID', 'webhook_url: credentials in the URL are not accepted; the call is signed instead');
  // A name that resolves to such an address is refused when called (post-webhook.ts): DNS may change in between.
  const range = allowPrivate ? undefined : nonPublicRange(url.hostname);
  if (range)
    throw new FramewiseError(
      'ERR_OPTION_INVALID',
      `webhook_url: ${url.hostname} is a ${range} address, not a public one; this server calls public addresses only (FRAMEWISE_WEBHOOK_ALLOW_PRIVATE)`,
    );
  return url.toString();
}
