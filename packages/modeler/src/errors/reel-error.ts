/** Where a problem is: a project-relative file, 1-based line and column, and the node it belongs to. */
export interface SourcePlace {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly node?: string;
}

export interface ReelErrorOptions extends SourcePlace {
  /** How to fix it, shown after the message. */
  readonly hint?: string;
  readonly cause?: unknown;
}

/**
 * The root of every error Reel reports. `code` is stable (tests and tools match on it);
 * `toString()` prints `path:line:col  message` so a terminal or CI can link to the place.
 */
export class ReelError extends Error {
  readonly code: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly node?: string;
  readonly hint?: string;

  constructor(code: string, message: string, options: ReelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.file = options.file;
    this.line = options.line;
    this.column = options.column;
    this.node = options.node;
    this.hint = options.hint;
  }

  get place(): string {
    if (!this.file) return '';
    let place = this.file;
    if (this.line !== undefined) place += `:${this.line}`;
    if (this.line !== undefined && this.column !== undefined) place += `:${this.column}`;
    return place;
  }

  override toString(): string {
    const text = this.hint ? `${this.message}\n    fix: ${this.hint}` : this.message;
    return this.place ? `${this.place}  ${text}` : text;
  }
}

/** reel_project.yml, profiles.yml, property files, vars: anything a user configured wrongly. */
export class ConfigError extends ReelError {}
/** A template that cannot be rendered: unknown helper, missing var, bad macro. */
export class RenderError extends ReelError {}
/** Unknown refs and sources, cycles, duplicate names. */
export class GraphError extends ReelError {}
/** SQL the PostgreSQL parser rejects, or a database error mapped back to the model. */
export class SqlError extends ReelError {}
/** A step that failed while running against the database. */
export class ExecutionError extends ReelError {}
/** No database could be reached with the configured connection. */
export class ConnectionError extends ReelError {}
/** Bad command-line usage: unknown selector, bad flag value. */
export class UsageError extends ReelError {}

/** Errors of one compile, collected so that all are shown at once. */
export class CompileFailedError extends ReelError {
  readonly errors: readonly ReelError[];
  constructor(errors: readonly ReelError[]) {
    super('compile-failed', `${errors.length} error${errors.length === 1 ? '' : 's'} found; nothing was run`);
    this.errors = errors;
  }
}

export function isReelError(value: unknown): value is ReelError {
  return value instanceof ReelError;
}

export function sortErrors(errors: readonly ReelError[]): ReelError[] {
  return [...errors].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
}
