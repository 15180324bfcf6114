import { parentPort, workerData } from 'node:worker_threads';
import { loadCatalog, type CatalogSpec } from './catalog-source.js';
import { simulateChunk, type ChunkJob } from './user-chunk.js';

// A worker thread of `simulate`: builds the catalog once, then simulates the chunks it is sent.
const catalog = loadCatalog(workerData as CatalogSpec);
parentPort!.on('message', (job: ChunkJob) => {
  parentPort!.postMessage(simulateChunk(job, catalog));
});
