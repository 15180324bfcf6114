import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

/** A file of the project, its path relative to the project root with forward slashes. */
export interface ProjectFile {
  readonly path: string;
  readonly absolutePath: string;
  /** Folder relative to the model/seed/test path it was found under ("" at its top). */
  readonly folder: string;
  /** File name without extension: the node name. */
  readonly name: string;
  readonly text: string;
}

const SKIPPED = new Set(['node_modules', '.git', '.reel', 'target']);

/** Every file under `roots` (project-relative) whose name ends with one of `extensions`, in a stable order. */
export function findFiles(projectRoot: string, roots: readonly string[], extensions: readonly string[]): ProjectFile[] {
  const found: ProjectFile[] = [];
  for (const root of roots) {
    const absoluteRoot = join(projectRoot, root);
    if (!isDirectory(absoluteRoot)) continue;
    walk(absoluteRoot, '', (relativePath, absolutePath) => {
      const extension = extensions.find((ext) => relativePath.endsWith(ext));
      if (!extension) return;
      const base = posix.basename(relativePath);
      found.push({
        path: toPosix(relative(projectRoot, absolutePath)),
        absolutePath,
        folder: posix.dirname(relativePath) === '.' ? '' : posix.dirname(relativePath),
        name: base.slice(0, base.length - extension.length),
        text: readFileSync(absolutePath, 'utf8'),
      });
    });
  }
  return found;
}

/** Every folder under `roots`, relative to its root ("staging", "staging/events"). */
export function findFolders(projectRoot: string, roots: readonly string[]): Set<string> {
  const folders = new Set<string>();
  for (const root of roots) {
    const absoluteRoot = join(projectRoot, root);
    if (!isDirectory(absoluteRoot)) continue;
    walkFolders(absoluteRoot, '', folders);
  }
  return folders;
}

function walk(absolute: string, relativePath: string, visit: (relativePath: string, absolutePath: string) => void): void {
  const entries = readdirSync(absolute, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
    const childRelative = relativePath ? `${relativePath}/${entry.name}` : entry.name;
    const childAbsolute = join(absolute, entry.name);
    if (entry.isDirectory()) walk(childAbsolute, childRelative, visit);
    else if (entry.isFile()) visit(childRelative, childAbsolute);
  }
}

function walkFolders(absolute: string, relativePath: string, into: Set<string>): void {
  for (const entry of readdirSync(absolute, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
    const childRelative = relativePath ? `${relativePath}/${entry.name}` : entry.name;
    into.add(childRelative);
    walkFolders(join(absolute, entry.name), childRelative, into);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}
