import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
export const INFRA = fileURLToPath(new URL('../../scripts/infra/', import.meta.url));

/** Endpoints of the servers `scripts/infra/up.sh` starts on 127.0.0.1 (overridable by env). */
export const ENDPOINTS = {
  kafka: process.env.KAFKA_BOOTSTRAP_SERVERS ?? '127.0.0.1:9092',
  mongo: process.env.MONGO_URI ?? 'mongodb://127.0.0.1:27017',
  minio: process.env.MINIO_ENDPOINT ?? '127.0.0.1:9000',
};

/** Starts (installing if needed) Kafka, MinIO and the MongoDB-protocol server; idempotent. */
export async function infraUp(): Promise<void> {
  await run('bash', [`${INFRA}up.sh`], { timeout: 45 * 60_000, maxBuffer: 64 * 1024 * 1024 });
}

/** Runs `scripts/infra/<server>.sh <action>` (outage tests stop and start servers). */
export async function infra(server: 'kafka' | 'minio' | 'mongo', action: 'start' | 'stop' | 'restart'): Promise<void> {
  await run('bash', [`${INFRA}${server}.sh`, action], { timeout: 10 * 60_000 });
}
