/** The k most probable classes, best first. */
export interface Prediction {
  label: string;
  probability: number;
  index: number;
}

export function topK(probabilities: ArrayLike<number>, labels: readonly string[], k: number): Prediction[] {
  const n = Math.min(k, probabilities.length);
  // Selection into a small sorted window: O(classes * k) beats sorting all 1000 for the usual k=5.
  const best: number[] = [];
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i];
    if (best.length === n && p <= probabilities[best[n - 1]]) continue;
    let j = best.length < n ? best.length : n - 1;
    while (j > 0 && probabilities[best[j - 1]] < p) {
      if (j < n) best[j] = best[j - 1];
      j--;
    }
    best[j] = i;
  }
  return best.map((index) => ({ label: labels[index] ?? String(index), probability: probabilities[index], index }));
}
