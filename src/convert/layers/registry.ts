import { activationHandlers } from './activation.js';
import { convHandlers } from './conv.js';
import { coreHandlers } from './core.js';
import { mergeHandlers } from './merge.js';
import { normalizationHandlers } from './normalization.js';
import { poolingHandlers } from './pooling.js';
import { reshapeHandlers } from './reshape.js';
import type { LayerHandler } from './types.js';

/** Keras class name -> handler (tf2onnx-style table); the converter core only looks classes up here. */
export const layerHandlers: Readonly<Record<string, LayerHandler>> = Object.freeze({
  ...coreHandlers,
  ...convHandlers,
  ...poolingHandlers,
  ...normalizationHandlers,
  ...activationHandlers,
  ...mergeHandlers,
  ...reshapeHandlers,
});

export function supportedLayerClasses(): string[] {
  return Object.keys(layerHandlers).sort();
}
