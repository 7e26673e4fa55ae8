export const LIFECYCLES = ['proposed', 'active', 'deprecated', 'disabled', 'retired'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

export function isLifecycle(s: unknown): s is Lifecycle {
  return typeof s === 'string' && (LIFECYCLES as readonly string[]).includes(s);
}

/** DESIGN §3: the only allowed moves. `retired` is a terminal tombstone. */
const MOVES: Record<Lifecycle, readonly Lifecycle[]> = {
  proposed: ['active', 'retired'],
  active: ['deprecated', 'disabled'],
  deprecated: ['active', 'disabled', 'retired'],
  disabled: ['active', 'deprecated', 'retired'],
  retired: [],
};

export function allowedMoves(from: Lifecycle): readonly Lifecycle[] {
  return MOVES[from];
}

export function canTransition(from: Lifecycle, to: Lifecycle): boolean {
  return MOVES[from].includes(to);
}

/** States an entry may be created in. Anything else must be reached by transitions. */
export const INITIAL_STATES: readonly Lifecycle[] = ['proposed', 'active'];

/** States whose entries are still relied upon: retiring what they reference is refused. */
export const LIVE_STATES: readonly Lifecycle[] = ['active', 'deprecated'];
