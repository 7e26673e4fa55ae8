import { Type, type Static } from 'typebox';
import { listOf, Nullable } from './common.js';

/** Bearer tokens (DESIGN §8). */

export const TokenId = Type.String({ pattern: '^tok_[0-9a-f]{16}$' });
export const TokenParams = Type.Object({ id: TokenId });

export const CreateTokenBody = Type.Object({
  principal: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9@._:-]*$' }),
  product: Type.Optional(Nullable(Type.String({ maxLength: 128 }))),
  scopes: Type.Array(Type.String({ maxLength: 300 }), { minItems: 1, maxItems: 50 }),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  expires_in: Type.Optional(Type.String({ maxLength: 10, description: 'lifetime, e.g. 30d, 12h, 90m' })),
}, { additionalProperties: false });
export type CreateTokenRequest = Static<typeof CreateTokenBody>;

export const CreatedTokenSchema = Type.Object({
  id: Type.String(),
  token: Type.String({ description: 'the secret; it is never shown again' }),
  principal: Type.String(),
  product: Nullable(Type.String()),
  scopes: Type.Array(Type.String()),
  expires_at: Nullable(Type.String()),
}, { description: 'a new token; `token` appears only here' });
export type CreatedTokenBody = Static<typeof CreatedTokenSchema>;

export const TokenSchema = Type.Object({
  id: Type.String(),
  principal: Type.String(),
  product: Nullable(Type.String()),
  scopes: Type.Array(Type.String()),
  description: Type.String(),
  expires_at: Nullable(Type.String()),
  created_at: Type.String(),
  created_by: Type.String(),
  revoked_at: Nullable(Type.String()),
}, { description: 'token metadata (never the secret)' });
export type TokenBody = Static<typeof TokenSchema>;
export const TokenList = listOf(TokenSchema);
