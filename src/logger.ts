import pino from 'pino';
import type { LogLevel } from './config';

/**
 * The hub's logger: structured JSON lines on stderr (pino), one object per line, so that log
 * shippers read them as they are. The interface is deliberately small — a message and flat
 * fields — so that call sites do not depend on pino. Never pass tokens, keys or passwords in
 * `fields`; the redaction below is the second line of defence, not the first.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Field names whose values never reach a log line, at the top level and where a request or config
 * object would carry them: the censor replaces them wherever a caller put them by mistake. Named
 * paths rather than wildcards (`*.token`): pino's wildcard redaction costs about 60 µs a line,
 * more than the rest of the line (measured here).
 */
const SECRET_FIELDS = ['authorization', 'cookie', 'token', 'apiKey', 'api_key', 'password', 'secret', 'metricsToken', 'databaseUrl'];
export const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...['headers', 'req.headers'].flatMap((h) => [`${h}.authorization`, `${h}.cookie`]),
  ...['config', 'credentials'].flatMap((o) => SECRET_FIELDS.map((f) => `${o}.${f}`)),
];

/** Where log lines go: stderr by default; tests pass an object with `write(line)`. */
export type LogDestination = pino.DestinationStream;

export function createLogger(level: LogLevel, destination: LogDestination = pino.destination({ dest: 2, sync: true })): Logger {
  const log = pino(
    {
      level,
      // `"level":"info"` rather than pino's numbers, and ISO times: read by people as much as by machines.
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination,
  );
  const emit = (at: LogLevel) => (msg: string, fields?: Record<string, unknown>) => (fields ? log[at](fields, msg) : log[at](msg));
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** A logger that drops everything: for tests that do not look at logs. */
export const silentLogger: Logger = createLogger('error', { write: () => undefined });
