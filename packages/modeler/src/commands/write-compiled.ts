import { join } from 'node:path';
import { manifestChunks } from '../artifacts/manifest.js';
import type { InvocationInfo } from '../artifacts/metadata.js';
import { writeChunksAtomicInTurns } from '../artifacts/write-json.js';
import type { CompiledProject } from '../compile.js';
import { writeCompiledFiles } from '../format/write-compiled-files.js';
import { STATE_FILE, stateFileChunks } from '../state/state-file.js';

export function targetDir(compiled: CompiledProject): string {
  return join(compiled.project.root, compiled.project.settings.targetPath);
}

/** target/compiled/<project>/<path>.sql for every model and test, and target/manifest.json. */
export async function writeCompiled(compiled: CompiledProject, invocation: InvocationInfo, database: string | null, options: { format: boolean }): Promise<void> {
  const base = join(targetDir(compiled), 'compiled', compiled.project.settings.name);
  const files: { path: string; sql: string }[] = [];
  for (const node of compiled.graph.nodes.values()) {
    if (node.kind === 'model' || node.kind === 'snapshot') files.push({ path: join(base, node.file), sql: node.compiledSql });
    else if (node.kind === 'test') files.push({ path: join(base, node.testType === 'singular' ? node.file : join(node.file.replace(/\.ya?ml$/, ''), `${node.name}.sql`)), sql: node.sql });
  }
  // Worker threads write the files while this thread writes the manifest, in turns with whatever
  // else runs (a build's queries).
  const writing = writeCompiledFiles(files, join(targetDir(compiled), '.reel-cache'), options.format);
  try {
    await writeChunksAtomicInTurns(join(targetDir(compiled), 'manifest.json'), manifestChunks(compiled, invocation, database));
    await writeChunksAtomicInTurns(join(targetDir(compiled), STATE_FILE), stateFileChunks(compiled, invocation, database));
  } finally {
    await writing;
  }
}
