import type { FastifyRequest } from 'fastify';
import { FramewiseError } from '../../core/errors.js';
import { principalOf } from './auth.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * A preHandler for admin routes (`/api/cleanup/all`, `/api/admin/*`). With API keys configured the
 * principal must have the role `admin` (a client gets 403 `ERR_AUTH_FORBIDDEN`; no key was already
 * refused by authentication); with none, only loopback clients pass — the embedded default, where
 * the operator is on the machine (the socket's address: no proxy header can fake it).
 */
export async function adminOnly(req: FastifyRequest): Promise<void> {
  const principal = principalOf(req);
  if (!principal.authenticated) {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) throw new FramewiseError('ERR_AUTH_ADMIN_ONLY');
    return;
  }
  if (principal.role !== 'admin') throw new FramewiseError('ERR_AUTH_FORBIDDEN', principal.keyId);
}
