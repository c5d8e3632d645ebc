import * as tf from '@tensorflow/tfjs';
import type { ExportedModel } from '../protocol';
import { WEIGHTS_FILE } from '../export/tfjs-exporter';
import { StreamDropout } from './stream-dropout';

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

/** StreamDropout is the identity at inference: declare the stock Dropout so plain TF.js (and Keras) load it. */
function withStockDropout(topology: tf.io.ModelArtifacts['modelTopology']): object {
  const copy = structuredClone(topology) as { config?: { layers?: LayerJson[] } };
  for (const layer of copy.config?.layers ?? []) {
    if (layer.class_name === StreamDropout.className) {
      layer.class_name = 'Dropout';
      layer.config = { ...layer.config, noise_shape: null, seed: null };
    }
  }
  return copy;
}

/** model.json (topology, weights manifest, metadata) and one weights file, as `tf.loadLayersModel` reads them. */
export async function exportLayersModel(model: tf.LayersModel, metadata: Record<string, string | number | boolean | string[]>): Promise<ExportedModel> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const artifacts = saved as tf.io.ModelArtifacts | null;
  if (!artifacts?.weightData || !artifacts.weightSpecs) throw new Error('model.save produced no weights');
  const modelJson: tf.io.ModelJSON = {
    modelTopology: withStockDropout(artifacts.modelTopology),
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: 'finetune-trainer',
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
    userDefinedMetadata: metadata,
  };
  return {
    modelJson: JSON.stringify(modelJson),
    weightsFileName: WEIGHTS_FILE,
    weights: tf.io.CompositeArrayBuffer.join(artifacts.weightData),
  };
}
