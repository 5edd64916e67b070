/**
 * A slow, obviously correct implementation of the update rule documented in
 * src/learn/sgd.ts, for checking the fast learner against: plain number arrays, one
 * entry list per row, no strided table, no lazy folding. Every weight is recomputed from
 * its state whenever it is needed, and the per-pass average is accumulated densely:
 * after every step, every weight is added in.
 *
 * One documented difference: the fast learner holds a weight absent from a row at its
 * value from its last update while averaging, whereas this one averages the exact
 * current value. They agree when l1 = l2 = 0 or when every feature is in every row.
 */
import type { LearnerSpec } from '../../src/learn/sgd.js';
import { DEFAULT_LEARNING_RATE } from '../../src/learn/sgd.js';

const BETA = 1;

export interface Entry {
  index: number;
  value: number;
}

export class ReferenceLearner {
  private readonly K: number;
  private readonly alpha: number;
  private readonly averaging: boolean;
  /** Largest |x| per feature. */
  private readonly scale: number[];
  /** z, n and the per-pass Σ q·w per [feature][output]; the bias is feature `dimension`. */
  private readonly z: number[][];
  private readonly n: number[][];
  private readonly sums: number[][];
  private examples = 0;
  private step = 0;
  private model: number[][] | null = null;

  constructor(private readonly spec: LearnerSpec) {
    this.K = spec.task === 'multiclass' ? spec.classes : 1;
    this.alpha = spec.learningRate ?? DEFAULT_LEARNING_RATE;
    this.averaging = spec.averaging ?? true;
    const rows = spec.dimension + 1;
    this.scale = Array.from({ length: rows }, (_, i) => (i === spec.dimension ? 1 : 0));
    this.z = Array.from({ length: rows }, () => new Array<number>(this.K).fill(0));
    this.n = Array.from({ length: rows }, () => new Array<number>(this.K).fill(0));
    this.sums = Array.from({ length: rows }, () => new Array<number>(this.K).fill(0));
  }

  /**
   * The live real weight: FTRL-proximal's closed form in normalized units, divided by the
   * scale. The penalty is on the real weight w = u / scale, so in normalized units u it
   * is l1·|u| / scale + ½·l2·u² / scale².
   */
  liveWeight(i: number, k: number): number {
    if (this.scale[i] === 0) return 0;
    const isBias = i === this.spec.dimension;
    const l1 = isBias ? 0 : (this.spec.l1 * this.examples) / this.scale[i]!;
    const l2 = isBias ? 0 : (this.spec.l2 * this.examples) / this.scale[i]! ** 2;
    const z = this.z[i]![k]!;
    if (Math.abs(z) <= l1) return 0;
    const normalized = -(z - Math.sign(z) * l1) / ((BETA + Math.sqrt(this.n[i]![k]!)) / this.alpha + l2);
    return normalized / this.scale[i]!;
  }

  margins(row: readonly Entry[]): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.K; k++) {
      let m = this.model ? this.model[this.spec.dimension]![k]! : this.liveWeight(this.spec.dimension, k);
      for (const { index, value } of row) {
        m += (this.model ? this.model[index]![k]! : this.liveWeight(index, k)) * value;
      }
      out.push(m);
    }
    return out;
  }

  learn(row: readonly Entry[], y: number, importance: number): void {
    if (row.some((e) => !Number.isFinite(e.value))) return;
    if (!(importance > 0 && importance < Infinity)) return;
    for (const { index, value } of row) {
      const magnitude = Math.abs(value);
      if (magnitude <= this.scale[index]!) continue;
      if (this.scale[index]! > 0) {
        const ratio = this.scale[index]! / magnitude;
        for (let k = 0; k < this.K; k++) {
          this.z[index]![k]! *= ratio;
          this.n[index]![k]! *= ratio * ratio;
        }
      }
      this.scale[index] = magnitude;
    }

    // Live margins (the model is only for predictions after a pass).
    const margins: number[] = [];
    for (let k = 0; k < this.K; k++) {
      let m = this.liveWeight(this.spec.dimension, k);
      for (const { index, value } of row) m += this.liveWeight(index, k) * value;
      margins.push(m);
    }
    const gradients = this.marginGradients(margins, y).map((d) => importance * d);
    if (gradients.some((d) => !Number.isFinite(d))) return;

    for (const { index, value } of row) {
      if (value === 0) continue;
      for (let k = 0; k < this.K; k++) this.ftrlStep(index, k, (gradients[k]! * value) / this.scale[index]!);
    }
    for (let k = 0; k < this.K; k++) this.ftrlStep(this.spec.dimension, k, gradients[k]!);
    this.examples++;
    this.step++;
    if (this.averaging) {
      for (let i = 0; i <= this.spec.dimension; i++) {
        for (let k = 0; k < this.K; k++) this.sums[i]![k]! += this.step * this.liveWeight(i, k);
      }
    }
  }

  endPass(): void {
    const total = (this.step * (this.step + 1)) / 2;
    this.model = [];
    for (let i = 0; i <= this.spec.dimension; i++) {
      const weights: number[] = [];
      for (let k = 0; k < this.K; k++) {
        const live = this.liveWeight(i, k);
        let w = live;
        if (this.averaging && this.step > 0) {
          const keepZero = this.spec.l1 > 0 && live === 0 && i < this.spec.dimension;
          w = keepZero ? 0 : this.sums[i]![k]! / total;
          this.sums[i]![k] = 0;
        }
        weights.push(w);
      }
      this.model.push(weights);
    }
    this.step = 0;
  }

  weight(i: number, k: number): number {
    return this.model ? this.model[i]![k]! : this.liveWeight(i, k);
  }

  bias(k: number): number {
    return this.weight(this.spec.dimension, k);
  }

  /** d loss / d margin_k for each output. */
  private marginGradients(margins: number[], y: number): number[] {
    if (this.spec.task === 'regression') return [margins[0]! - y];
    if (this.spec.task === 'binary') return [1 / (1 + Math.exp(-margins[0]!)) - y];
    const max = Math.max(...margins);
    const exps = margins.map((m) => Math.exp(m - max));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((e, k) => e / total - (k === y ? 1 : 0));
  }

  /** FTRL-proximal: z += g - σ·w, n += g², σ = (√n_new - √n_old)/alpha. */
  private ftrlStep(i: number, k: number, g: number): void {
    const w = this.liveWeight(i, k) * this.scale[i]!;
    const n = this.n[i]![k]!;
    const sigma = (Math.sqrt(n + g * g) - Math.sqrt(n)) / this.alpha;
    this.z[i]![k] = this.z[i]![k]! + g - sigma * w;
    this.n[i]![k] = n + g * g;
  }
}
