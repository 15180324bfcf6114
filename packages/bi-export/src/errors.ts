import { ConfigError, ExecutionError, UsageError } from '@reel/modeler';

/**
 * Bad input the user can fix (no manifest, unknown mart, missing setting): the message is one
 * sentence that says what is wrong and how to fix it. The CLI exits 2.
 */
export class BiInputError extends UsageError {}

/** A missing or malformed publish setting (environment variable or profile file). Exit 2. */
export class BiConfigError extends ConfigError {}

/** A BI service refused or failed a request after the retries. Exit 1. */
export class PublishError extends ExecutionError {
  readonly status?: number;
  constructor(code: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(code, message, { cause: options.cause });
    this.status = options.status;
  }
}

/** Something went wrong reading a mart or writing a file. Exit 1. */
export class ExportError extends ExecutionError {}
