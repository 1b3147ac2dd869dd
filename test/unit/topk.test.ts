import { describe, expect, it } from 'vitest';
import { topK } from '../../src/service/topk.js';

function reference(p: number[], k: number): number[] {
  return p.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, k).map(([, i]) => i);
}

describe('topK', () => {
  const labels = Array.from({ length: 1000 }, (_, i) => `c${i}`);

  it('matches a full sort for random vectors and every k', () => {
    let seed = 42;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 20; trial++) {
      const p = Array.from({ length: 1000 }, rand);
      for (const k of [1, 5, 17, 1000]) expect(topK(p, labels, k).map((x) => x.index)).toEqual(reference(p, k));
    }
  });

  it('returns labels and probabilities, best first, ties by index', () => {
    const p = [0.1, 0.5, 0.1, 0.3];
    expect(topK(p, ['a', 'b', 'c', 'd'], 3)).toEqual([
      { label: 'b', probability: 0.5, index: 1 },
      { label: 'd', probability: 0.3, index: 3 },
      { label: 'a', probability: 0.1, index: 0 },
    ]);
  });

  it('caps k at the number of classes', () => {
    expect(topK([0.2, 0.8], ['a', 'b'], 5).map((x) => x.label)).toEqual(['b', 'a']);
  });
});
