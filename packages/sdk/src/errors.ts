import type { IssueBody, ProblemBody } from '@charter/api';
import type { CheckReason } from '@charter/core';

/**
 * Every failure of a CharterClient call. A problem+json answer of the server carries its
 * `status`, stable `code`, `detail` and `errors[]` (JSON pointers), with the whole body in
 * `problem` (code-specific members such as `decision` live there). A failure to get an answer
 * has status 0 and code `UNREACHABLE` or `TIMEOUT`.
 */
export class CharterProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: readonly IssueBody[];
  readonly problem: (ProblemBody & Record<string, unknown>) | null;
  /** From a Retry-After header (429, 503), in ms. */
  readonly retryAfterMs: number | null;

  constructor(
    init: { status: number; code: string; title?: string; detail: string; errors?: readonly IssueBody[]; problem?: (ProblemBody & Record<string, unknown>) | null; retryAfterMs?: number | null },
    cause?: unknown,
  ) {
    super(init.detail, cause === undefined ? undefined : { cause });
    this.name = 'CharterProblem';
    this.status = init.status;
    this.code = init.code;
    this.title = init.title ?? init.code;
    this.detail = init.detail;
    this.errors = init.errors ?? [];
    this.problem = init.problem ?? null;
    this.retryAfterMs = init.retryAfterMs ?? null;
  }

  static transport(code: 'UNREACHABLE' | 'TIMEOUT', detail: string, cause: unknown): CharterProblem {
    return new CharterProblem({ status: 0, code, detail }, cause);
  }

  /** A 4XX/5XX answer: problem+json when the server sent one, else what there is. */
  static fromResponse(status: number, body: unknown, text: string, retryAfter: string | null): CharterProblem {
    const p = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as ProblemBody & Record<string, unknown>) : null;
    const seconds = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) * 1000 : null;
    const errors = Array.isArray(p?.errors) ? p.errors.filter((e): e is IssueBody => e !== null && typeof e === 'object' && typeof e.pointer === 'string') : [];
    return new CharterProblem({
      status,
      code: typeof p?.code === 'string' ? p.code : `HTTP_${status}`,
      ...(typeof p?.title === 'string' ? { title: p.title } : {}),
      detail: typeof p?.detail === 'string' ? p.detail : text.slice(0, 500),
      errors,
      problem: p,
      retryAfterMs: seconds,
    });
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
