import * as tf from '@tensorflow/tfjs';
import { beforeAll } from 'vitest';

/** Tiny models run fine on the pure-JS cpu backend (deterministic, no wasm init). */
export function useCpuBackend(): void {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  });
}

export type Sym = tf.SymbolicTensor;

/** layer.apply with the symbolic-tensor typing the tests need. */
export function ap(layer: tf.layers.Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

/** Single-input functional model. */
export function functional(shape: number[], body: (x: Sym) => Sym | Sym[]): tf.LayersModel {
  const x = tf.input({ shape, name: 'image' });
  return tf.model({ inputs: x, outputs: body(x) });
}
