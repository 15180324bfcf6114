// Preloaded into a benchmarked process (node --import): writes its peak memory (KiB) when it exits.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const file = process.env.REEL_BENCH_RSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
});
