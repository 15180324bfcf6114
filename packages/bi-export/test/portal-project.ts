import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '@reel/modeler';
import { loadRun, simulate } from '@reel/simulator';
import { expect } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../modeler/test/database.js';
import { hashPassword } from '../src/serve/password-hash.js';
import { parsePortalConfig, type PortalConfig } from '../src/serve/portal-config.js';

const models = fileURLToPath(new URL('../../models', import.meta.url));

export interface PortalProject {
  readonly db: TestDatabase;
  readonly project: string;
  cleanUp(): Promise<void>;
}

/**
 * The real models project in a database of its own, built on a small simulated dataset (in a copy
 * of the project, so that target/ is the test's). With `churnScores`, ml.churn_scores gets a made-up
 * score per member and the ml marts (at_risk_members) are built on it.
 */
export async function buildPortalProject(prefix: string, options: { users: number; days: number; churnScores?: boolean }): Promise<PortalProject> {
  const db = await createTestDatabase(prefix);
  const project = mkdtempSync(join(tmpdir(), 'reel-portal-models-'));
  const raw = mkdtempSync(join(tmpdir(), 'reel-portal-raw-'));
  try {
    for (const entry of ['reel_project.yml', 'models', 'macros', 'seeds', 'snapshots', 'tests']) {
      if (existsSync(join(models, entry))) cpSync(join(models, entry), join(project, entry), { recursive: true });
    }
    await simulate({ users: options.users, days: options.days, start: '2024-01-01', seed: 11, out: raw });
    await loadRun(raw, { projectDir: project, env: { DATABASE_URL: db.url } });
    const build = async (args: string[]) => {
      const lines: string[] = [];
      const code = await runCli(['build', '--project-dir', project, ...args], { out: (l) => lines.push(l), err: (l) => lines.push(l) }, { DATABASE_URL: db.url, NO_COLOR: '1' });
      expect(code, lines.join('\n')).toBe(0);
    };
    await build(['--exclude', 'tag:ml']);
    if (options.churnScores) {
      // What `ml score churn` writes, with scores made up from the user id (the ml package tests the model).
      await db.query(`create schema if not exists ml`);
      await db.query(`create table ml.churn_scores as
        select user_id, ((user_id * 7919) % 1000) / 1000.0 as score,
               case when (user_id * 7919) % 1000 >= 900 then 'high' when (user_id * 7919) % 1000 >= 700 then 'medium' else 'low' end as risk_band,
               'test-1' as model_version, now() as scored_at
        from marts.dim_users`);
      await build(['-s', 'tag:ml']);
    }
  } catch (error) {
    // A failed build must not leave its database behind (afterAll sees no project to clean up).
    await db.drop();
    rmSync(project, { recursive: true, force: true });
    throw error;
  } finally {
    rmSync(raw, { recursive: true, force: true });
  }
  return {
    db,
    project,
    async cleanUp() {
      await db.drop();
      rmSync(project, { recursive: true, force: true });
    },
  };
}

type TestUser = { name: string; password: string; role: 'admin' | 'analyst' | 'viewer'; regions: string[] };

/** The YAML of a users file, with cheap hashes (N = 2^10: tests only). */
export async function portalUsersYaml(users: TestUser[]): Promise<string> {
  const lines = ['users:'];
  for (const u of users) {
    lines.push(`  - name: ${JSON.stringify(u.name)}`, `    role: ${u.role}`, `    regions: ${JSON.stringify(u.regions)}`, `    password_hash: ${JSON.stringify(await hashPassword(u.password, { N: 1024, r: 8, p: 1 }))}`);
  }
  return `${lines.join('\n')}\n`;
}

/** portalUsersYaml, read as `bi serve` reads it. */
export async function portalUsers(users: TestUser[]): Promise<PortalConfig> {
  return parsePortalConfig(await portalUsersYaml(users), 'portal.yml');
}
