/** Bus topics and consumer groups, as the design names them. */
export const TOPICS = {
  outboxEvents: 'outbox_events',
  inferenceTasks: 'inference_tasks',
  inferenceResults: 'inference_results',
  deadLetters: 'dead_letters',
} as const;

export const GROUPS = {
  runner: 'runner-group',
  inference: 'inference-group',
  collector: 'collector-group',
} as const;
