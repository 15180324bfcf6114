import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Output } from '../cli/output.js';
import { CompileFailedError, UsageError } from '../errors/index.js';
import { formatTemplate } from '../hygiene/format-template.js';
import { loadProject } from '../load/load-project.js';

export interface FmtCommandOptions {
  readonly projectDir?: string;
  /** Project-relative files or folders; all model, snapshot and singular test files without. */
  readonly paths?: readonly string[];
  /** Report what would change and exit 1, writing nothing (for CI). */
  readonly check?: boolean;
}

/** `model fmt`: formats the project's SQL templates in place, Handlebars intact. */
export async function fmtCommand(options: FmtCommandOptions, output: Output): Promise<number> {
  const root = resolve(options.projectDir ?? process.cwd());
  const loaded = loadProject(root);
  if (!loaded.project) throw new CompileFailedError(loaded.errors);
  const project = loaded.project;
  const wanted = (options.paths ?? []).map((p) => p.replace(/\/+$/, ''));
  const files = [...project.models, ...project.snapshots, ...project.singularTests].filter((f) => wanted.length === 0 || wanted.some((w) => f.path === w || f.path.startsWith(`${w}/`)));
  if (wanted.length > 0 && files.length === 0) {
    throw new UsageError('fmt-no-files', `no model, snapshot or test file under ${wanted.join(', ')}`, { hint: 'give paths relative to the project folder, e.g. models/marts' });
  }
  let changed = 0;
  let skipped = 0;
  for (const file of files) {
    const outcome = formatTemplate(file.text);
    if ('skipped' in outcome) {
      skipped++;
      output.err(`${file.path}  left as it is: ${outcome.skipped}`);
    } else if (outcome.changed) {
      changed++;
      if (options.check) output.out(`${file.path}  would be reformatted`);
      else {
        writeFileSync(file.absolutePath, outcome.text);
        output.out(`${file.path}  formatted`);
      }
    }
  }
  const verb = options.check ? 'would reformat' : 'reformatted';
  output.out(`${files.length} file${files.length === 1 ? '' : 's'} checked: ${verb} ${changed}${skipped ? `, ${skipped} left as they are` : ''}.`);
  return options.check && changed > 0 ? 1 : 0;
}
