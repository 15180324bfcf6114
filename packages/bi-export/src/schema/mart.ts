import type { ColumnType } from './column-type.js';

/** One column of a mart, in the order the relation holds it. */
export interface MartColumn {
  readonly name: string;
  readonly type: ColumnType;
  readonly description: string;
}

/** A model of the marts layer, as the manifest and the catalog describe it. */
export interface Mart {
  readonly kind: 'mart';
  /** e.g. `model.reel.fct_views` */
  readonly uniqueId: string;
  /** e.g. `fct_views` (the relation's identifier, which BI tools show as the table name) */
  readonly name: string;
  readonly schema: string;
  readonly description: string;
  readonly columns: readonly MartColumn[];
  /** Columns with a `unique` test: candidate keys. */
  readonly uniqueColumns: readonly string[];
}

/**
 * A many-to-one link between marts, from a `relationships` test: every `fromColumn` of `fromMart`
 * is a `toColumn` of `toMart`.
 */
export interface MartRelationship {
  readonly kind: 'relationship';
  /** The test's unique id: a stable name for the relationship. */
  readonly testId: string;
  readonly fromMart: string;
  readonly fromColumn: string;
  readonly toMart: string;
  readonly toColumn: string;
}

/** The marts of a built models project, with their relationships. */
export interface MartSchema {
  readonly projectDir: string;
  readonly projectName: string;
  readonly marts: readonly Mart[];
  readonly relationships: readonly MartRelationship[];
  /** Marts of the manifest left out because the database does not have them (not built). */
  readonly skipped: readonly string[];
  /** Where the column types came from. */
  readonly typesFrom: 'catalog' | 'database' | 'catalog and database';
}

export function freezeMart(mart: Omit<Mart, 'kind'>): Mart {
  return Object.freeze({ kind: 'mart', ...mart, columns: Object.freeze([...mart.columns]), uniqueColumns: Object.freeze([...mart.uniqueColumns]) });
}

export function freezeRelationship(relationship: Omit<MartRelationship, 'kind'>): MartRelationship {
  return Object.freeze({ kind: 'relationship', ...relationship });
}
