import ort from '../../runtime/onnxruntime.js';

export interface OnnxCheckResult {
  inputNames: string[];
  outputNames: string[];
}

/**
 * Structural check: ONNX Runtime must accept the model (parses the proto,
 * validates opset/op schemas and types, runs its shape inference).
 * Throws ORT's error if it does not.
 */
export async function checkOnnxModel(bytes: Uint8Array): Promise<OnnxCheckResult> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  try {
    return { inputNames: [...session.inputNames], outputNames: [...session.outputNames] };
  } finally {
    await session.release();
  }
}
