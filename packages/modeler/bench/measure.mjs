// Runs a command as a whole process and returns wall time (s), peak memory (MiB) and the CPU time
// of all its threads (user + system, s; on a shared machine a truer figure than wall time).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const rssHook = fileURLToPath(new URL('./report-rss.mjs', import.meta.url));

export function measure(args, { env = {}, cwd } = {}) {
  const rssFile = join(tmpdir(), `reel-bench-rss-${process.pid}`);
  rmSync(rssFile, { force: true });
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--import', rssHook, ...args], {
    cwd,
    env: { ...process.env, ...env, REEL_BENCH_RSS_FILE: rssFile, NO_COLOR: '1' },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) {
    throw new Error(`${args.join(' ')} exited ${result.status}:\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
  }
  let rssMiB = NaN;
  let userSeconds = NaN;
  let systemSeconds = NaN;
  try {
    const [rss, user, system] = readFileSync(rssFile, 'utf8').split(' ').map(Number);
    rssMiB = rss / 1024;
    userSeconds = user / 1e6;
    systemSeconds = system / 1e6;
  } catch {
    // the process did not reach its exit handler
  }
  return { seconds, rssMiB, cpuSeconds: userSeconds + systemSeconds, userSeconds, systemSeconds, stdout: result.stdout };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Runs `fn` `times` times (after `before` each) and keeps the median time and the largest memory. */
export function repeat(times, fn, before = () => {}) {
  const runs = [];
  for (let i = 0; i < times; i++) {
    before();
    runs.push(fn());
  }
  return { seconds: median(runs.map((r) => r.seconds)), rssMiB: Math.max(...runs.map((r) => r.rssMiB)) };
}
