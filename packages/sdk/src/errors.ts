import type { CheckReason } from '@charter/core';

/** A problem+json answer from the server, or a transport failure (status 0). */
export class CharterApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Record<string, unknown> | null;

  constructor(status: number, code: string, message: string, problem: Record<string, unknown> | null = null, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'CharterApiError';
    this.status = status;
    this.code = code;
    this.problem = problem;
  }
}

/** Thrown by `require` when a ref is not allowed; carries the fail-closed reason. */
export class NotAllowedError extends Error {
  readonly ref: string;
  readonly reason: CheckReason;

  constructor(ref: string, reason: CheckReason, warning: string | null) {
    super(`${ref} is not allowed: ${reason}${warning ? ` (${warning})` : ''}`);
    this.name = 'NotAllowedError';
    this.ref = ref;
    this.reason = reason;
  }
}
