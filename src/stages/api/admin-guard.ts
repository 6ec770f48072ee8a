import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { FramewiseError } from '../../core/errors.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * A preHandler for admin routes. With an admin key configured, the request must carry it as a
 * bearer token (compared in constant time, on digests so the length leaks nothing either); without
 * one, only loopback clients pass — the embedded default, where the operator is on the machine.
 */
export function adminGuard(adminKey: string | undefined) {
  const expected = adminKey !== undefined ? digest(adminKey) : undefined;
  return async (req: FastifyRequest) => {
    if (!expected) {
      if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) throw new FramewiseError('ERR_AUTH_ADMIN_ONLY');
      return;
    }
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) throw new FramewiseError('ERR_AUTH_ADMIN_KEY');
  };
}
