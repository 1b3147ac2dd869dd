/**
 * The three usual ways a classifier expects its pixels, as Keras' `preprocess_input` modes name
 * them (keras/src/applications/imagenet_utils.py): mean and std are in 0-255 units, per channel in
 * the model's channel order, so that `(pixel - mean) / std` is the model's input.
 */
import type { Normalization } from './normalize.js';

export type PresetName = 'caffe' | 'tf' | 'torch';

const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
const x255 = (v: readonly [number, number, number]): [number, number, number] => [v[0] * 255, v[1] * 255, v[2] * 255];

export const PRESETS: Record<PresetName, Omit<Normalization, 'layout'>> = {
  /** Keras ResNet50/VGG: RGB -> BGR, ImageNet means subtracted, no scaling. */
  caffe: { channelOrder: 'BGR', mean: [103.939, 116.779, 123.68], std: [1, 1, 1] },
  /** MobileNet, Inception, EfficientNetV2...: scaled to [-1, 1]. */
  tf: { channelOrder: 'RGB', mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] },
  /** torchvision: RGB / 255, then ImageNet mean/std. */
  torch: { channelOrder: 'RGB', mean: x255(IMAGENET_MEAN), std: x255(IMAGENET_STD) },
};
