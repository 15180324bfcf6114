import { rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Output } from '../cli/output.js';
import { ConfigError } from '../errors/index.js';
import { loadProject } from '../load/load-project.js';
import { commandContext, type CommonOptions } from './context.js';

/** `model clean`: removes the clean-targets (target/ by default); never anything outside the project. */
export async function cleanCommand(options: CommonOptions, output: Output): Promise<number> {
  const context = commandContext(options);
  const loaded = loadProject(context.root);
  if (!loaded.project) throw loaded.errors[0];
  for (const path of loaded.project.settings.cleanTargets) {
    const absolute = resolve(context.root, path);
    const inside = relative(context.root, absolute);
    if (inside === '' || inside.startsWith('..') || resolve(absolute) === resolve(context.root)) {
      throw new ConfigError('clean-outside', `clean-targets entry "${path}" is outside the project (or is the project itself)`, { file: 'reel_project.yml', hint: 'list only folders inside the project, such as target' });
    }
    rmSync(join(context.root, inside), { recursive: true, force: true });
    output.out(`removed ${inside}/`);
  }
  return 0;
}
