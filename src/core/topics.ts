/** Bus topics and consumer groups, as the design (docs/architecture.md) names them. */
export const TOPICS = {
  outboxEvents: 'outbox_events',
  inferenceTasks: 'inference_tasks',
  inferenceResults: 'inference_results',
  /** A long video's segments (`core/segments.ts`), each extracted by whichever runner takes it. */
  videoSegments: 'video_segments',
  deadLetters: 'dead_letters',
} as const;

export const GROUPS = {
  runner: 'runner-group',
  inference: 'inference-group',
  collector: 'collector-group',
  segmentRunner: 'segment-runner-group',
} as const;
