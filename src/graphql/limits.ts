import { HeaderMap, type ApolloServerOptions, type ApolloServerPlugin } from '@apollo/server';
import { getNamedType, getNullableType, GraphQLError, isLeafType, isListType, Kind, visit, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getComplexity, type ComplexityEstimatorArgs } from 'graphql-query-complexity';
import type { HubSettings, RequestContext } from './context';
import { tooComplex } from './document-guard';
import { rejectNulText } from './errors';

/**
 * Assumed length of a list whose length the request does not tell (README "Limits"): e.g.
 * `Region.children` (a Land has 14 Kreise) or `organizations`.
 */
const DEFAULT_LIST_SIZE = 10;

/**
 * The field cost of one field (README "Limits"): 1 for a field, plus what is selected below it.
 * Lists multiply their selection by their expected length: the product of the lengths of their
 * list arguments (e.g. `regions(codes: [3 codes])` → 3) or their `first`, else DEFAULT_LIST_SIZE. A connection
 * multiplies by its `first`; its `edges` list then counts once (the page is already counted). A
 * list of scalars (a series' `values`) costs 1: its length is what the cell limit of the series
 * service counts. Introspection (`__schema`, `__type`, `__typename`) is free: the schema is
 * public and bounded.
 */
function fieldCost({ type: parent, field, args, childComplexity }: ComplexityEstimatorArgs): number {
  if (field.name.startsWith('__')) return 0;
  const type = getNullableType(field.type);
  if (!isListType(type)) return 1 + (typeof args.first === 'number' ? Math.max(args.first, 1) : 1) * childComplexity;
  if (isLeafType(getNamedType(type))) return 1;
  if (parent.name.endsWith('Connection')) return 1 + childComplexity;
  return listSize(args) * (1 + childComplexity);
}

function listSize(args: Record<string, unknown>): number {
  if (typeof args.first === 'number') return Math.max(args.first, 1);
  const lists = Object.values(args).filter(Array.isArray);
  return lists.length ? lists.reduce((n, list) => n * Math.max(list.length, 1), 1) : DEFAULT_LIST_SIZE;
}

/** Apollo's HTTP status for an error thrown from a plugin hook (400, not 500); Apollo does not send it to the client. */
const status400 = () => ({ http: { status: 400, headers: new HeaderMap() } });

/**
 * The string literals of a document, where a NUL character could hide as `\u0000`; remembered per
 * parsed document (Apollo's document cache hands out the same object for the same query text), as
 * a dashboard sends the same query again and again and a walk of it costs a visit per node.
 */
const literalsOf = new WeakMap<DocumentNode, string[]>();
function stringLiterals(document: DocumentNode): string[] {
  let out = literalsOf.get(document);
  if (!out) {
    const found: string[] = [];
    visit(document, { [Kind.STRING]: (node) => void found.push(node.value) });
    literalsOf.set(document, (out = found));
  }
  return out;
}

/** Longest key (operation name and variables as JSON) whose cost is remembered. */
const COST_CACHE_KEY_MAX = 2_048;
/** Most variable sets remembered per document; the set starts over when full. */
const COST_CACHE_PER_DOCUMENT = 100;

/**
 * The field cost limit for the whole schema (issue 4, item 6), beside the cell limit that the
 * series service applies to series data:
 * - the document's shape (tokens, depth, aliases, directives, field repeats): DocumentGuard
 *   (src/graphql/document-guard.ts), in front of Apollo; Apollo's parser keeps the same token
 *   limit, so a document that reaches it unjudged is bounded too;
 * - cost: graphql-query-complexity with `fieldCost`, computed once the operation is known, with
 *   the request's variables (so a code list in a variable counts by its length) → QUERY_TOO_COMPLEX
 *   (HTTP 400) with `extensions.cost` and `extensions.max`;
 * - "Did you mean …" suggestions of schema names are left out of errors when `hideSuggestions`;
 * - text with a NUL character (U+0000), in variables or literals → BAD_USER_INPUT (HTTP 400).
 * All limits come from HubSettings (QUERY_MAX_* in src/config.ts).
 */
export function queryLimits(
  schema: GraphQLSchema,
  settings: HubSettings,
): Pick<ApolloServerOptions<RequestContext>, 'parseOptions' | 'hideSchemaDetailsFromClientErrors'> & { plugin: ApolloServerPlugin<RequestContext> } {
  // The cost of a document with given variables, remembered: dashboards send the same request
  // again and again, and the cost is the dearest of the limits (0.2–0.4 ms a request here, more
  // than the request log, metrics and rate limits together; npm run bench:overhead). Keyed by the
  // parsed document, which Apollo's document cache hands out as the same object for the same
  // query text, then by operation name and variables; only small variables make a key.
  const costs = new WeakMap<DocumentNode, Map<string, number>>();
  return {
    parseOptions: { maxTokens: settings.maxTokens },
    hideSchemaDetailsFromClientErrors: settings.hideSuggestions,
    plugin: {
      async requestDidStart() {
        return {
          async didResolveOperation({ request, document }) {
            // Before any resolver, so that no statement carries it to PostgreSQL (errors.ts).
            rejectNulText([request.variables ?? {}, stringLiterals(document)], status400());
            const key = JSON.stringify([request.operationName ?? null, request.variables ?? null]);
            const known = key.length <= COST_CACHE_KEY_MAX ? costs.get(document) : undefined;
            let cost = known?.get(key);
            if (cost === undefined) {
              try {
                cost = getComplexity({ schema, query: document, operationName: request.operationName, variables: request.variables, estimators: [fieldCost] });
              } catch (err) {
                // Variables that do not fit their types: execution refuses them (BAD_USER_INPUT)
                // before any resolver runs, so there is nothing to cost.
                if (err instanceof GraphQLError) return;
                throw err;
              }
              if (key.length <= COST_CACHE_KEY_MAX) {
                const entries = known ?? new Map<string, number>();
                if (entries.size >= COST_CACHE_PER_DOCUMENT) entries.clear();
                entries.set(key, cost);
                costs.set(document, entries);
              }
            }
            if (cost > settings.maxCost) {
              throw tooComplex('cost', `the query costs ${cost} points; at most ${settings.maxCost} are allowed (select fewer nested lists, or page)`, {
                cost,
                max: settings.maxCost,
                ...status400(),
              });
            }
          },
          async willSendResponse({ response }) {
            // A response without `data` is a request refused before execution: 400, also where
            // Apollo says 200 (PERSISTED_QUERY_NOT_SUPPORTED, for the automatic persisted query protocol).
            if (response.body.kind === 'single' && !('data' in response.body.singleResult) && response.http.status === 200) response.http.status = 400;
          },
        };
      },
    },
  };
}
