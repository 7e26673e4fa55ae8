import { Type, type TSchema } from 'typebox';

/** Building blocks shared by every area. */

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** `{"items": [...], "next_cursor": "..." | null}` (DESIGN §9). */
export function listOf<T extends TSchema>(item: T, opts: { description?: string } = {}) {
  return Type.Object(
    {
      items: Type.Array(item),
      next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as `cursor` for the next page; null on the last page' }),
    },
    opts,
  );
}
