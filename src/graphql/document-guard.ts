import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { createHash } from 'node:crypto';
import { BREAK, GraphQLError, Kind, Lexer, NoFragmentCyclesRule, parse, Source, syntaxError, TokenKind, validate, visit, type DocumentNode, type GraphQLSchema, type ValidationContext, type ValidationRule } from 'graphql';
import type express from 'express';
import { noteErrorCode } from '../http/request-log';
import type { HubSettings } from './context';
import { HubError, type ErrorFormatter } from './errors';

/**
 * How often one selection set may name the same field (the same response key) before the
 * document is refused. Writing a field twice is legal GraphQL and merges into one; writing it
 * hundreds of times is only ever an attack (OWASP "field duplication"): graphql-js compares such
 * fields pairwise, and spends milliseconds before its own budget gives up.
 */
export const MAX_FIELD_REPEATS = 10;
/** Most query texts whose verdict is remembered (least recently used go first), by their SHA-256 (as Apollo keys its document cache): the memory stays small whatever their length. */
const REMEMBERED = 1_000;

/** A rejected document: QUERY_TOO_COMPLEX naming the limit (HTTP 400). */
export function tooComplex(limit: string, message: string, extra: Record<string, unknown> = {}): HubError {
  return new HubError('QUERY_TOO_COMPLEX', message, { limit, ...extra });
}

/** GraphQL Armor's rules report through the validation context instead of throwing. */
const reportAs = (limit: string) => ({
  propagateOnRejection: false,
  onReject: [(ctx: ValidationContext | null, err: GraphQLError) => ctx?.reportError(tooComplex(limit, err.message.replace(/^Syntax Error: /, '')))],
});

/**
 * The first selection set that names one response key more than MAX_FIELD_REPEATS times, as a
 * refusal; undefined if none does. A plain walk of the syntax tree, without the schema: it runs
 * before the rules that need one, so that a document of a thousand repeats is refused by the
 * cheapest pass that can see it.
 */
function repeatedField(document: DocumentNode): HubError | undefined {
  let refusal: HubError | undefined;
  visit(document, {
    SelectionSet(node) {
      const seen = new Map<string, number>();
      for (const selection of node.selections) {
        if (selection.kind !== Kind.FIELD) continue;
        const key = selection.alias?.value ?? selection.name.value;
        const n = (seen.get(key) ?? 0) + 1;
        if (n > MAX_FIELD_REPEATS) {
          refusal = tooComplex('repeats', `the field "${key}" is selected ${n} times or more in one selection set; at most ${MAX_FIELD_REPEATS} are allowed`, { max: MAX_FIELD_REPEATS });
          return BREAK;
        }
        seen.set(key, n);
      }
      return undefined;
    },
  });
  return refusal;
}

/**
 * The parser's own refusal of a document over `max` lexical tokens, found by the lexer alone: the
 * parser builds the tree as it reads and so spends about three times as long reaching the same
 * token. A text of at most `max` characters cannot hold more than `max` tokens and is not lexed
 * twice. Lexical errors throw, as from parse().
 */
function overTokenLimit(source: Source, max: number): GraphQLError | undefined {
  if (source.body.length <= max) return undefined;
  const lexer = new Lexer(source);
  for (let n = 0; lexer.advance().kind !== TokenKind.EOF; ) {
    if (++n > max) return syntaxError(source, lexer.token.start, `Document contains more that ${max} tokens. Parsing aborted.`);
  }
  return undefined;
}

/** An error with `code`, located where `at` is, that keeps no reference to the query text (verdicts are remembered). */
function withoutText(message: string, code: string, at: GraphQLError): GraphQLError {
  const source = at.source ?? at.nodes?.[0]?.loc?.source;
  const positions = at.positions ?? at.nodes?.flatMap((n) => (n.loc ? [n.loc.start] : []));
  return Object.assign(new GraphQLError(message, { source, positions, extensions: { code } }), { source: undefined });
}

/**
 * The shape limits of a document (README "Limits"), judged before Apollo parses and validates it,
 * so that an abusive document costs one linear pass and no more:
 * - lexical tokens: graphql-js's own parser limit → GRAPHQL_PARSE_FAILED, as Apollo reports a syntax error;
 * - field repeats (a walk of the syntax tree), then depth, aliases, directives (GraphQL Armor's
 *   validation rules) → QUERY_TOO_COMPLEX with `extensions.limit`;
 * - cycles of fragments (the specification's rule) → GRAPHQL_VALIDATION_FAILED, as Apollo says it.
 * Only these rules run here; the rules of the GraphQL specification run in Apollo afterwards (a
 * document that passes here is parsed and validated there once, then served from Apollo's cache).
 * Verdicts are remembered per query text, the refusals too: a client that repeats an abusive
 * document pays a map lookup, like a dashboard that repeats its query.
 */
