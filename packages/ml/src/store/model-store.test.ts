import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRuntime, type Runtime } from '../runtime.js';
import { layersModelFiles, loadLayersModelFrom } from './layers-io.js';
import { ModelStore, versionName } from './model-store.js';

const at = new Date('2024-03-15T09:30:12.345Z');
const content = (summary: Record<string, number>) => (version: string) => ({
  files: { 'metrics.json': JSON.stringify({ version }) },
  info: { backend: 'cpu', data: 'fixture', summary },
});

describe('ModelStore', () => {
  it('saves sortable versions, unique within a second, and finds them by name, prefix or latest', () => {
    const store = new ModelStore(mkdtempSync(join(tmpdir(), 'reel-ml-store-')));
    expect(versionName(at)).toBe('20240315-093012');
    const first = store.save('churn', content({ test_auc: 0.7 }), at);
    const second = store.save('churn', content({ test_auc: 0.8 }), at);
    const recs = store.save('recs', content({ ndcg_at_10: 0.2 }), new Date('2024-03-16T00:00:00Z'));
    expect([first.version, second.version]).toEqual(['20240315-093012', '20240315-093013']);
    expect(second.readJson<{ version: string }>('metrics.json').version).toBe('20240315-093013');
    expect(second.info).toMatchObject({ task: 'churn', version: '20240315-093013', createdAt: at.toISOString(), backend: 'cpu', summary: { test_auc: 0.8 } });
    expect(store.list().map((v) => `${v.task}/${v.version}`)).toEqual(['churn/20240315-093012', 'churn/20240315-093013', 'recs/20240316-000000']);
    expect(store.latest('churn')!.version).toBe('20240315-093013');
    expect(store.get('latest', 'churn').version).toBe('20240315-093013');
    expect(store.get('20240316').task).toBe('recs');
    expect(recs.has('metrics.json')).toBe(true);
    // Nothing half-written is left beside the versions.
    expect(readdirSync(join(store.root, 'churn'))).toEqual(['20240315-093012', '20240315-093013']);
  });

  it('says what there is when a version is unknown or ambiguous', () => {
    const store = new ModelStore(mkdtempSync(join(tmpdir(), 'reel-ml-store-')));
    expect(() => store.get('latest', 'churn')).toThrow(`there are no churn models in ${store.root}/churn`);
    store.save('churn', content({}), at);
    store.save('recs', content({}), at);
    expect(() => store.get('2023')).toThrow(`there is no model version "2023" in ${store.root}; the newest are churn/20240315-093012, recs/20240315-093012`);
    expect(() => store.get('20240315-093012')).toThrow('model version "20240315-093012" matches churn/20240315-093012, recs/20240315-093012');
    expect(() => store.get('latest')).toThrow('"latest" is ambiguous: there are models of churn and recs');
  });
});

describe('FilesIOHandler', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await loadRuntime();
  });

  it('saves a tfjs-layers model as model.json + weights.bin and loads it back with the same outputs', async () => {
    const { tf } = runtime;
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [2], activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }), tfl.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) })] });
    const files = await layersModelFiles(model);
    expect(Object.keys(files).sort()).toEqual(['model.json', 'weights.bin']);
    expect((files['weights.bin'] as Uint8Array).byteLength).toBe((2 * 3 + 3 + 3 * 1 + 1) * 4);
    const store = new ModelStore(mkdtempSync(join(tmpdir(), 'reel-ml-store-')));
    const saved = store.save('churn', () => ({ files, info: { backend: runtime.backend, data: 'fixture', summary: {} } }), at);
    const loaded = await loadLayersModelFrom(saved);
    const input = tf.tensor2d([[0.5, -1], [2, 3]]);
    expect(Array.from((loaded.predict(input) as ReturnType<typeof tf.tensor>).dataSync())).toEqual(Array.from((model.predict(input) as ReturnType<typeof tf.tensor>).dataSync()));
  });
});
