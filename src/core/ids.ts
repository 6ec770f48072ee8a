import { randomUUID } from 'node:crypto';
import { FramewiseError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** A new event id (UUID v4): server-made, so object keys never carry client input. */
export function newEventId(): string {
  return randomUUID();
}

/** Validates an event id from a client before any lookup; lower-cases it. */
export function parseEventId(raw: string): string {
  if (!UUID.test(raw)) throw new FramewiseError('ERR_JOB_ID_MALFORMED', JSON.stringify(raw.slice(0, 80)));
  return raw.toLowerCase();
}

export const inputKey = (id: string, ext: string) => `input/${id}.${ext}`;
export const detectionKey = (id: string) => `detection/${id}.json`;
/** The job's annotated video (boxes, labels and track ids drawn), beside its detections. */
export const annotatedKey = (id: string) => `detection/${id}.mp4`;
/**
 * What the extraction of segment `segment` (0 for a video read whole) found damaged (a
 * `DamageReport`), for the result publisher: beside the detections, so that it goes where they go.
 */
export const damageKey = (id: string, segment: number) => `detection/${id}.damage-${segment}.json`;
