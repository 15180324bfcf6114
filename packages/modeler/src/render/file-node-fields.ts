import type { ProjectFile } from '../load/project-files.js';
import type { ModelProperties, Placed } from '../load/property-files.js';
import type { Relation } from '../sql/quote.js';

/** A model or snapshot file with its config and property-file entry, before rendering. */
export interface FileNodeDraft<C extends { readonly tags: readonly string[]; readonly meta: Readonly<Record<string, unknown>> }> {
  readonly file: ProjectFile;
  readonly config: C;
  readonly relation: Relation;
  readonly uniqueId: string;
  readonly properties?: Placed<ModelProperties>;
}

/** The fields a model node and a snapshot node take alike from their file, config and properties. */
export function fileNodeFields<C extends { readonly tags: readonly string[]; readonly meta: Readonly<Record<string, unknown>> }>(draft: FileNodeDraft<C>, dependsOn: Iterable<string>) {
  const props = draft.properties?.value;
  return {
    uniqueId: draft.uniqueId,
    name: draft.file.name,
    file: draft.file.path,
    line: 1,
    folder: draft.file.folder,
    description: props?.description ?? '',
    tags: draft.config.tags,
    meta: { ...draft.config.meta, ...(props?.meta ?? {}) },
    dependsOn: [...dependsOn].sort(),
    config: draft.config,
    relation: draft.relation,
    rawSql: draft.file.text,
    propertiesFile: draft.properties?.file.path,
  };
}
