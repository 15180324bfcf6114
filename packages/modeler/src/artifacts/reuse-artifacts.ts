import { closeSync, copyFileSync, existsSync, openSync, readdirSync, readFileSync, readSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { OutputRecord } from '../cache/output-record.js';

export interface ArtifactPaths {
  /** target/.reel-cache/artifacts.json */
  readonly record: string;
  readonly manifest: string;
  readonly state: string;
  /** Every file of target/compiled the artifacts include. */
  readonly compiled: readonly string[];
}

/** Where each keyed entry is in manifest.json: its key (artifact-fingerprint.ts), first and last byte + 1. */
export type ManifestEntries = Record<string, readonly [key: string, start: number, end: number]>;

interface ArtifactDetails {
  readonly invocationId: string;
  readonly entries?: ManifestEntries;
  /** Whether the compiled files were formatted. */
  readonly format?: boolean;
}

export interface ReusedHeaders {
  readonly invocationId: string;
  /** The manifest's `{"metadata":{…}` for this run (manifestHeader). */
  readonly manifestHeader: string;
}

/** The start of reel_state.json up to its invocation id (see state/state-file.ts). */
const stateHeader = (invocationId: string) => `{"reel_state":1,"invocation_id":${JSON.stringify(invocationId)}`;

/**
 * Keeps the artifacts of the last compile when they were made from the same fingerprint and are
 * still as it left them (the same size and modification time, every compiled file there):
 * manifest.json and reel_state.json get this run's invocation id and times, written into a copy
 * that replaces the file, so readers never see half a file. False when anything differs: then the
 * caller writes everything (forgetArtifactRecord first, writeArtifactRecord after).
 */
export function reuseArtifacts(paths: ArtifactPaths, fingerprint: string, headers: ReusedHeaders): boolean {
  const record = recordOf(paths);
  const kept = record.unchanged(fingerprint);
  if (typeof kept?.invocationId !== 'string' || !allExist(paths.compiled)) return false;
  const oldManifest = manifestHeaderIn(paths.manifest);
  if (oldManifest === undefined || !oldManifest.includes(`"invocation_id":${JSON.stringify(kept.invocationId)}`)) return false;
  const oldState = stateHeader(kept.invocationId);
  if (!startsWith(paths.state, oldState)) return false;
  const newState = stateHeader(headers.invocationId);
  if (Buffer.byteLength(oldManifest) !== Buffer.byteLength(headers.manifestHeader) || Buffer.byteLength(oldState) !== Buffer.byteLength(newState)) return false;
  // The record goes first: if this stops half-way, the next run writes everything.
  record.forget();
  replaceStart(paths.manifest, headers.manifestHeader);
  replaceStart(paths.state, newState);
  // Invocation ids and times are as long as before: every entry is where it was.
  writeArtifactRecord(paths, fingerprint, headers.invocationId, kept.entries, kept.format);
  return true;
}

/**
 * The manifest.json the last compile wrote and where its entries are, while it is as that compile
 * left it: a compile that writes the manifest again copies the entries whose key is unchanged.
 */
export function previousManifest(paths: ArtifactPaths): PreviousManifest | undefined {
  const details = recordOf(paths).kept()?.details;
  if (!details?.entries || typeof details.entries !== 'object') return undefined;
  try {
    return { text: readFileSync(paths.manifest), entries: details.entries, format: details.format, compiledFilesExist: () => allExist(paths.compiled) };
  } catch {
    return undefined;
  }
}

export interface PreviousManifest {
  readonly text: Buffer;
  readonly entries: ManifestEntries;
  /** Whether that compile formatted the compiled files. */
  readonly format: boolean | undefined;
  /** Whether every compiled file of this compile is on disk. */
  compiledFilesExist(): boolean;
}

/** Forgets the record before the artifacts are written again. */
export function forgetArtifactRecord(paths: ArtifactPaths): void {
  recordOf(paths).forget();
}

/** Records the artifacts just written in full, with the fingerprint they were made from and where the manifest's entries are. */
export function writeArtifactRecord(paths: ArtifactPaths, fingerprint: string, invocationId: string, entries: ManifestEntries | undefined, format: boolean | undefined): void {
  recordOf(paths).write(fingerprint, [paths.manifest, paths.state], { invocationId, ...(entries ? { entries } : {}), ...(format === undefined ? {} : { format }) });
}

const recordOf = (paths: ArtifactPaths) => new OutputRecord<ArtifactDetails>(paths.record);

/** Whether every file exists, listing each folder once. */
function allExist(files: readonly string[]): boolean {
  const listed = new Map<string, Set<string> | undefined>();
  for (const file of files) {
    const dir = dirname(file);
    let names = listed.get(dir);
    if (!listed.has(dir)) {
      names = existsSync(dir) ? new Set(readdirSync(dir)) : undefined;
      listed.set(dir, names);
    }
    if (!names?.has(file.slice(dir.length + 1))) return false;
  }
  return true;
}

function readStart(path: string, bytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const read = readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function startsWith(path: string, prefix: string): boolean {
  return readStart(path, Buffer.byteLength(prefix)) === prefix;
}

/**
 * `{"metadata":{…}` at the start of a manifest: up to the first `,"nodes":{`, which cannot occur
 * inside a JSON string (its quotes would be escaped).
 */
function manifestHeaderIn(path: string): string | undefined {
  const start = readStart(path, 16384);
  const end = start.indexOf(',"nodes":{');
  return start.startsWith('{"metadata":{') && end > 0 ? start.slice(0, end) : undefined;
}

/** Replaces the file with a copy whose first bytes are `text` (as long as what they replace). */
function replaceStart(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  copyFileSync(path, temporary);
  const fd = openSync(temporary, 'r+');
  try {
    writeSync(fd, Buffer.from(text), 0, Buffer.byteLength(text), 0);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}
