import { createHash } from 'node:crypto';

/**
 * TMDL names: bare when they are simple identifiers, else in single quotes with quotes doubled
 * (names with spaces or any of `.=:'` must be quoted).
 */
export function tmdlName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `'${name.replaceAll("'", "''")}'`;
}

/** `table.column` as fromColumn / toColumn take it. */
export function tmdlColumnRef(table: string, column: string): string {
  return `${tmdlName(table)}.${tmdlName(column)}`;
}

/** `/// text` description lines (TMDL has no comments; descriptions sit right above the object). */
export function tmdlDescription(text: string, indent: string): string[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return lines.map((line) => `${indent}/// ${line}`);
}

/** An M text literal: double quotes, inner quotes doubled. */
export function mString(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

/** A GUID derived from text, so that the files are the same on every run for the same models. */
export function stableGuid(text: string): string {
  const h = createHash('sha1').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
