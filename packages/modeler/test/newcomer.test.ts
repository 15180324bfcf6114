import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The README's path for a newcomer, as real processes of the built CLI (dist/, with its worker
// threads): `model init`, then `model build` with no DATABASE_URL and no profiles.yml, which
// starts the embedded PostgreSQL 18 under the project's .reel/ and stops it on exit.
const cli = fileURLToPath(new URL('../bin/model.js', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'reel-newcomer-home-'));
const project = join(home, 'streaming');

function model(args: string[]) {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), HOME: home, NO_COLOR: '1' };
  delete env.DATABASE_URL;
  const result = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('a newcomer following the README', () => {
  it('creates a project and builds it green on the embedded default', () => {
    const init = model(['init', project]);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);

    const build = model(['build', '--project-dir', project]);
    expect(build.stderr).toBe('');
    expect(build.code).toBe(0);
    expect(build.stdout).toMatch(/embedded PostgreSQL/);
    const results = JSON.parse(readFileSync(join(project, 'target/run_results.json'), 'utf8')) as { results: { unique_id: string; status: string }[] };
    const byKind = (kind: string) => results.results.filter((r) => r.unique_id.startsWith(`${kind}.`));
    expect(byKind('seed').length).toBeGreaterThan(0);
    expect(byKind('model').length).toBeGreaterThanOrEqual(3);
    expect(byKind('test').length).toBeGreaterThan(0);
    expect(results.results.filter((r) => r.status !== 'success' && r.status !== 'pass')).toEqual([]);
    // Nothing is left running once the command is done.
    expect(existsSync(join(project, '.reel/postgres/data/postmaster.pid'))).toBe(false);

    // A second build reuses the same cluster and data.
    const again = model(['build', '--project-dir', project]);
    expect(again.code).toBe(0);
  });
});
