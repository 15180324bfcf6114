import pc from 'picocolors';
import { CompileFailedError, ReelError, sortErrors } from '../errors/index.js';

/** Where the CLI writes; tests pass their own to capture output. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const processOutput: Output = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

/** Prints errors as `path:line:col  message` (with the fix on the next line), all of them. */
export function printErrors(output: Output, error: unknown): void {
  if (error instanceof CompileFailedError) {
    for (const e of sortErrors(error.errors)) output.err(formatError(e));
    output.err(pc.red(`${error.errors.length} error${error.errors.length === 1 ? '' : 's'} found; nothing was run.`));
    return;
  }
  if (error instanceof ReelError) {
    output.err(formatError(error));
    return;
  }
  // A bug in Reel itself: still one message, with the stack only when asked for.
  const message = error instanceof Error ? error.message : String(error);
  output.err(pc.red(`internal error: ${message}`));
  if (process.env.REEL_DEBUG && error instanceof Error && error.stack) output.err(error.stack);
  else output.err('    (set REEL_DEBUG=1 to see where it happened, and please report it)');
}

export function formatError(error: ReelError): string {
  const place = error.place ? pc.bold(error.place) + '  ' : '';
  const hint = error.hint ? `\n    ${pc.dim('fix:')} ${error.hint}` : '';
  return `${place}${pc.red(error.message)}${hint}`;
}
