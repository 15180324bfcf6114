import { parentPort, workerData } from 'node:worker_threads';
import { writeFormatted, type WriteJob } from './write-formatted.js';

const job = workerData as WriteJob;
const formatter = job.format ? (await import('./format-sql.js')).formatOne : undefined;
parentPort!.postMessage(writeFormatted(job, formatter));
