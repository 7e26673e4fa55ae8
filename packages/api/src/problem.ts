import { Type, type Static } from 'typebox';

/** RFC 9457 problems: every error the API answers, whatever produced it. */

export const IssueSchema = Type.Object(
  {
    pointer: Type.String({ description: 'JSON pointer into the request part (the body is the root; /params/…, /querystring/…, /headers/… otherwise)' }),
    code: Type.String({ description: 'an error code from docs/errors.md' }),
    detail: Type.String(),
  },
  { description: 'one problem at one place' },
);
export type IssueBody = Static<typeof IssueSchema>;

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'urn:charter:problem:<code in kebab case>' }),
    title: Type.String({ description: 'the title of the code (docs/errors.md)' }),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String({ description: 'stable machine code, e.g. UNKNOWN_ENTRY (docs/errors.md)' }),
    detail: Type.String({ description: 'what went wrong, for a human' }),
    errors: Type.Array(IssueSchema),
    request_id: Type.Optional(Type.String({ description: 'the X-Request-Id this answer was logged under' })),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details; code-specific members may follow (e.g. `decision`, `required_scope`)' },
);
export type ProblemBody = Static<typeof ProblemSchema>;

