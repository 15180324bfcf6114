import type { Output } from './output.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** An Output that can also take structured events (node started, node finished …). */
export interface StructuredOutput extends Output {
  event(name: string, level: LogLevel, msg: string, data: Record<string, unknown>): void;
}

export function isStructured(output: Output): output is StructuredOutput {
  return typeof (output as Partial<StructuredOutput>).event === 'function';
}

/**
 * `--log-format json`: every line becomes one JSON object in dbt's structured-log shape
 * (`{"info": {name, level, msg, ts, invocation_id}, "data": {…}}`), on stdout, so log
 * collectors and CI tools can parse a run; colours are stripped.
 */
export function jsonLogOutput(base: Output, invocationId: string): StructuredOutput {
  const write = (name: string, level: LogLevel, msg: string, data: Record<string, unknown>) =>
    base.out(JSON.stringify({ info: { name, level, msg: plain(msg), ts: new Date().toISOString(), invocation_id: invocationId }, data }));
  return {
    out: (line) => write('Message', 'info', line, {}),
    err: (line) => write('Message', 'error', line, {}),
    event: write,
  };
}

// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');
