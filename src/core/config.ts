import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { createHash } from 'node:crypto';
import { DEFAULT_MAX_DAMAGED_SHARE } from './damage.js';

/**
 * Framewise's configuration: one validated schema, read once at start-up from the environment
 * (and CLI flags, which win). Every setting has a documented default; `framewise config` prints
 * the table. Invalid values stop the process with a message naming the variable.
 */
const setting = <T extends Type.TSchema>(schema: T) => schema;

/**
 * The detectors that ship with Framewise (their weights are installed with it; see
 * docs/models.md): COCO-80 NanoDet-g and CenterNet, each available to every job unless
 * FRAMEWISE_BUNDLED_MODELS leaves it out.
 */
export const BUNDLED_MODELS = ['nanodet-coco', 'centernet-coco'] as const;
export type BundledModel = (typeof BUNDLED_MODELS)[number];

/** The model of jobs that choose none, unless FRAMEWISE_DEFAULT_MODEL says otherwise. */
export const DEFAULT_MODEL: BundledModel = 'nanodet-coco';

export const isBundledModel = (name: string): name is BundledModel => (BUNDLED_MODELS as readonly string[]).includes(name);

/** A YOLO ONNX model a job may choose by `name` (see docs/models.md, "Bring your own YOLO"). */
export const ModelSpecSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$', description: 'What jobs choose it by' }),
    path: Type.String({ minLength: 1, description: 'The .onnx file (Ultralytics export)' }),
    labels: Type.Optional(Type.String({ minLength: 1, description: 'Class names, one per line (else the model metadata `names`)' })),
    layout: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('v5'), Type.Literal('v8'), Type.Literal('end2end')])),
    input_size: Type.Optional(Type.Integer({ minimum: 32, maximum: 4096, description: 'Input side when the model has dynamic height/width' })),
    max_batch: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, description: 'Frames per run when the batch is dynamic' })),
    provider: Type.Optional(Type.Union([Type.Literal('cpu'), Type.Literal('cuda')])),
    replicas: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 64,
        description: 'Sessions of the model per inference worker, each its own thread (default FRAMEWISE_DETECTOR_REPLICAS)',
      }),
    ),
    intra_op_threads: Type.Optional(Type.Integer({ minimum: 0, maximum: 256 })),
    inter_op_threads: Type.Optional(Type.Integer({ minimum: 0, maximum: 256 })),
    confidence: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: 'Default confidence of its jobs (else FRAMEWISE_CONFIDENCE, else 0.25, the threshold Ultralytics made for YOLO scores)',
      }),
    ),
    iou: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Default NMS IoU of its jobs (else FRAMEWISE_IOU, else 0.45)' })),
    class_agnostic_nms: Type.Optional(Type.Boolean({ description: 'Boxes of different classes suppress each other too (default false)' })),
  },
  { additionalProperties: false },
);
export type ModelSpec = Static<typeof ModelSpecSchema>;

/** An API key (see docs/api/access.md): the key itself, or only its SHA-256 (hex). */
export const ApiKeySchema = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Who the key is: jobs record it as their owner' }),
    role: Type.Union([Type.Literal('client'), Type.Literal('admin')]),
    key: Type.Optional(Type.String({ minLength: 16, maxLength: 4096 })),
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$' })),
  },
  { additionalProperties: false },
);
export type ApiKeyConfig = Static<typeof ApiKeySchema>;

