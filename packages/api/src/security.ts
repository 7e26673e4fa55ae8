/** Security requirements of operations (the `bearer` scheme is declared in the document's components). */

export type SecurityRequirement = Record<string, string[]>;

/** Needs a bearer token. */
export const BEARER: SecurityRequirement[] = [{ bearer: [] }];

/**
 * A public read: anonymous, or with a token. A server started with `--private-reads` asks for a
 * token with platform.registry.read, so public reads document 401 and 403 as well.
 */
export const PUBLIC_READ: SecurityRequirement[] = [{}, { bearer: [] }];

/** The problems any read can answer: a bad token, or --private-reads without the read scope. */
export const READ_PROBLEMS = [401, 403] as const;
