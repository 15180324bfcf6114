// Preloaded into a benchmarked process (node --import): writes its peak memory (KiB) and the CPU
// time of all its threads (user and system, microseconds) when it exits.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const file = process.env.REEL_BENCH_RSS_FILE;
  if (!file) return;
  const usage = process.resourceUsage();
  writeFileSync(file, `${usage.maxRSS} ${usage.userCPUTime} ${usage.systemCPUTime}`);
});
