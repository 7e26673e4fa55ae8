/**
 * The wire shapes of the HTTP API. Each shape is one TypeBox schema: the server validates and
 * documents with it (OpenAPI), and clients take its TypeScript type with `Static<>`.
 */
export * from './schemas.js';