export const ConfigSchema = Type.Object({
  host: setting(Type.String({ default: '127.0.0.1', env: 'FRAMEWISE_HOST', description: 'Address the API binds to' })),
  port: setting(Type.Integer({ default: 8080, minimum: 0, maximum: 65535, env: 'FRAMEWISE_PORT', description: 'API port (0 = any free port)' })),
  dataDir: setting(
    Type.String({
      default: './data',
      minLength: 1,
      env: 'FRAMEWISE_DATA_DIR',
      description: 'Embedded mode: where the SQLite database and stored objects live',
    }),
  ),
  bucket: setting(
    Type.String({
      default: 'videos',
      pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
      env: 'FRAMEWISE_BUCKET',
      description: 'Bucket that holds input/ and detection/',
    }),
  ),
  maxUploadBytes: setting(
    Type.Integer({ default: 2 * 1024 ** 3, minimum: 1, env: 'FRAMEWISE_MAX_UPLOAD_BYTES', description: 'Largest accepted upload; larger ones get 413' }),
  ),
  maxDurationSeconds: setting(
    Type.Number({
      default: 3 * 3600,
      exclusiveMinimum: 0,
      env: 'FRAMEWISE_MAX_DURATION_SECONDS',
      description: 'Longest video a job may have, seconds; longer ones get 422 at upload (the runner fails jobs over it)',
    }),
  ),
  maxWidth: setting(
    Type.Integer({
      default: 3840,
      minimum: 1,
      env: 'FRAMEWISE_MAX_WIDTH',
      description:
        'Widest video frame, pixels as displayed; with FRAMEWISE_MAX_HEIGHT checked in either orientation (3840×2160 admits 2160×3840); larger ones get 422',
    }),
  ),
  maxHeight: setting(
    Type.Integer({ default: 2160, minimum: 1, env: 'FRAMEWISE_MAX_HEIGHT', description: 'Tallest video frame, pixels as displayed (see FRAMEWISE_MAX_WIDTH)' }),
  ),
  maxFrames: setting(
    Type.Integer({
      default: 1_000_000,
      minimum: 1,
      env: 'FRAMEWISE_MAX_FRAMES',
      description: 'Most frames a video may have (decoded frames, not sampled ones); more get 422',
    }),
  ),
  rateLimitPerMinute: setting(
    Type.Integer({
      default: 6000,
      minimum: 0,
      env: 'FRAMEWISE_RATE_LIMIT_PER_MINUTE',
      description: 'API requests per minute per API key (per client IP without one); more get 429 with Retry-After. 0 = no limit. Per API process',
    }),
  ),
  uploadRateLimitPerMinute: setting(
    Type.Integer({
      default: 60,
      minimum: 0,
      env: 'FRAMEWISE_UPLOAD_RATE_LIMIT_PER_MINUTE',
      description: 'Job-creating requests (upload_video, request) per minute per API key or client IP; more get 429. 0 = no limit. Per API process',
    }),
  ),
  sampleEvery: setting(Type.Integer({ default: 5, minimum: 1, env: 'FRAMEWISE_SAMPLE_EVERY', description: 'Sample every Nth decoded frame' })),
  sampleFps: setting(
    Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        env: 'FRAMEWISE_SAMPLE_FPS',
        description: 'Instead of every N frames: sample about this many frames per second of video',
      }),
    ),
  ),
  blur: setting(Type.Boolean({ default: true, env: 'FRAMEWISE_BLUR', description: 'Gaussian blur before detection' })),
  blurKsize: setting(Type.Integer({ default: 3, minimum: 1, maximum: 31, multipleOf: 1, env: 'FRAMEWISE_BLUR_KSIZE', description: 'Blur kernel size (odd)' })),
  contrast: setting(Type.Boolean({ default: true, env: 'FRAMEWISE_CONTRAST', description: 'Contrast/brightness adjustment before detection' })),
  contrastAlpha: setting(Type.Number({ default: 1.3, minimum: 0, maximum: 10, env: 'FRAMEWISE_CONTRAST_ALPHA', description: 'Contrast gain (alpha)' })),
  contrastBeta: setting(Type.Number({ default: 5, minimum: -255, maximum: 255, env: 'FRAMEWISE_CONTRAST_BETA', description: 'Brightness offset (beta)' })),
  bundledModels: setting(
    Type.Array(Type.Union([Type.Literal(BUNDLED_MODELS[0]), Type.Literal(BUNDLED_MODELS[1])]), {
      default: [...BUNDLED_MODELS],
      uniqueItems: true,
      env: 'FRAMEWISE_BUNDLED_MODELS',
      description: `The bundled detectors this deployment serves, comma-separated or a JSON array (${BUNDLED_MODELS.join(', ')}; [] serves none, e.g. GPU workers that run only FRAMEWISE_MODELS). Every process of a cluster needs the same list`,
    }),
  ),
  models: setting(
    Type.Array(ModelSpecSchema, {
      default: [],
      env: 'FRAMEWISE_MODELS',
      description: 'Detectors besides the bundled ones: a JSON array of YOLO ONNX models, e.g. [{"name":"yolov8n","path":"/models/yolov8n.onnx"}]',
    }),
  ),
  defaultModel: setting(Type.String({ default: DEFAULT_MODEL, env: 'FRAMEWISE_DEFAULT_MODEL', description: 'The model of jobs that do not choose one' })),
  confidence: setting(
    Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        env: 'FRAMEWISE_CONFIDENCE',
        description:
          "Minimum detection confidence of every model's jobs that choose none (a model's own `confidence` wins); unset: each model's measured default (nanodet-coco 0.45, centernet-coco 0.35, YOLO 0.25; GET /api/models)",
      }),
    ),
  ),
  iou: setting(
    Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        env: 'FRAMEWISE_IOU',
        description:
          "IoU threshold of non-maximum suppression for every model's jobs that choose none (a model's own `iou` wins); unset: each model's default (0.45)",
      }),
    ),
  ),
  decodeErrors: setting(
    Type.Union([Type.Literal('fail'), Type.Literal('tolerate')], {
      default: 'tolerate',
      env: 'FRAMEWISE_DECODE_ERRORS',
      description:
        'A video with damaged frames: `tolerate` keeps the frames that decode, the result naming the damaged time ranges in `warnings` (within FRAMEWISE_MAX_DAMAGED_SHARE); `fail` fails the job at the first decoding error',
    }),
  ),
  maxDamagedShare: setting(
    Type.Number({
      default: DEFAULT_MAX_DAMAGED_SHARE,
      minimum: 0,
      maximum: 1,
      env: 'FRAMEWISE_MAX_DAMAGED_SHARE',
      description:
        "With FRAMEWISE_DECODE_ERRORS=tolerate: the share (0–1) of a job's sampled frames that may fail to decode; more, and the job fails with the share and the damaged time ranges in its reason. A video with no decodable frame fails whatever the share",
    }),
  ),
  ffmpegPath: setting(Type.Optional(Type.String({ env: 'FFMPEG_PATH', description: 'ffmpeg to use (default: system ffmpeg, else the npm-shipped one)' }))),
  ffprobePath: setting(Type.Optional(Type.String({ env: 'FFPROBE_PATH', description: 'ffprobe to use (default: system ffprobe, else the npm-shipped one)' }))),
  decodeThreads: setting(
    Type.Integer({
      default: 1,
      minimum: 0,
      maximum: 64,
      env: 'FRAMEWISE_DECODE_THREADS',
      description: 'ffmpeg decoding threads (0 = ffmpeg decides); 1 leaves the other cores to detection',
    }),
  ),
  probeTimeoutMs: setting(
    Type.Integer({
      default: 30_000,
      minimum: 100,
      env: 'FRAMEWISE_PROBE_TIMEOUT_MS',
      description: 'Longest ffprobe may take to read a video\'s format; longer: the job fails ("reading the video timed out")',
    }),
  ),
  decodeStallMs: setting(
    Type.Integer({
      default: 60_000,
      minimum: 100,
      env: 'FRAMEWISE_DECODE_STALL_MS',
      description:
        'Longest ffmpeg may take to deliver the next sampled frame (plus 100 ms per frame decoded in between); time waiting for detection does not count. Longer: the job fails ("decoding stalled")',
    }),
  ),
  ffmpegMemoryMb: setting(
    Type.Integer({
      default: 2048,
      minimum: 0,
      env: 'FRAMEWISE_FFMPEG_MEMORY_MB',
      description:
        'Address space of each ffmpeg/ffprobe run on a video, MiB (prlimit --as; 0 = no limit). Over it the job fails ("ran out of memory"); raise it with FRAMEWISE_DECODE_THREADS=0 on many cores',
    }),
  ),
  ffmpegCpuSeconds: setting(
    Type.Integer({
      default: 21_600,
      minimum: 0,
      env: 'FRAMEWISE_FFMPEG_CPU_SECONDS',
      description: 'CPU time of each ffmpeg/ffprobe run on a video, seconds (prlimit --cpu; 0 = no limit). Over it the job fails ("used up its CPU time")',
    }),
  ),
  maxFramesInFlight: setting(
    Type.Integer({
      default: 32,
      minimum: 1,
      env: 'FRAMEWISE_MAX_FRAMES_IN_FLIGHT',
      description:
        'Frames a job may have extracted but not yet detected (and, in all, the jobs one runner extracts at once, shared round-robin): the runner waits beyond it, so decoding never races far ahead of detection. Keep it at least 2 × batch size × inference workers, so every worker can hold a batch running and the next one gathering',
    }),
  ),
  segmentSeconds: setting(
    Type.Number({
      default: 30,
      minimum: 0,
      env: 'FRAMEWISE_SEGMENT_SECONDS',
      description:
        'A video at least twice this long is split into segments of about this many seconds (cut at keyframes), which any runner may extract: N runners extract one long video about N times as fast, with the same frame numbers, timestamps and results as one. 0 = never split',
    }),
  ),
  runnerConcurrency: setting(
    Type.Integer({
      default: 4,
      minimum: 1,
      maximum: 64,
      env: 'FRAMEWISE_RUNNER_CONCURRENCY',
      description:
        'Jobs a runner extracts at once; their frames share FRAMEWISE_MAX_FRAMES_IN_FLIGHT round-robin by job, so a short job is not stuck behind a long one',
    }),
  ),
  maxFrameBytes: setting(
    Type.Integer({
      default: 1_000_000,
      minimum: 10_000,
      env: 'FRAMEWISE_MAX_FRAME_BYTES',
      description:
        "Longest frame message: a frame whose JPEG is longer is re-encoded at lower quality, then shrunk. The default keeps key, headers and batch framing under Kafka's default message.max.bytes (1,048,588)",
    }),
  ),
  frameFormat: setting(
    Type.Union([Type.Literal('auto'), Type.Literal('jpeg'), Type.Literal('raw')], {
      default: 'auto',
      env: 'FRAMEWISE_FRAME_FORMAT',
      description:
        "Cluster: how frames travel to inference: auto (raw where the frame at its model's size fits FRAMEWISE_MAX_FRAME_BYTES, else JPEG), jpeg (small; an encode and a decode per frame), or raw RGB (no codec CPU; shrunk to fit). Embedded mode keeps frames in memory, raw",
    }),
  ),
  jpegQuality: setting(
    Type.Integer({ default: 90, minimum: 1, maximum: 100, env: 'FRAMEWISE_JPEG_QUALITY', description: 'JPEG quality of frames on the bus' }),
  ),
  inferenceConcurrency: setting(
    Type.Integer({
      default: 16,
      minimum: 1,
      maximum: 256,
      env: 'FRAMEWISE_INFERENCE_CONCURRENCY',
      description: 'Frames an inference worker holds at once: a batch running, the next gathering (at least 2 × batch size to keep the model busy)',
    }),
  ),
  inferenceBatchSize: setting(
    Type.Integer({
      default: 8,
      minimum: 1,
      maximum: 256,
      env: 'FRAMEWISE_INFERENCE_BATCH_SIZE',
      description: 'Most frames an inference worker sends to the model in one call (B)',
    }),
  ),
  detectorReplicas: setting(
    Type.Integer({
      default: 0,
      minimum: 0,
      maximum: 64,
      env: 'FRAMEWISE_DETECTOR_REPLICAS',
      description:
        "Sessions of each model per inference worker, each on its own thread, running batches at once (0 = auto: one per core, at most 4, on the CPU; 1 on CUDA). A YOLO model's replicas share the cores: intra_op_threads defaults to cores ÷ replicas",
    }),
  ),
  inferenceBatchWaitMs: setting(
    Type.Integer({
      default: 20,
      minimum: 0,
      maximum: 10_000,
      env: 'FRAMEWISE_INFERENCE_BATCH_WAIT_MS',
      description: 'Longest a frame waits for others to fill its batch while the model has room (T, ms)',
    }),
  ),
  pollIntervalMs: setting(
    Type.Integer({
      default: 10,
      minimum: 1,
      env: 'FRAMEWISE_POLL_INTERVAL_MS',
      description: 'Outbox polling interval when work was just found (the idle interval doubles from it)',
    }),
  ),
  maxPollIntervalMs: setting(
    Type.Integer({
      default: 100,
      minimum: 1,
      env: 'FRAMEWISE_MAX_POLL_INTERVAL_MS',
      description: 'Longest outbox polling interval when idle: bounds the delay from insert to publish where the store cannot wake the relay (cluster mode)',
    }),
  ),
  relayBatchSize: setting(
    Type.Integer({
      default: 500,
      minimum: 1,
      maximum: 10_000,
      env: 'FRAMEWISE_RELAY_BATCH_SIZE',
      description: 'Outbox events the relay claims and publishes per round',
    }),
  ),
  retryBaseMs: setting(
    Type.Integer({
      default: 1000,
      minimum: 1,
      env: 'FRAMEWISE_RETRY_BASE_MS',
      description: 'Outbox delivery retries: first backoff (doubles per attempt, with jitter)',
    }),
  ),
  retryCapMs: setting(Type.Integer({ default: 300_000, minimum: 1, env: 'FRAMEWISE_RETRY_CAP_MS', description: 'Outbox delivery retries: longest backoff' })),
  retryMaxAttempts: setting(
    Type.Integer({
      default: 10,
      minimum: 1,
      env: 'FRAMEWISE_RETRY_MAX_ATTEMPTS',
      description: 'Outbox delivery attempts before an event is dead-lettered (outage errors do not count)',
    }),
  ),
  consumerMaxAttempts: setting(
    Type.Integer({
      default: 5,
      minimum: 1,
      env: 'FRAMEWISE_CONSUMER_MAX_ATTEMPTS',
      description: 'Deliveries of a bus message whose handler keeps failing before it goes to dead_letters (outage errors do not count)',
    }),
  ),
  sentRetentionMs: setting(
    Type.Integer({
      default: 86_400_000,
      minimum: 0,
      env: 'FRAMEWISE_SENT_RETENTION_MS',
      description: 'How long sent outbox events (and their idempotency keys) are kept',
    }),
  ),
  deadRetentionMs: setting(
    Type.Integer({ default: 7 * 86_400_000, minimum: 0, env: 'FRAMEWISE_DEAD_RETENTION_MS', description: 'How long dead letters are kept' }),
  ),
  retentionSweepMs: setting(
    Type.Integer({
      default: 60_000,
      minimum: 100,
      env: 'FRAMEWISE_RETENTION_SWEEP_MS',
      description: 'How often expired outbox events and dead letters are removed',
    }),
  ),
  stallTimeoutMs: setting(
    Type.Integer({
      default: 600_000,
      minimum: 1000,
      env: 'FRAMEWISE_STALL_TIMEOUT_MS',
      description: 'A processing job with no new frame result for this long is driven again (its frames were lost with a worker)',
    }),
  ),
  maxJobDrives: setting(
    Type.Integer({ default: 3, minimum: 0, env: 'FRAMEWISE_MAX_JOB_DRIVES', description: 'Times a stalled job is driven again before it is failed' }),
  ),
  metricsKey: setting(
    Type.Optional(
      Type.String({
        minLength: 16,
        env: 'FRAMEWISE_METRICS_KEY',
        description:
          "A bearer key that GET /metrics then needs (the API's and every worker's: Authorization: Bearer <key>); unset: /metrics answers anyone who reaches the port",
      }),
    ),
  ),
  adminKey: setting(
    Type.Optional(
      Type.String({
        minLength: 16,
        env: 'FRAMEWISE_ADMIN_KEY',
        description:
          'An admin API key (id "admin"), besides FRAMEWISE_API_KEYS; with no key at all, authentication is off and admin routes answer loopback clients only',
      }),
    ),
  ),
  apiKeys: setting(
    Type.Array(ApiKeySchema, {
      default: [],
      env: 'FRAMEWISE_API_KEYS',
      description:
        'API keys (Authorization: Bearer): a JSON array of {"id","role":"client"|"admin","key"} or, instead of "key", "sha256" (hex of the key\'s SHA-256); none (and no FRAMEWISE_ADMIN_KEY): authentication is off',
    }),
  ),
  allowUnauthenticated: setting(
    Type.Boolean({
      default: false,
      env: 'FRAMEWISE_ALLOW_UNAUTHENTICATED',
      description: 'Start the API on a non-loopback address although no API key is configured (anyone who reaches it may upload and read every job)',
    }),
  ),
  sessionSecret: setting(
    Type.Optional(
      Type.String({
        minLength: 32,
        env: 'FRAMEWISE_SESSION_SECRET',
        description:
          "Signs the web page's session cookies (POST /api/session); unset: a random secret per process start (API replicas behind one address need the same one)",
      }),
    ),
  ),
  sessionTtlMs: setting(
    Type.Integer({ default: 12 * 3_600_000, minimum: 60_000, env: 'FRAMEWISE_SESSION_TTL_MS', description: 'How long a web page session cookie is valid' }),
  ),
  requestBuckets: setting(
    Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 63 }), {
        env: 'FRAMEWISE_REQUEST_BUCKETS',
        description:
          'Buckets /api/request may name: comma-separated or a JSON array ([] refuses every request); default: FRAMEWISE_BUCKET. Only FRAMEWISE_BUCKET can be read, so it is the only name the list may hold',
      }),
    ),
  ),
  maxActiveJobsPerKey: setting(
    Type.Integer({
      default: 10,
      minimum: 0,
      env: 'FRAMEWISE_MAX_ACTIVE_JOBS_PER_KEY',
      description:
        'Unfinished jobs (not ready or failed) one API key may have; a new one over it gets 429 with Retry-After. 0 = no limit; none while authentication is off',
    }),
  ),
  resultCacheBytes: setting(
    Type.Integer({
      default: 64 * 1024 ** 2,
      minimum: 0,
      env: 'FRAMEWISE_RESULT_CACHE_BYTES',
      description:
        'Memory the API keeps published results in (most recently read first), so result reads and pages skip the object store; a result over a sixteenth of it (it is held with its whole answer) is streamed on each read. 0 = none',
    }),
  ),
  webhookSecret: setting(
    Type.Optional(
      Type.String({
        minLength: 16,
        env: 'FRAMEWISE_WEBHOOK_SECRET',
        description: 'HMAC-SHA256 key that signs webhook calls (X-Framewise-Signature); unset: calls go unsigned and a warning is logged at start',
      }),
    ),
  ),
  webhookAllowPrivate: setting(
    Type.Boolean({
      default: false,
      env: 'FRAMEWISE_WEBHOOK_ALLOW_PRIVATE',
      description:
        'Call webhooks on loopback, private, link-local and other non-public addresses (a receiver on this machine or its network). Off: a webhook_url naming one is refused at upload (400), and a call whose host resolves only to such addresses fails',
    }),
  ),
  webhookTimeoutMs: setting(
    Type.Integer({
      default: 10_000,
      minimum: 100,
      maximum: 300_000,
      env: 'FRAMEWISE_WEBHOOK_TIMEOUT_MS',
      description: 'Longest a webhook call may take, answer included; longer counts as a failed attempt',
    }),
  ),
  webhookMaxAttempts: setting(
    Type.Integer({
      default: 15,
      minimum: 1,
      env: 'FRAMEWISE_WEBHOOK_MAX_ATTEMPTS',
      description:
        'Webhook call attempts before the notification is dead-lettered (backoff as FRAMEWISE_RETRY_BASE_MS / FRAMEWISE_RETRY_CAP_MS: about half an hour with the defaults)',
    }),
  ),
  webhookConcurrency: setting(
    Type.Integer({
      default: 4,
      minimum: 1,
      maximum: 64,
      env: 'FRAMEWISE_WEBHOOK_CONCURRENCY',
      description: 'Webhook calls in flight at once per notifier (a slow receiver holds up one of them)',
    }),
  ),
  // Cluster mode (the design's (docs/architecture.md) variable names and defaults: a docker-compose network).
  mongoUri: setting(Type.String({ default: 'mongodb://mongo:27017', env: 'MONGO_URI', description: 'Cluster: MongoDB holding main_db (the outbox)' })),
  runnerMongoUri: setting(Type.Optional(Type.String({ env: 'RUNNER_MONGO_URI', description: 'Cluster: MongoDB holding runner_db (default: MONGO_URI)' }))),
  kafkaBootstrapServers: setting(
    Type.String({ default: 'kafka:9092', env: 'KAFKA_BOOTSTRAP_SERVERS', description: 'Cluster: Kafka brokers, comma-separated host:port' }),
  ),
  kafkaPartitions: setting(
    Type.Integer({
      default: 6,
      minimum: 1,
      env: 'FRAMEWISE_KAFKA_PARTITIONS',
      description: 'Cluster: partitions of topics created at start (the ceiling on workers of one group)',
    }),
  ),
  minioEndpoint: setting(
    Type.String({ default: 'minio:9000', env: 'MINIO_ENDPOINT', emptyIsValue: true, description: 'Cluster: S3/MinIO endpoint host:port or URL ("" = AWS S3)' }),
  ),
  minioAccessKey: setting(Type.String({ default: 'minioadmin', env: 'MINIO_ACCESS_KEY', description: 'Cluster: S3 access key' })),
  minioSecretKey: setting(Type.String({ default: 'minioadmin', env: 'MINIO_SECRET_KEY', description: 'Cluster: S3 secret key' })),
  minioSecure: setting(Type.Boolean({ default: false, env: 'MINIO_SECURE', description: 'Cluster: use HTTPS for MINIO_ENDPOINT' })),
  s3Region: setting(Type.String({ default: 'us-east-1', env: 'FRAMEWISE_S3_REGION', description: 'Cluster: S3 region' })),
  runnerPort: setting(
    Type.Integer({ default: 8002, minimum: 0, maximum: 65535, env: 'RUNNER_PORT', description: 'Cluster: runner health port (GET /health)' }),
  ),
  inferencePort: setting(
    Type.Integer({
      default: 8003,
      minimum: 0,
      maximum: 65535,
      env: 'INFERENCE_PORT',
      description: 'Cluster: inference health/stats port (GET /health, /data)',
    }),
  ),
  relayPort: setting(
    Type.Integer({ default: 8004, minimum: 0, maximum: 65535, env: 'RELAY_PORT', description: 'Cluster: relay health/metrics port (GET /health, /metrics)' }),
  ),
  publisherPort: setting(
    Type.Integer({
      default: 8005,
      minimum: 0,
      maximum: 65535,
      env: 'PUBLISHER_PORT',
      description: 'Cluster: result publisher health/metrics port (GET /health, /metrics)',
    }),
  ),
  claimLeaseMs: setting(
    Type.Integer({
      default: 30_000,
      minimum: 100,
      env: 'FRAMEWISE_CLAIM_LEASE_MS',
      description: 'How long a relay/publisher holds claimed outbox work; work of a process that died is claimed again after it',
    }),
  ),
  logLevel: setting(
    Type.Union(
      [
        Type.Literal('fatal'),
        Type.Literal('error'),
        Type.Literal('warn'),
        Type.Literal('info'),
        Type.Literal('debug'),
        Type.Literal('trace'),
        Type.Literal('silent'),
      ],
      { default: 'info', env: 'FRAMEWISE_LOG_LEVEL', description: 'Log level' },
    ),
  ),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

