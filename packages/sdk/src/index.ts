export * from './client.js';
export { LocalCatalog, type LocalCatalogOptions } from './local-catalog.js';
export { CharterProblem, NotAllowedError } from './errors.js';
// What LocalCatalog answers: the same rules as the server's check, computed in this process.
export type { CheckAnswer, CheckResult, CheckReason, Entry, Revision } from '@charter/core';
