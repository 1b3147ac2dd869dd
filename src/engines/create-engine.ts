/** Builds an engine in this thread from its plain-data spec (the worker calls this too). */
import type { EngineSpec, InferenceEngine } from './engine.js';
import { OnnxEngine } from './onnx-engine.js';
import { TfjsEngine } from './tfjs-engine.js';

export async function createEngine(spec: EngineSpec): Promise<InferenceEngine> {
  switch (spec.engine) {
    case 'onnx':
      return OnnxEngine.load(spec.modelPath, spec.threads, spec.precision, spec.inputLayout);
    case 'tfjs':
      return TfjsEngine.load(spec.modelJsonPath);
  }
}
