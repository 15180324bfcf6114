import { randomUUID } from 'node:crypto';

export interface InvocationInfo {
  readonly invocationId: string;
  readonly startedAt: string;
}

export function newInvocation(): InvocationInfo {
  return { invocationId: randomUUID(), startedAt: new Date().toISOString() };
}

/** dbt's artifact metadata block; `dbt_version` names Reel's version instead. */
export function artifactMetadata(schemaVersion: string, invocation: InvocationInfo) {
  return {
    dbt_schema_version: schemaVersion,
    dbt_version: 'reel-0.1.0',
    generated_at: new Date().toISOString(),
    invocation_id: invocation.invocationId,
    invocation_started_at: invocation.startedAt,
    env: {},
  };
}
