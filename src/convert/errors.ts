/** Base class for every failure of the Keras -> ONNX conversion. */
export class ConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The model JSON is not a Keras layers-model topology we can read. */
export class TopologyError extends ConversionError {}

/** Weight specs/data are missing, malformed or do not fit a layer. */
export class WeightError extends ConversionError {}

/** A layer class that has no handler in the layer table. */
export class UnsupportedLayerError extends ConversionError {
  constructor(
    readonly layerName: string,
    readonly className: string,
  ) {
    super(`Unsupported Keras layer "${layerName}" of class "${className}"`);
  }
}

/** A supported layer class used with a configuration we cannot express. */
export class UnsupportedConfigError extends ConversionError {
  constructor(
    readonly layerName: string,
    readonly className: string,
    readonly detail: string,
  ) {
    super(`Keras layer "${layerName}" (${className}): ${detail}`);
  }
}