interface SettingDoc {
  key: string;
  env: string;
  default: unknown;
  description: string;
  /**
   * The empty string is a value of its own (`MINIO_ENDPOINT=""`: AWS S3), not "unset". Elsewhere
   * an empty variable means the default, as a shell's `VAR=` usually intends.
   */
  emptyIsValue?: boolean;
}

export function describeConfig(): SettingDoc[] {
  return Object.entries(ConfigSchema.properties).map(([key, s]) => {
    const schema = s as unknown as { env: string; default?: unknown; description: string; emptyIsValue?: boolean };
    return { key, env: schema.env, default: schema.default, description: schema.description, ...(schema.emptyIsValue ? { emptyIsValue: true } : {}) };
  });
}

/**
 * Builds the config: defaults, then environment variables, then `overrides` (CLI flags).
 * Throws `ConfigError` naming each invalid setting.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const doc of describeConfig()) {
    const fromEnv = env[doc.env];
    if (fromEnv === undefined || (fromEnv === '' && !doc.emptyIsValue)) continue;
    raw[doc.key] = fromEnv === '' ? '' : parseEnvValue(fromEnv, doc.key);
  }
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) raw[k] = v;
  const value = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, raw));
  const errors = [...Value.Errors(ConfigSchema, value)];
  if (errors.length > 0) {
    const envOf = new Map(describeConfig().map((d) => [d.key, d.env]));
    const lines = errors.map((e) => {
      const key = e.instancePath.replace(/^\//, '');
      return `${key} (${envOf.get(key.split('/')[0]!) ?? '?'}): ${e.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${[...new Set(lines)].join('\n  ')}`);
  }
  const config = value as Config;
  if (config.blurKsize % 2 === 0) throw new ConfigError(`invalid configuration:\n  blurKsize (FRAMEWISE_BLUR_KSIZE): must be odd`);
  const names = modelNames(config);
  const taken = config.models.find((m) => isBundledModel(m.name));
  if (taken)
    throw new ConfigError(`invalid configuration:\n  models (FRAMEWISE_MODELS): "${taken.name}" is a bundled model's name (${BUNDLED_MODELS.join(', ')})`);
  if (new Set(names).size !== names.length) throw new ConfigError(`invalid configuration:\n  models (FRAMEWISE_MODELS): names must be unique`);
  if (names.length === 0)
    throw new ConfigError(
      `invalid configuration:\n  bundledModels (FRAMEWISE_BUNDLED_MODELS): no bundled model and no FRAMEWISE_MODELS: jobs would have no detector`,
    );
  if (!names.includes(config.defaultModel)) {
    throw new ConfigError(`invalid configuration:\n  defaultModel (FRAMEWISE_DEFAULT_MODEL): "${config.defaultModel}" is not a model (${names.join(', ')})`);
  }
  checkApiKeys(config);
  const foreign = (config.requestBuckets ?? []).filter((b) => b !== config.bucket);
  if (foreign.length > 0) {
    throw new ConfigError(
      `invalid configuration:\n  requestBuckets (FRAMEWISE_REQUEST_BUCKETS): ${foreign.join(', ')}: the object store reads only FRAMEWISE_BUCKET (${config.bucket})`,
    );
  }
  return config;
}

/** Each key: `key` or `sha256`, not both; ids unique (`admin` is FRAMEWISE_ADMIN_KEY's); no key twice. */
function checkApiKeys(config: Config): void {
  const fail = (why: string) => {
    throw new ConfigError(`invalid configuration:\n  apiKeys (FRAMEWISE_API_KEYS): ${why}`);
  };
  const ids = config.apiKeys.map((k) => k.id);
  if (config.adminKey !== undefined) ids.push('admin');
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined)
    fail(`id "${twice}" is used twice${twice === 'admin' && config.adminKey !== undefined ? ' (FRAMEWISE_ADMIN_KEY is the key with id "admin")' : ''}`);
  if (ids.includes('anonymous')) fail('id "anonymous" is reserved (the principal while authentication is off)');
  const digests: string[] = [];
  for (const k of config.apiKeys) {
    if ((k.key === undefined) === (k.sha256 === undefined)) fail(`key "${k.id}" needs exactly one of "key" and "sha256"`);
    digests.push(k.sha256?.toLowerCase() ?? createHash('sha256').update(k.key!).digest('hex'));
  }
  if (config.adminKey !== undefined) digests.push(createHash('sha256').update(config.adminKey).digest('hex'));
  if (new Set(digests).size !== digests.length) fail('two ids have the same key');
}

/** Every model a job may choose: the bundled ones served here first, then FRAMEWISE_MODELS. */
export const modelNames = (config: Pick<Config, 'models' | 'bundledModels'>): string[] => [...config.bundledModels, ...config.models.map((m) => m.name)];

function parseEnvValue(v: string, key: string): unknown {
  if ((key === 'requestBuckets' || key === 'bundledModels') && !v.trim().startsWith('['))
    return v
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
  if (key === 'models' || key === 'apiKeys' || key === 'requestBuckets' || key === 'bundledModels') {
    try {
      return JSON.parse(v);
    } catch (err) {
      const env = describeConfig().find((d) => d.key === key)!.env;
      // Not the parser's message for keys: it quotes the text, and FRAMEWISE_API_KEYS holds secrets.
      throw new ConfigError(`invalid configuration:\n  ${key} (${env}): not JSON${key === 'apiKeys' ? '' : `: ${(err as Error).message}`}`);
    }
  }
  const lower = v.toLowerCase();
  if (['true', 'on', 'yes'].includes(lower)) return true;
  if (['false', 'off', 'no'].includes(lower)) return false;
  return v;
}
