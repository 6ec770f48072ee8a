import type { FastifySchemaValidationError, RouteOptions } from 'fastify';
import Type from 'typebox';

/**
 * Strict requests: what a route's schemas do not declare is refused, never silently dropped. An
 * unknown query parameter or body field is a 400 `ERR_REQUEST_INVALID` that names it, so a typo
 * (`?min_confidence=0.9`) is an error the client sees, not a filter that quietly did nothing.
 *
 * Fastify's Ajv strips undeclared properties by default (`removeAdditional`); `AJV_OPTIONS` turns
 * that off, the request schemas say `additionalProperties: false`, and `declareNoQuery` gives the
 * API routes that take no query parameters a schema that says so. Type coercion stays on: query
 * strings and form-like values arrive as text.
 */
export const AJV_OPTIONS = { removeAdditional: false } as const;

/** The query of a route that takes none. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

/** `onRoute` hook: an `/api` route without a query schema takes no query parameters. */
export function declareNoQuery(route: RouteOptions): void {
  if (!route.url.startsWith('/api')) return;
  if (route.schema?.querystring) return;
  route.schema = { ...route.schema, querystring: NoQuery };
}

/** Validation errors → one message, naming unknown parameters and fields (Ajv only says "additional properties"). */
export function schemaErrorFormatter(errors: FastifySchemaValidationError[], dataVar: 'body' | 'headers' | 'params' | 'querystring'): Error {
  const what = dataVar === 'body' ? 'field' : dataVar === 'headers' ? 'header' : 'parameter';
  const parts = errors.map((e) => {
    const unknown = (e.params as { additionalProperty?: unknown } | undefined)?.additionalProperty;
    if (e.keyword === 'additionalProperties' && typeof unknown === 'string')
      return `${dataVar}${e.instancePath}: unknown ${what} ${JSON.stringify(unknown.slice(0, 100))}`;
    return `${dataVar}${e.instancePath} ${e.message ?? 'is invalid'}`;
  });
  return new Error(parts.join(', '));
}
