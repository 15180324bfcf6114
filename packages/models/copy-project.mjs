// The models project's sources (not target/, .reel/, tests of the package or scripts), copied into
// `dest`: tests in other packages build their own copy so they never write into this folder.
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const PARTS = ['reel_project.yml', 'models', 'macros', 'seeds', 'snapshots', 'tests'];

/** @param {string} dest */
export function copyModelsProject(dest) {
  for (const part of PARTS) if (existsSync(join(root, part))) cpSync(join(root, part), join(dest, part), { recursive: true });
  return dest;
}

export const modelsProjectDir = root;
