import type { Relation } from '../sql/quote.js';
import type { NodeBase } from './nodes.js';

/** A column a fixture is known to have: declared in YAML (data_type optional). */
export interface FixtureColumn {
  readonly name: string;
  readonly dataType?: string;
}

/** Rows standing in for one input of the model (a ref, a source, or `this`), as a CTE. */
export interface UnitTestInput {
  /** As written: `ref('stg_users')`, `source('raw', 'users')` or `this`. */
  readonly input: string;
  /** The node the rows replace (the model itself for `this`). */
  readonly nodeId: string;
  /** Its relation in the warehouse: where column types are read when it exists. */
  readonly relation: Relation;
  /** The CTE name the model's SQL reads instead of the relation. */
  readonly cte: string;
  readonly columns: readonly FixtureColumn[];
  readonly rows: readonly Readonly<Record<string, unknown>>[];
  /** format: sql — a query giving the rows. */
  readonly sql?: string;
}

/** A dbt-style unit test: the model's SQL run on fixed input rows, compared with expected rows. */
export interface UnitTestNode extends NodeBase {
  readonly kind: 'unit_test';
  /** The unique id of the model under test. */
  readonly model: string;
  readonly given: readonly UnitTestInput[];
  readonly expectRows: readonly Readonly<Record<string, unknown>>[];
  /** format: sql for expect. */
  readonly expectSql?: string;
  /** The model's select with every input read from its CTE (no CTE definitions yet). */
  readonly sql: string;
  readonly isIncremental: boolean;
  readonly enabled: boolean;
  /** The YAML entry as written, for the manifest. */
  readonly definition: Readonly<Record<string, unknown>>;
}
