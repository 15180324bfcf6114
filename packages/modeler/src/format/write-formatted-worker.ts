import { parentPort, workerData } from 'node:worker_threads';
import { writeFormatted, type WriteJob } from './write-formatted.js';

parentPort!.postMessage(writeFormatted(workerData as WriteJob));
