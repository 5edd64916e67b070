/** The exact ridge fit the learner's tests compare the finish and the L2 path with. */
import type { ExampleBlock } from '../../src/learn/types.js';

/**
 * Least squares by the normal equations (Gaussian elimination with partial pivoting) on
 * `rows` of `block` (every row when absent): the exact minimizer of
 * ½·mean (x·w + b − y)² + ½·l2·Σw² (bias unpenalized), weights then bias.
 */
export function leastSquares(block: ExampleBlock, dimension: number, l2 = 0, rows?: readonly number[]): Float64Array {
  const n = dimension + 1;
  const a = Array.from({ length: n }, () => new Float64Array(n + 1));
  const x = new Float64Array(n);
  const count = rows?.length ?? block.count;
  for (let i = 0; i < count; i++) {
    const r = rows === undefined ? i : rows[i]!;
    x.fill(0);
    for (let j = block.offsets[r]!; j < block.offsets[r + 1]!; j++) x[block.indices[j]!] = block.values[j]!;
    x[dimension] = 1;
    for (let p = 0; p < n; p++) {
      for (let q = 0; q < n; q++) a[p]![q]! += x[p]! * x[q]!;
      a[p]![n]! += x[p]! * block.labels[r]!;
    }
  }
  for (let p = 0; p < dimension; p++) a[p]![p]! += count * l2;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[pivot]![c]!)) pivot = r;
    [a[c], a[pivot]] = [a[pivot]!, a[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / a[c]![c]!;
      for (let j = c; j <= n; j++) a[r]![j]! -= f * a[c]![j]!;
    }
  }
  return Float64Array.from({ length: n }, (_, i) => a[i]![n]! / a[i]![i]!);
}
