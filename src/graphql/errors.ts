import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { isDatabaseUnavailable } from '../db/faults';
import type { Logger } from '../logger';

/**
 * The closed set of error codes (DESIGN §5, README "Errors"). Clients and tests match on these,
 * never on messages. Apollo's own codes are included so that the list is complete in one place:
 * GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT, INTERNAL_SERVER_ERROR, and for
 * requests refused before any GraphQL work, BAD_REQUEST (malformed HTTP request: batch, CSRF,
 * JSON, a mutation over GET), OPERATION_RESOLUTION_FAILURE (which operation of the document to run
 * is unclear) and PERSISTED_QUERY_NOT_SUPPORTED (automatic persisted queries are off).
 */
export const ERROR_CODES = [
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'INTERNAL_SERVER_ERROR',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'QUERY_TOO_COMPLEX',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** An error whose message is meant for the client; `extensions.code` is from ERROR_CODES. */
export class HubError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extra } });
  }
}

/**
 * The database cannot serve now (down, restarting, connection lost, statement timeout): HTTP 503,
 * and the client should try again shortly. Never a hang, never INTERNAL_SERVER_ERROR.
 */
export const serviceUnavailable = (why = 'the database is unavailable; try again shortly') =>
  new HubError('SERVICE_UNAVAILABLE', why, { http: { status: 503 } });

/** Bad arguments: unknown codes, malformed periods, oversized lists. */
export const badInput = (message: string, extra?: Record<string, unknown>) => new HubError('BAD_USER_INPUT', message, extra);

/**
 * The one error formatter: errors the hub raised on purpose (HubError, and Apollo's and
 * graphql-js's own parse/validation errors) pass as they are; anything else is an internal
 * fault whose message and stack could reveal internals (SQL, table names), so the client gets a
 * generic message and the log gets the detail.
 */
export function createErrorFormatter(log: Logger, { hideSuggestions = false } = {}) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    // Apollo's hideSchemaDetailsFromClientErrors covers validation; graphql-js's coercion of
    // variables (a misspelt enum value or input field) suggests schema names too.
    if (hideSuggestions) formatted = { ...formatted, message: formatted.message.replace(/\s*Did you mean [^]*$/, '') };
    const original = unwrapResolverError(error);
    // A limit rule's HubError (src/graphql/limits.ts) arrives wrapped in Apollo's validation
    // error, whose code GRAPHQL_VALIDATION_FAILED overrides ours: the HubError's code wins.
    if (error instanceof GraphQLError && error.originalError instanceof HubError && error.originalError !== original) {
      const { stacktrace: _omit, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions: { ...extensions, ...error.originalError.extensions } };
    }
    const code = formatted.extensions?.code as string | undefined;
    if (original instanceof HubError || (code && code !== 'INTERNAL_SERVER_ERROR' && (ERROR_CODES as readonly string[]).includes(code))) {
      const { stacktrace: _omit, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    if (isDatabaseUnavailable(original)) {
      // Expected while Postgres restarts: one warning line, no stack.
      log.warn('database unavailable', { err: original instanceof Error ? original.message : String(original), path: formatted.path });
      const { message, extensions } = serviceUnavailable();
      return { message, locations: formatted.locations, path: formatted.path, extensions: { code: extensions.code } };
    }
    log.error('internal error', { err: original instanceof Error ? original.stack : String(original), path: formatted.path });
    return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/**
 * Refuses text that PostgreSQL cannot store or compare: the NUL character (U+0000) is invalid in
 * `text`, and the driver's error would surface as a 500 after a statement had already been sent.
 * Walks strings, arrays and plain objects (GraphQL variables, an export's query string); `extra`
 * goes into the error's extensions (e.g. Apollo's HTTP status).
 */
export function rejectNulText(value: unknown, extra?: Record<string, unknown>): void {
  if (!containsNul(value)) return;
  throw badInput('text must not contain the NUL character (U+0000)', extra);
}

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === 'object') return Object.entries(value).some(([k, v]) => containsNul(k) || containsNul(v));
  return false;
}

/** Text input that must say something: trimmed, or BAD_USER_INPUT naming the argument. */
export function requiredText(argument: string, text: string): string {
  const trimmed = text.trim();
  if (!trimmed) throw badInput(`"${argument}" must not be blank`, { argument });
  return trimmed;
}

/** A row the viewer cannot see, or that does not exist: the two are indistinguishable (DESIGN §5). */
export const notFound = (what: string) => new HubError('NOT_FOUND', `${what} not found`);

/** A visible thing the viewer may not read in full or may not change. */
export const forbidden = (why: string) => new HubError('FORBIDDEN', why);

/** A change that contradicts the current state (e.g. approving a revoked agreement). */
export const conflict = (why: string) => new HubError('CONFLICT', why);

/** HTTP status of a REST endpoint's error (exports, uploads) by its code; anything else is 500. */
const HTTP_STATUS: Record<string, number> = { BAD_USER_INPUT: 400, UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, QUERY_TOO_COMPLEX: 413, RATE_LIMITED: 429, SERVICE_UNAVAILABLE: 503 };

/** The one formatter of a hub's errors: built once in createHub, shared by /graphql, /export and /import. */
export type ErrorFormatter = ReturnType<typeof createErrorFormatter>;

/**
 * A REST endpoint's error as GraphQL shapes it (`{ errors: [{ message, extensions: { code } }] }`)
 * with its HTTP status, through the one formatter (internals hidden, faults logged).
 */
export function restError(format: ErrorFormatter, err: unknown): { status: number; body: { errors: GraphQLFormattedError[] } } {
  const formatted = format(err instanceof GraphQLError ? err.toJSON() : { message: String(err) }, err);
  const { http: _status, ...extensions } = formatted.extensions ?? {};
  return { status: HTTP_STATUS[String(extensions.code)] ?? 500, body: { errors: [{ message: formatted.message, extensions }] } };
}
