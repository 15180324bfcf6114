import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes JSON through a temp file and a rename, so readers never see half an artifact. */
export function writeJsonAtomic(path: string, value: unknown, pretty = false): void {
  writeChunksAtomic(path, [pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value)]);
}

/** Writes text given in pieces (a large artifact) through a temp file and a rename. */
export function writeChunksAtomic(path: string, chunks: Iterable<string | Uint8Array>): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    for (const chunk of chunks) writeAll(fd, chunk);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/**
 * Like writeChunksAtomic, but gives the event loop a turn between pieces: while a build runs, the
 * manifest is written in the gaps between queries instead of holding them up.
 */
export async function writeChunksAtomicInTurns(path: string, chunks: Iterable<string | Uint8Array>): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    for (const chunk of chunks) {
      writeAll(fd, chunk);
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

function writeAll(fd: number, chunk: string | Uint8Array): void {
  if (typeof chunk === 'string') {
    writeSync(fd, chunk);
    return;
  }
  for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done, chunk.length - done);
}
