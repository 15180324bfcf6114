import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface Runtime {
  readonly tf: typeof tf;
  /** The backend in use: tensorflow (tfjs-node, native), wasm, or cpu. */
  readonly backend: BackendName;
  /** Why a faster backend was not used, when one was not. */
  readonly fallbackReason?: string;
}

const require = createRequire(import.meta.url);
let chosen: Promise<Runtime> | undefined;

/**
 * The fastest backend that works here: tfjs-node (its native libtensorflow is downloaded at
 * install time and is missing on machines without internet), else WASM, else plain JS.
 * `REEL_ML_BACKEND=wasm|cpu` forces one, for reproducing a run elsewhere.
 */
export function loadRuntime(env: Readonly<Record<string, string | undefined>> = process.env): Promise<Runtime> {
  chosen ??= pick(env.REEL_ML_BACKEND as BackendName | undefined);
  return chosen;
}

async function pick(forced: BackendName | undefined): Promise<Runtime> {
  const reasons: string[] = [];
  if (!forced || forced === 'tensorflow') {
    try {
      // A broken install (no native library) throws here, at load time.
      await import('@tensorflow/tfjs-node' as string);
      if (await tf.setBackend('tensorflow')) return { tf, backend: 'tensorflow' };
      reasons.push('tfjs-node did not register');
    } catch (error) {
      reasons.push(`tfjs-node unavailable (${firstLine(error)})`);
    }
  }
  if (!forced || forced === 'wasm') {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}${join('/', 'dist')}/`);
      if (await tf.setBackend('wasm')) return { tf, backend: 'wasm', ...(reasons.length ? { fallbackReason: reasons.join('; ') } : {}) };
      reasons.push('wasm backend did not initialise');
    } catch (error) {
      reasons.push(`wasm unavailable (${firstLine(error)})`);
    }
  }
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  return { tf, backend: 'cpu', ...(reasons.length ? { fallbackReason: reasons.join('; ') } : {}) };
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!.slice(0, 160);
}
