import type { LineageArtifact } from '../lineage/types.js';

/**
 * What the docs site is made from: the artifacts in target/, as objects. Only `manifest` is
 * required; without a catalog column types are the declared ones, without run results tests show
 * no status, without lineage model pages show no column lineage.
 */
export interface DocsInput {
  /** target/manifest.json (dbt manifest v12 shape). */
  readonly manifest: object;
  /** target/catalog.json (dbt catalog v1 shape). */
  readonly catalog?: object;
  /** target/run_results.json (dbt run_results v6 shape). */
  readonly runResults?: object;
  /** target/lineage.json. */
  readonly lineage?: LineageArtifact;
}

// The parts of the artifacts the generator reads. Everything is optional: the artifacts may come
// from another tool or an older Reel, and a missing field must not break the site.

export interface ManifestColumn {
  readonly name?: string;
  readonly description?: string;
  readonly data_type?: string | null;
}

export interface ManifestEntry {
  readonly unique_id: string;
  readonly resource_type?: string;
  readonly name?: string;
  readonly path?: string;
  readonly original_file_path?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly fqn?: readonly string[];
  readonly schema?: string;
  readonly alias?: string;
  readonly identifier?: string;
  readonly source_name?: string;
  readonly loaded_at_field?: string | null;
  readonly relation_name?: string | null;
  readonly config?: {
    readonly materialized?: string;
    readonly severity?: string;
    readonly unique_key?: string | readonly string[] | null;
    readonly incremental_strategy?: string | null;
    readonly where?: string | null;
    readonly strategy?: string;
    readonly updated_at?: string | null;
    readonly check_cols?: string | readonly string[] | null;
    readonly hard_deletes?: string;
  };
  readonly columns?: Readonly<Record<string, ManifestColumn>>;
  readonly raw_code?: string;
  readonly compiled_code?: string;
  readonly depends_on?: { readonly nodes?: readonly string[] };
  readonly column_name?: string | null;
  readonly attached_node?: string | null;
  readonly test_metadata?: { readonly name?: string; readonly kwargs?: Readonly<Record<string, unknown>> };
  readonly type?: string;
  readonly owner?: { readonly name?: string | null; readonly email?: string | null };
  readonly url?: string | null;
  readonly maturity?: string | null;
  readonly label?: string | null;
}

export interface ManifestShape {
  readonly metadata?: { readonly project_name?: string; readonly generated_at?: string };
  readonly nodes?: Readonly<Record<string, ManifestEntry>>;
  readonly sources?: Readonly<Record<string, ManifestEntry>>;
  readonly exposures?: Readonly<Record<string, ManifestEntry>>;
  readonly parent_map?: Readonly<Record<string, readonly string[]>>;
}

export interface CatalogTableShape {
  readonly metadata?: { readonly type?: string };
  readonly columns?: Readonly<Record<string, { readonly name?: string; readonly type?: string; readonly index?: number; readonly comment?: string | null }>>;
  readonly stats?: Readonly<Record<string, { readonly id?: string; readonly value?: unknown }>>;
}

export interface CatalogShape {
  readonly nodes?: Readonly<Record<string, CatalogTableShape>>;
  readonly sources?: Readonly<Record<string, CatalogTableShape>>;
}

export interface RunResultShape {
  readonly unique_id: string;
  readonly status?: string;
  readonly execution_time?: number;
  readonly failures?: number | null;
  readonly message?: string | null;
}

export interface RunResultsShape {
  readonly results?: readonly RunResultShape[];
}
