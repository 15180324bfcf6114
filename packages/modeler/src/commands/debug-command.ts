import pc from 'picocolors';
import type { Output } from '../cli/output.js';
import { formatError } from '../cli/output.js';
import { ReelError } from '../errors/index.js';
import { openDatabase } from '../execute/connection/open-database.js';
import { loadProject } from '../load/load-project.js';
import { commandContext, type CommonOptions } from './context.js';

/** `model debug`: which project and target are used and why, and whether the database answers. */
export async function debugCommand(options: CommonOptions, output: Output): Promise<number> {
  const context = commandContext(options);
  const loaded = loadProject(context.root, { vars: context.vars });
  output.out(`project:  ${context.root}`);
  output.out(`  ${loaded.project ? pc.green('OK') : pc.red('ERROR')} ${loaded.project ? `reel_project.yml (${loaded.project.settings.name}), ${loaded.project.models.length} model files` : ''}`);
  for (const error of loaded.errors) output.out(`  ${formatError(error)}`);
  output.out(`target:   ${context.target.name}: ${context.target.display}`);
  output.out(`  chosen because: ${context.target.origin}`);
  output.out(`  schema: ${context.target.schemaPrefix ? context.target.schemaPrefix + '_' : ''}${context.target.schema}`);
  try {
    const database = await openDatabase(context.target, { projectRoot: context.root, threads: 1 });
    output.out(`  ${pc.green('OK')} connected: PostgreSQL ${database.serverVersion}`);
    await database.close();
  } catch (error) {
    if (!(error instanceof ReelError)) throw error;
    output.out(`  ${formatError(error)}`);
    return 1;
  }
  return loaded.errors.length > 0 ? 2 : 0;
}
