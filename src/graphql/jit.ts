import type { GatewayExecutor, GatewayInterface, GatewaySchemaLoadOrUpdateCallback } from '@apollo/server-gateway-interface';
import { execute, getVariableValues, GraphQLError, type GraphQLSchema, type OperationDefinitionNode, printSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/** Told of every execution: which executor ran it, and whether the operation was compiled for it. */
export interface ExecutionObserver {
  executed(executor: 'graphql-js' | 'graphql-jit', compiledNow: boolean): void;
}

/**
 * Executes operations with graphql-jit instead of graphql-js's interpreter (README "Performance").
 * An operation is compiled once into a function that walks exactly its selections; leaves
 * and list items are completed in straight-line code, without graphql-js's per-item `completeValue`
 * call and path object (a bulk pull of 95,000 cells completes 285,000 list items).
 *
 * Apollo Server takes another executor only through its gateway interface; this one serves the
 * hub's own schema, loaded once. Everything before execution stays Apollo's and graphql-js's:
 * parsing, the document guard, validation (and with it the limits), choosing the operation, the
 * plugins. An operation is compiled the second time it runs; the first run is graphql-js's.
 * Variables are coerced by graphql-js first, so that a bad one is refused with the same message,
 * node and code (BAD_USER_INPUT) as before; graphql-jit's own messages differ. Compiled operations
 * are kept per parsed operation (Apollo keeps parsed documents in its LRU store, so a dashboard's
 * query is compiled once) and go with it.
 */
export function jitGateway(schema: GraphQLSchema, observer?: ExecutionObserver): GatewayInterface {
  // Per operation: null once seen (run by graphql-js), then its compiled form.
  const compiled = new WeakMap<OperationDefinitionNode, CompiledQuery | null>();
  const executor: GatewayExecutor = async ({ document, operation, request, context }) => {
    const known = operation ? compiled.get(operation) : undefined;
    if (!operation || known === undefined) {
      // No operation chosen (several and no name, or an unknown name): graphql-js says which, and
      // Apollo answers it. A text seen for the first time runs as before, too: compiling costs
      // 0.7 ms for a dashboard's query and 2 ms for a wide one, more than running it once, and
      // many texts come only once (GraphiQL, literals written into the text).
      if (operation) compiled.set(operation, null);
      observer?.executed('graphql-js', false);
      return execute({ schema, document, operationName: request.operationName, variableValues: request.variables, contextValue: context });
    }
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}, { maxErrors: 50 });
    if (coerced.errors) return { errors: coerced.errors };
    let query = known;
    const compiledNow = !query;
    if (!query) {
      // Errors are made without a stack trace: the hub never shows one, and capturing costs a
      // frame walk each.
      const result = compileQuery(schema, document, request.operationName ?? undefined, { disablingCapturingStackErrors: true });
      if (!isCompiledQuery(result)) return result;
      compiled.set(operation, (query = result));
    }
    // The values graphql-js coerced, defaults of input fields filled in (graphql-jit's own coercion
    // takes an input field with a default for required). Coercing them again changes nothing: every
    // enum value of the schema is its name, and both date scalars take what they return.
    observer?.executed('graphql-jit', compiledNow);
    const result = await query.query(undefined, context, coerced.coerced);
    return result.errors ? { ...result, errors: result.errors.map(withExtensions) } : result;
  };
  let listener: GatewaySchemaLoadOrUpdateCallback | undefined;
  return {
    onSchemaLoadOrUpdate(callback) {
      listener = callback;
      return () => (listener = undefined);
    },
    async load() {
      listener?.({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return { schema, executor };
    },
    async stop() {},
  };
}

/**
 * graphql-jit's errors have no `extensions` unless their original error had some (a HubError
 * has; a driver's error, a bug's TypeError do not). Apollo reads `extensions.code` of every error
 * before the hub's formatter sees it and, failing, answers a bare "Internal server error" with
 * HTTP 200 that nobody logs: a database connection lost during a compiled mutation came out so
 * instead of SERVICE_UNAVAILABLE (503). Such an error becomes a graphql-js GraphQLError, which
 * always has `extensions`, with the same message, locations, path and original error.
 */
function withExtensions(error: GraphQLError): GraphQLError {
  if (error.extensions) return error;
  const copy = new GraphQLError(error.message, { path: error.path, originalError: error.originalError ?? undefined });
  (copy as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return copy;
}
