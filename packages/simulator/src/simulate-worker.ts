import { parentPort, workerData } from 'node:worker_threads';
import { loadCatalog, type CatalogSpec } from './catalog-source.js';
import { simulateChunk, type ChunkJob } from './user-chunk.js';

// A worker thread of `simulate`: builds the catalog once, then simulates the chunks it is sent.
const catalog = loadCatalog(workerData as CatalogSpec);
parentPort!.on('message', (job: ChunkJob) => {
  const chunk = simulateChunk(job, catalog);
  // The row buffers move to the main thread instead of being copied.
  const buffers = [chunk.users, chunk.views, chunk.ratings, chunk.subscriptions, chunk.user_profiles, chunk.churn_truth].map((part) => part.bytes.buffer as ArrayBuffer);
  parentPort!.postMessage(chunk, [...new Set(buffers)]);
});
