/**
 * Class names Keras itself ships. A layer class outside this set (or one serialised with a
 * non-Keras module or a `package>Name` registered name) is a custom object: Keras cannot load the
 * model without the user's Python code either, so we refuse it by name instead of guessing.
 * Source: the `keras.layers` exports of Keras 3 (keras/api/layers/__init__.py) plus the classes
 * only tf.keras 2.x and TF.js wrote (ThresholdedReLU, LocallyConnected*, TF op wrappers, ...).
 */
export const KERAS_LAYER_CLASSES: ReadonlySet<string> = new Set([
  // Keras 3 keras.layers
  'Activation', 'ActivityRegularization', 'AdaptiveAveragePooling1D', 'AdaptiveAveragePooling2D', 'AdaptiveAveragePooling3D',
  'AdaptiveMaxPooling1D', 'AdaptiveMaxPooling2D', 'AdaptiveMaxPooling3D', 'Add', 'AdditiveAttention', 'AlphaDropout', 'Attention',
  'AugMix', 'AutoContrast', 'Average', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D', 'AvgPool1D', 'AvgPool2D',
  'AvgPool3D', 'BatchNormalization', 'Bidirectional', 'CategoryEncoding', 'CenterCrop', 'Concatenate',
  'ContrastLimitedAdaptiveHistogramEqualization', 'Conv1D', 'Conv1DTranspose', 'Conv2D', 'Conv2DTranspose', 'Conv3D',
  'Conv3DTranspose', 'ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D', 'Convolution1D', 'Convolution1DTranspose', 'Convolution2D',
  'Convolution2DTranspose', 'Convolution3D', 'Convolution3DTranspose', 'Cropping1D', 'Cropping2D', 'Cropping3D', 'CutMix', 'Dense',
  'DepthwiseConv1D', 'DepthwiseConv2D', 'Discretization', 'Dot', 'Dropout', 'ELU', 'EinsumDense', 'Embedding', 'Equalization',
  'Flatten', 'FlaxLayer', 'GRU', 'GRUCell', 'GaussianDropout', 'GaussianNoise', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D',
  'GlobalAveragePooling3D', 'GlobalAvgPool1D', 'GlobalAvgPool2D', 'GlobalAvgPool3D', 'GlobalMaxPool1D', 'GlobalMaxPool2D',
  'GlobalMaxPool3D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'GlobalMaxPooling3D', 'GroupNormalization', 'GroupQueryAttention',
  'HashedCrossing', 'Hashing', 'Identity', 'InputLayer', 'IntegerLookup', 'JaxLayer', 'LSTM', 'LSTMCell', 'Lambda',
  'LayerNormalization', 'LeakyReLU', 'Masking', 'MaxNumBoundingBoxes', 'MaxPool1D', 'MaxPool2D', 'MaxPool3D', 'MaxPooling1D',
  'MaxPooling2D', 'MaxPooling3D', 'Maximum', 'MelSpectrogram', 'Minimum', 'MixUp', 'MultiHeadAttention', 'Multiply', 'Normalization',
  'PReLU', 'Permute', 'Pipeline', 'RMSNormalization', 'RNN', 'RandAugment', 'RandomBrightness', 'RandomColorDegeneration',
  'RandomColorJitter', 'RandomContrast', 'RandomCrop', 'RandomElasticTransform', 'RandomErasing', 'RandomFlip', 'RandomGaussianBlur',
  'RandomGrayscale', 'RandomHue', 'RandomInvert', 'RandomPerspective', 'RandomPosterization', 'RandomRotation', 'RandomSaturation',
  'RandomSharpness', 'RandomShear', 'RandomTranslation', 'RandomZoom', 'ReLU', 'RepeatVector', 'Rescaling', 'Reshape', 'Resizing',
  'ReversibleEmbedding', 'STFTSpectrogram', 'SeparableConv1D', 'SeparableConv2D', 'SeparableConvolution1D', 'SeparableConvolution2D',
  'SimpleRNN', 'SimpleRNNCell', 'Softmax', 'Solarization', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D',
  'SpectralNormalization', 'StackedRNNCells', 'StringLookup', 'Subtract', 'TFSMLayer', 'TernaryDense', 'TextVectorization',
  'TimeDistributed', 'TorchModuleWrapper', 'UnitNormalization', 'UpSampling1D', 'UpSampling2D', 'UpSampling3D', 'Wrapper',
  'ZeroPadding1D', 'ZeroPadding2D', 'ZeroPadding3D',
  // tf.keras 2.x / TF.js only
  'ThresholdedReLU', 'LocallyConnected1D', 'LocallyConnected2D', 'CuDNNGRU', 'CuDNNLSTM', 'DenseFeatures', 'RandomHeight',
  'RandomWidth', 'TFOpLambda', 'SlicingOpLambda', 'TensorFlowOpLayer', 'AbstractRNNCell', 'StackedRNNCell',
  // models used as layers (nested models)
  'Functional', 'Model', 'Sequential',
]);
