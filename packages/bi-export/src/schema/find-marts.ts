import type { ManifestArtifact, ManifestNode } from './read-artifacts.js';

/** A mart as the manifest names it, before its column types are known. */
export interface MartNode {
  readonly uniqueId: string;
  readonly name: string;
  readonly schema: string;
  readonly description: string;
  readonly columnDescriptions: ReadonlyMap<string, string>;
  readonly uniqueColumns: readonly string[];
}

export interface RelationshipTest {
  readonly testId: string;
  readonly fromId: string;
  readonly fromColumn: string;
  readonly toId: string;
  readonly toColumn: string;
}

/** True for a model of the marts layer: in the `marts` folder, or built into a `marts` schema. */
export function isMart(node: ManifestNode): boolean {
  if (node.resource_type !== 'model' || node.config?.materialized === 'ephemeral') return false;
  const folder = node.fqn?.[1];
  return folder === 'marts' || node.schema === 'marts' || (node.schema?.endsWith('_marts') ?? false);
}

/** The marts of a manifest, by name, in a stable order (by name). */
export function findMarts(manifest: ManifestArtifact): MartNode[] {
  const unique = new Map<string, string[]>();
  for (const node of Object.values(manifest.nodes)) {
    if (node.resource_type !== 'test' || node.test_metadata?.name !== 'unique' || !node.attached_node) continue;
    const column = node.test_metadata.kwargs.column_name;
    if (typeof column === 'string') unique.set(node.attached_node, [...(unique.get(node.attached_node) ?? []), column]);
  }
  const marts: MartNode[] = [];
  for (const node of Object.values(manifest.nodes)) {
    if (!isMart(node)) continue;
    marts.push({
      uniqueId: node.unique_id,
      name: node.alias ?? node.name,
      schema: node.schema ?? 'marts',
      description: node.description ?? '',
      columnDescriptions: new Map(Object.values(node.columns ?? {}).map((c) => [c.name, c.description ?? ''])),
      uniqueColumns: unique.get(node.unique_id) ?? [],
    });
  }
  return marts.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The `relationships` tests of a manifest (`{to: ref('dim_users'), field: user_id}` on a column):
 * the node referred to is the one the test depends on besides the model it is attached to.
 */
export function findRelationshipTests(manifest: ManifestArtifact): RelationshipTest[] {
  const found: RelationshipTest[] = [];
  for (const node of Object.values(manifest.nodes)) {
    if (node.resource_type !== 'test' || node.test_metadata?.name !== 'relationships' || !node.attached_node) continue;
    const { column_name: fromColumn, field: toColumn, to } = node.test_metadata.kwargs;
    if (typeof fromColumn !== 'string' || typeof toColumn !== 'string') continue;
    const others = (node.depends_on?.nodes ?? []).filter((id) => id !== node.attached_node);
    let toId = others.length === 1 ? others[0] : undefined;
    if (!toId && typeof to === 'string') {
      // ref('x') to a model of the same project, when depends_on does not say.
      const name = /ref\(\s*['"]([^'"]+)['"]\s*\)/.exec(to)?.[1];
      toId = Object.values(manifest.nodes).find((n) => n.resource_type === 'model' && n.name === name)?.unique_id;
    }
    if (!toId) continue;
    found.push({ testId: node.unique_id, fromId: node.attached_node, fromColumn, toId, toColumn });
  }
  return found.sort((a, b) => a.testId.localeCompare(b.testId));
}
