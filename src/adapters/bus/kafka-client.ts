/**
 * The Kafka producer's library, by Node.js version: @platformatic/kafka 2.x on Node ≥ 22 (the line
 * that needs it: `Promise.withResolvers` and more), 1.x on Node 20, the last line that runs there.
 * Both come from the lockfile (2.x under the alias `platformatic-kafka-2`); their producer API is
 * the same, so 1.x's types describe both. Consumers and the admin client stay on 1.x everywhere:
 * 2.x's consumer, on this project's contract suite, redelivered a message committed just before
 * `close` to the group's next member (a commit not flushed by close) and left a test file hanging,
 * so it is not taken until that is understood.
 *
 * Why 2.x where it runs: its idempotent producer numbers a batch when it is sent, so concurrent
 * sends to one partition all land (upstream #326). 1.x numbers it when the broker answers: two
 * concurrent sends carry one sequence number, the broker keeps the first and acknowledges the second
 * as its duplicate (silently dropped), and every later send to that partition then fails with
 * OUT_OF_ORDER_SEQUENCE_NUMBER until the process restarts (upstream #326, #309). Measured on this
 * project's Kafka 4.1.2, 300 single-message sends in waves of 50 concurrent ones: 1.35.0 idempotent
 * 3 distinct offsets and 250 failures (on Node 20 and 24 alike); 2.12.1 idempotent on Node 24, 300
 * distinct offsets; both non-idempotent, 300.
 */
import * as KafkaV1 from '@platformatic/kafka';

const nodeMajor = Number(process.versions.node.split('.')[0]);

/** Whether this process's producer library keeps idempotence safe under concurrent sends. */
export const idempotentProducer = nodeMajor >= 22;

/** The producer class: 2.x's where `idempotentProducer`, else 1.x's. */
export const KafkaProducer: typeof KafkaV1.Producer = idempotentProducer
  ? ((await import('platformatic-kafka-2')) as unknown as typeof KafkaV1).Producer
  : KafkaV1.Producer;

/** The producer's library and line, for the start-up log. */
export const producerClientName = `@platformatic/kafka ${idempotentProducer ? '2.x' : '1.x'}`;
