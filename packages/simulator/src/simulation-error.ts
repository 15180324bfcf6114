import { ReelError } from '@reel/modeler';

/** Bad arguments, an unreadable catalog, a run folder that cannot be continued, a failed load. */
export class SimulationError extends ReelError {}