export class DocumentGuard {
  private readonly rules: ValidationRule[];
  private readonly verdicts = new Map<string, readonly GraphQLError[] | null>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly settings: Pick<HubSettings, 'maxTokens' | 'maxDepth' | 'maxAliases' | 'maxDirectives'>,
  ) {
    this.rules = [
      maxDepthRule({ n: settings.maxDepth, ignoreIntrospection: true, ...reportAs('depth') }),
      maxAliasesRule({ n: settings.maxAliases, ...reportAs('aliases') }),
      maxDirectivesRule({ n: settings.maxDirectives, ...reportAs('directives') }),
      // One rule of the specification, for an OWASP case: a cycle of fragments is refused (and
      // remembered) here; Apollo's validation, where it runs again, would refuse it each time.
      NoFragmentCyclesRule,
    ];
  }

  /** The errors that refuse `query`, or null when its shape is within the limits. */
  judge(query: string): readonly GraphQLError[] | null {
    const key = createHash('sha256').update(query).digest('base64');
    const known = this.verdicts.get(key);
    if (known !== undefined) {
      this.verdicts.delete(key); // most recently used goes last
      this.verdicts.set(key, known);
      return known;
    }
    const verdict = this.check(query);
    // Without the stack trace that each error captured where it was made: a refusal is the
    // client's error and nobody reads it, and V8 keeps a captured stack as the frames' objects
    // until it is read. Remembered, those made every scavenge of the young generation 6× as long
    // under a stream of new refused texts (9.5 against 1.6 ms, measured with --trace-gc), and so
    // a refusal's p99 2.3–2.6× that of `{ __typename }` (npm run bench:reject, README).
    for (const error of verdict ?? []) error.stack = `${error.name}: ${error.message}`;
    if (this.verdicts.size >= REMEMBERED) this.verdicts.delete(this.verdicts.keys().next().value as string);
    this.verdicts.set(key, verdict);
    return verdict;
  }

  private check(query: string): readonly GraphQLError[] | null {
    let document;
    try {
      const source = new Source(query);
      const tooMany = overTokenLimit(source, this.settings.maxTokens);
      if (tooMany) throw tooMany;
      // Without locations: a tree with them holds every token of the text until it is dropped,
      // which for a long document is most of the garbage of its request. Only the errors of the
      // specification's rule need them, and get them below.
      document = parse(source, { maxTokens: this.settings.maxTokens, noLocation: true });
    } catch (err) {
      // As Apollo reports a syntax error (its SyntaxError class): the parser's message and position.
      // Nesting deep enough to exhaust the stack (a RangeError, within the token limit) is one too.
      // A remembered verdict keeps no query text: the error's locations are computed, its source dropped.
      if (err instanceof GraphQLError) return [withoutText(err.message, 'GRAPHQL_PARSE_FAILED', err)];
      if (err instanceof RangeError) return [new GraphQLError(`Syntax Error: the document is nested too deeply to parse (${err.message})`, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
      throw err;
    }
    const repeated = repeatedField(document);
    if (repeated) return [repeated];
    let errors = validate(this.schema, document, this.rules);
    if (!errors.length) return null;
    // A rule of the specification's error carries no code: Apollo's own for it and, as Apollo
    // reports it, its locations (the document parsed again, with them; the query text dropped).
    if (errors.some((e) => !e.extensions.code)) errors = validate(this.schema, parse(query, { maxTokens: this.settings.maxTokens }), this.rules);
    return errors.map((e) => (e.extensions.code ? e : withoutText(e.message, 'GRAPHQL_VALIDATION_FAILED', e)));
  }

  /**
   * Express middleware in front of Apollo on /graphql: answers a refused document with HTTP 400
   * and the formatted errors (content type as Apollo would choose it); passes everything else on,
   * including what is not a single operation with a query text (Apollo refuses those itself).
   */
  middleware(formatError: ErrorFormatter): express.RequestHandler {
    return (req, res, next) => {
      const query = req.method === 'GET' ? (req.query as Record<string, unknown>).query : (req.body as Record<string, unknown> | undefined)?.query;
      if (typeof query !== 'string') return next(); // a batch (an array) has no \`query\`: Apollo refuses it
      const refusal = this.judge(query);
      if (!refusal) return next();
      const type = req.accepts(['application/json', 'application/graphql-response+json']);
      if (!type) return next(); // Apollo answers 406
      const errors = refusal.map((error) => formatError(error.toJSON(), error));
      for (const error of errors) noteErrorCode(res, String(error.extensions?.code));
      res.status(400).type(`${type}; charset=utf-8`).send(JSON.stringify({ errors }));
    };
  }
}
