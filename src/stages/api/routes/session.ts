import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ErrorBody } from '../schemas.js';
import { endSession, principalOf, startSession, type KeyRing, type SessionOptions } from '../auth.js';

const SessionBody = Type.Object({
  authenticated: Type.Boolean({ description: 'false: the server has no API keys (authentication is off) and the caller acts anonymously' }),
  key_id: Type.String({ description: 'The id of the caller’s key (`anonymous` while authentication is off)' }),
  role: Type.Union([Type.Literal('client'), Type.Literal('admin')]),
  expires_at: Type.Optional(Type.String({ format: 'date-time', description: 'When the session cookie just set expires' })),
});

const LoggedOut = Type.Object({ status: Type.Literal('ok') });

/**
 * The web page's session: what `EventSource` and `<video src>` use, since they cannot send an
 * `Authorization` header. `POST /api/session` with the key sets an HttpOnly, SameSite=Strict
 * cookie holding a signed, expiring session for the key's id; the cookie is honoured on GET and
 * HEAD requests only (see `registerAuth`). `GET` tells who the caller is; `DELETE` ends the session.
 */
export const sessionRoutes: FastifyPluginAsync<{ ring: KeyRing; session: SessionOptions }> = async (fastify, { ring, session }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const describe = (p: { keyId: string; role: 'client' | 'admin'; authenticated: boolean }) => ({
    authenticated: p.authenticated,
    key_id: p.keyId,
    role: p.role,
  });

  app.post(
    '/api/session',
    {
      schema: {
        description:
          'Start a session for the web page: send the API key as `Authorization: Bearer <key>`; the answer sets the session cookie (none while authentication is off).',
        response: { 200: SessionBody, 401: ErrorBody, 500: ErrorBody },
      },
    },
    async (req, reply) => {
      const principal = principalOf(req);
      if (!principal.authenticated) return describe(principal);
      const expires = startSession(req, reply, ring, session, principal);
      req.log.info({ key_id: principal.keyId }, 'session started');
      return { ...describe(principal), expires_at: expires.toISOString() };
    },
  );

  app.get(
    '/api/session',
    {
      schema: {
        description: 'Who the caller is: its key’s id and role (by its `Authorization` header or session cookie).',
        response: { 200: SessionBody, 401: ErrorBody, 500: ErrorBody },
      },
    },
    async (req) => describe(principalOf(req)),
  );

  app.delete(
    '/api/session',
    { config: { auth: 'public' }, schema: { description: 'End the web page’s session (clears the cookie).', response: { 200: LoggedOut, 500: ErrorBody } } },
    async (_req, reply) => {
      endSession(reply);
      return { status: 'ok' as const };
    },
  );
};
