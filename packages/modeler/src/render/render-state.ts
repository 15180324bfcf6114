import type { ReelError } from '../errors/index.js';
import type { Relation } from '../sql/quote.js';

/** What the ref helper needs to know about a node it may point at. */
export interface RefTarget {
  readonly uniqueId: string;
  readonly name: string;
  readonly kind: 'model' | 'seed' | 'source' | 'snapshot';
  readonly relation: Relation;
  readonly ephemeral: boolean;
}

/** Per-render mutable state the helpers record into (refs found, errors). */
export interface RenderState {
  readonly file: string;
  readonly nodeName: string;
  readonly self?: Relation;
  readonly dependsOn: Set<string>;
  readonly ephemeralRefs: Set<string>;
  readonly errors: ReelError[];
  /** Allows the env helper to read REEL_SECRET_ variables (profiles only). */
  readonly allowSecrets: boolean;
  /** In a unit test: the CTE each input is read from instead of its relation, by unique id. */
  readonly inputs?: ReadonlyMap<string, string>;
  /** In a unit test: `overrides: vars:`, read before the project's vars. */
  readonly vars?: Readonly<Record<string, unknown>>;
  /** In a unit test: `overrides: env_vars:`, read before the environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export function newRenderState(file: string, nodeName: string, self?: Relation, allowSecrets = false): RenderState {
  return { file, nodeName, self, dependsOn: new Set(), ephemeralRefs: new Set(), errors: [], allowSecrets };
}

export const EPHEMERAL_PREFIX = '__reel_cte__';
