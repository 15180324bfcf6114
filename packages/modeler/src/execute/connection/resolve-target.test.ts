import { describe, expect, it } from 'vitest';
import { writeProject } from '../../../test/fixture.js';
import { ReelError } from '../../errors/index.js';
import { resolveTarget, type TargetOptions } from './resolve-target.js';

const profiles = `demo:
  target: dev
  outputs:
    dev:
      type: embedded
      schema: analytics
      schema_prefix: dev_{{env "USER_NAME" "me"}}
    ci:
      type: postgres
      host: db.internal
      port: 5433
      user: reel
      password: '{{env "CI_DB_PASSWORD"}}'
      dbname: warehouse
      schema: analytics
      threads: 8
    prod:
      url: postgres://reel:hunter2@prod.internal/warehouse?sslmode=require
`;

function resolve(options: Partial<TargetOptions> & { env?: Record<string, string> }, files: Record<string, string> = { 'profiles.yml': profiles }) {
  return resolveTarget({ projectRoot: writeProject(files), profile: 'demo', env: {}, ...options });
}

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ReelError) return error.toString().replace(/^\/\S+\//, '');
    throw error;
  }
  throw new Error('expected an error');
}

describe('resolveTarget', () => {
  it('takes --target from profiles.yml, with env values and the password masked', () => {
    const ci = resolve({ target: 'ci', env: { CI_DB_PASSWORD: 's3cret' } });
    expect(ci).toMatchObject({ name: 'ci', kind: 'url', schema: 'analytics', threads: 8 });
    expect(ci.url).toBe('postgres://reel:s3cret@db.internal:5433/warehouse');
    expect(ci.display).toBe('postgres://reel:****@db.internal:5433/warehouse');
    expect(resolve({ target: 'prod' }).display).toBe('postgres://reel:****@prod.internal/warehouse?sslmode=require');
  });

  it('prefers DATABASE_URL to the profile default, and --target to DATABASE_URL', () => {
    const env = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' };
    expect(resolve({ env })).toMatchObject({ kind: 'url', name: 'DATABASE_URL', schema: 'public' });
    expect(resolve({ env, target: 'dev' })).toMatchObject({ kind: 'embedded', name: 'dev', schema: 'analytics', schemaPrefix: 'dev_me' });
    expect(resolve({ env: { USER_NAME: 'ana' } })).toMatchObject({ kind: 'embedded', name: 'dev', schemaPrefix: 'dev_ana' });
  });

  it('falls back to the embedded default without DATABASE_URL or profiles.yml', () => {
    expect(resolve({}, {})).toMatchObject({ kind: 'embedded', name: 'embedded', schema: 'public' });
  });

  it('says which target was meant, and what is missing', () => {
    expect(failure(() => resolve({ target: 'prd' }))).toBe('profiles.yml:3:3  profile "demo" has no target "prd"; did you mean "prod"?\n    fix: targets are: dev, ci, prod');
    expect(failure(() => resolve({ target: 'ci' }))).toBe('profiles.yml:13:17  target "ci" reads environment variable CI_DB_PASSWORD, which is not set\n    fix: export CI_DB_PASSWORD=… or give a default: {{env "CI_DB_PASSWORD" "default"}}');
    expect(failure(() => resolve({ target: 'ci' }, {}))).toBe('--target ci needs a profiles.yml, and none was found\n    fix: create profiles.yml in the project (or ~/.reel/, or pass --profiles-dir) with the target under outputs:');
    expect(failure(() => resolve({ env: { DATABASE_URL: 'mysql://x@y/z' } }))).toBe('DATABASE_URL must start with postgres:// or postgresql://, not mysql://\n    fix: use postgres://user:password@host:5432/database');
    expect(failure(() => resolve({ profile: 'dmo' }))).toBe('profiles.yml:1  profiles.yml has no profile "dmo"; did you mean "demo"?\n    fix: add a top-level "dmo:" entry with target: and outputs:, or set profile: in reel_project.yml');
  });
});
