import { ReelError } from '@reel/modeler';

/** What every Reel error takes besides its code and message: where, how to fix it, and the cause. */
export type ErrorOptions = NonNullable<ConstructorParameters<typeof ReelError>[2]>;

/**
 * Input the user can fix: a missing column, a label that is not binary, an empty table, an unknown
 * model version, a bad flag. The CLI prints the message and its fix, and exits 2.
 */
export class MlInputError extends ReelError {}

/** A run that failed for another reason (the database, the disk, training itself). Exit 1. */
export class MlRunError extends ReelError {}
