import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { StoredVersion } from './model-store.js';

/**
 * A TensorFlow.js IOHandler over plain files: `model.json` (topology and weight manifest, the
 * format of `model.save('file://…')`) and `weights.bin` (`<name>.json`, `<name>.weights.bin` for
 * another name). tfjs-node's `file://` handler
 * needs the native library, which is missing where tfjs-node could not be installed.
 */
export class FilesIOHandler implements tf.io.IOHandler {
  /** Filled by `save`: the two files to write. */
  files: Record<string, string | Uint8Array> = {};

  constructor(
    private readonly name: string,
    private readonly source?: Pick<StoredVersion, 'readText' | 'read' | 'dir'>,
  ) {}

  get jsonFile(): string {
    return `${this.name}.json`;
  }

  get weightsFile(): string {
    return this.name === 'model' ? 'weights.bin' : `${this.name}.weights.bin`;
  }

  async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    const modelJson: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as object,
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: [this.weightsFile], weights: artifacts.weightSpecs ?? [] }],
      ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    };
    this.files = { [this.jsonFile]: `${JSON.stringify(modelJson)}\n`, [this.weightsFile]: new Uint8Array(weights) };
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }

  async load(): Promise<tf.io.ModelArtifacts> {
    if (!this.source) throw new Error('FilesIOHandler: no version to load from');
    const source = this.source;
    const modelJson = JSON.parse(source.readText(this.jsonFile)) as tf.io.ModelJSON;
    return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
      const specs = manifest.flatMap((group) => group.weights);
      const buffers = manifest.flatMap((group) => group.paths).map((path) => {
        const bytes = source.read(path);
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      });
      return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
    });
  }
}

/** The files that hold `model`: `model.json` and `weights.bin` (or `<name>.json`, `<name>.weights.bin`). */
export async function layersModelFiles(model: tfl.LayersModel, name = 'model'): Promise<Record<string, string | Uint8Array>> {
  const handler = new FilesIOHandler(name);
  await model.save(handler);
  return handler.files;
}

/** Loads the model saved by `layersModelFiles` from a stored version. */
export async function loadLayersModelFrom(version: Pick<StoredVersion, 'readText' | 'read' | 'dir'>, name = 'model'): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(new FilesIOHandler(name, version));
}
