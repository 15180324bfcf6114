import { main } from '../src/cli/main.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the `model` CLI in-process and captures what it prints (without colour). */
export async function runModel(args: readonly string[], env: Record<string, string | undefined>): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) }, { ...env, NO_COLOR: '1' });
  // eslint-disable-next-line no-control-regex
  const strip = (lines: string[]) => lines.join('\n').replace(/\u001b\[[0-9;]*m/g, '');
  return { code, stdout: strip(out), stderr: strip(err) };
}
