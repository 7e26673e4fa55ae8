/**
 * @charter/api — the wire shapes of Charter's HTTP API.
 *
 * Conventions (the server's routes and the SDK both follow them; /openapi.json is generated from
 * these objects and every test response is validated against it):
 *
 * - Each wire shape is ONE TypeBox schema here, in the file of its area (schemas.ts: catalog,
 *   check, feed; changesets.ts; tokens.ts; artifacts.ts; audit.ts; contracts.ts; ops.ts;
 *   problem.ts). Its TypeScript type is `Static<typeof XSchema>`, exported beside it; nothing
 *   writes the shape a second time by hand.
 * - A route's `schema` names `operationId` (camelCase verb + noun, stable: clients generate
 *   method names from it), `tags` (one of the document's tags), `summary`, `security`
 *   (`BEARER`, or `PUBLIC_READ` for reads), its `params`/`querystring`/`body`, and
 *   `response: responses({ 200: X }, [400, 404, ...])` listing every status it can answer.
 *   `responses()` adds the problem schema (`application/problem+json`) for each listed status
 *   and for 5XX. A status answered but not listed fails the test that provoked it.
 * - Response schemas also serialize: a field not in the schema is not sent. Add the field here
 *   when the domain grows one. Bodies the server must send byte for byte (snapshot, envelope,
 *   release proof) are sent as strings and documented by their schema.
 * - Non-JSON bodies use `content(schema, mediaType)` (e.g. the checkpoint, `text/plain`).
 * - Error codes are the closed set `ErrorCode` of @charter/core; each has one status and
 *   title in the server's total table (server/src/http/problem.ts) and a line in docs/errors.md.
 */
export * from './common.js';
export * from './responses.js';
export * from './problem.js';
export * from './security.js';
export * from './schemas.js';
export * from './changesets.js';
export * from './tokens.js';
export * from './artifacts.js';
export * from './audit.js';
export * from './contracts.js';
export * from './ops.js';
export * from './admission.js';
