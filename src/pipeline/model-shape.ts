/** What a model declares about its input and output, whatever its format. */
export interface ModelShape {
  layout: 'NHWC' | 'NCHW';
  height: number | null;
  width: number | null;
  channels: number | null;
  classes: number | null;
  activation: 'softmax' | 'none';
  /** A batch size the model fixes (ONNX exports often fix 1). */
  fixedBatch?: number;
}

