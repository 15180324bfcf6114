import type { UnitTestNode } from '../graph/unit-test-node.js';

/** A unit test's entry in the manifest's `unit_tests` map (dbt's UnitTestDefinition). */
export function unitTestManifestEntry(node: UnitTestNode, projectName: string, modelName: string, checksum: string): Record<string, unknown> {
  const definition = node.definition as { given?: Record<string, unknown>[]; expect: Record<string, unknown>; overrides?: Record<string, unknown> };
  return {
    name: node.name,
    resource_type: 'unit_test',
    package_name: projectName,
    path: node.file,
    original_file_path: node.file,
    unique_id: node.uniqueId,
    fqn: [projectName, modelName, node.name],
    description: node.description,
    model: modelName,
    given: (definition.given ?? []).map((g) => ({ input: g.input, rows: g.rows ?? null, format: g.format ?? 'dict', fixture: g.fixture ?? null })),
    expect: { rows: definition.expect.rows ?? null, format: definition.expect.format ?? 'dict', fixture: definition.expect.fixture ?? null },
    overrides: definition.overrides ?? null,
    depends_on: { macros: [], nodes: [node.model] },
    config: { tags: [...node.tags], meta: node.meta, enabled: node.enabled },
    checksum,
    schema: null,
    created_at: Date.now() / 1000,
    versions: null,
    version: null,
  };
}
