/** How an output column comes from an upstream column. */
export type LineageKind =
  /** Selected as is, same name. */
  | 'direct'
  /** Selected as is under another name. */
  | 'renamed'
  /** Used in an expression (cast, arithmetic, function, CASE, window function). */
  | 'transformed'
  /** Under an aggregate function (sum, count, avg, ...). */
  | 'aggregated'
  /** Only decides which rows there are: WHERE, HAVING, QUALIFY-like filters, GROUP BY keys. */
  | 'filter'
  /** Only decides which rows there are through a join condition. */
  | 'join';

/** A relation as the compiled SQL names it (unquoted parts), e.g. {schema: 'staging', name: 'stg_views'}. */
export interface RelationName {
  readonly schema?: string;
  readonly name: string;
}

export interface ColumnEdge {
  /** The upstream relation, as written in the SQL (schema may be absent). */
  readonly relation: RelationName;
  readonly column: string;
  readonly kind: LineageKind;
}

export interface ColumnLineage {
  /** The output column's name. */
  readonly column: string;
  /** Upstream columns it is derived from; row-deciding inputs (filter/join) are listed per column too. */
  readonly edges: readonly ColumnEdge[];
  /** Set when (part of) the column could not be resolved; says why. Never guessed. */
  readonly unresolved?: string;
}

export interface ModelLineage {
  readonly columns: readonly ColumnLineage[];
  /** Problems for the whole statement (e.g. `select *` over a relation whose columns are unknown). */
  readonly warnings: readonly string[];
}

/**
 * Columns of an upstream relation in order, or undefined when unknown (then `*` cannot be expanded).
 * A list ending in MORE_COLUMNS names some of the columns only (those declared in YAML): `*`
 * expands to them and says the rest is unknown, and a column it does not name may still be there.
 */
export type ColumnsOf = (relation: RelationName) => readonly string[] | undefined;

/** The last entry of a list of columns that is not the whole of them (see ColumnsOf). */
export const MORE_COLUMNS = '*';

/** An edge in target/lineage.json: the upstream column named by node unique_id where it is a project node. */
export interface ArtifactEdge {
  /** unique_id of the upstream model, seed or source; null when the relation is not in the project. */
  readonly node: string | null;
  /** The relation as written, "schema.name" or "name". */
  readonly relation: string;
  readonly column: string;
  readonly kind: LineageKind;
}

/** target/lineage.json: column-level lineage of every model and snapshot in the project. */
export interface LineageArtifact {
  readonly version: 1;
  readonly generated_at: string;
  readonly nodes: Readonly<Record<string, {
    readonly columns: readonly {
      readonly column: string;
      readonly edges: readonly ArtifactEdge[];
      readonly unresolved?: string;
      /** Set on the columns a snapshot adds to its select's (dbt_scd_id, dbt_valid_from, …): they come from no upstream column. */
      readonly produced_by?: 'snapshot';
    }[];
    readonly warnings: readonly string[];
  }>>;
}
