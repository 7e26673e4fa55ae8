export { CharterClient, type ClientOptions, type Page, type Snapshot, type ChangesPage, type ListQuery } from './client.js';
export { LocalCatalog, type LocalCatalogOptions } from './local-catalog.js';
export { CharterApiError, NotAllowedError } from './errors.js';
export type { CheckAnswer, CheckResult, CheckReason, Entry, Revision } from '@charter/core';
