/** A fitted logistic regression, as saved in `baselines.json`. */
export interface LogisticModel {
  readonly kind: 'logistic-regression';
  readonly intercept: number;
  readonly coefficients: readonly number[];
  readonly l2: number;
  readonly iterations: number;
}

export interface LogisticOptions {
  /** Ridge penalty on the coefficients (not the intercept), per unit of total sample weight. */
  readonly l2?: number;
  readonly maxIterations?: number;
  readonly tolerance?: number;
}

/**
 * Weighted, L2-regularised logistic regression by Newton's method (IRLS): exact and deterministic,
 * the baseline the neural model must beat on the same preprocessed matrix and class weights.
 * `x` is row-major (rows × width); `weights` gives each row's weight (class weights).
 */
export function fitLogisticRegression(x: Float32Array, y: ArrayLike<number>, width: number, weights: ArrayLike<number>, options: LogisticOptions = {}): LogisticModel {
  const n = y.length;
  const d = width + 1;
  const l2 = options.l2 ?? 1e-4;
  let totalWeight = 0;
  for (let i = 0; i < n; i++) totalWeight += weights[i]!;
  const penalty = l2 * totalWeight;
  const beta = new Float64Array(d);
  const gradient = new Float64Array(d);
  const hessian = new Float64Array(d * d);
  const row = new Float64Array(d);
  let iterations = 0;
  for (; iterations < (options.maxIterations ?? 50); iterations++) {
    gradient.fill(0);
    hessian.fill(0);
    for (let i = 0; i < n; i++) {
      row[0] = 1;
      for (let j = 0; j < width; j++) row[j + 1] = x[i * width + j]!;
      let z = 0;
      for (let j = 0; j < d; j++) z += beta[j]! * row[j]!;
      const p = 1 / (1 + Math.exp(-z));
      const w = weights[i]!;
      const residual = w * (p - y[i]!);
      const curvature = w * Math.max(p * (1 - p), 1e-10);
      for (let j = 0; j < d; j++) {
        const rj = row[j]!;
        if (rj === 0) continue;
        gradient[j]! += residual * rj;
        const c = curvature * rj;
        for (let k = 0; k <= j; k++) hessian[j * d + k]! += c * row[k]!;
      }
    }
    for (let j = 1; j < d; j++) {
      gradient[j]! += penalty * beta[j]!;
      hessian[j * d + j]! += penalty;
    }
    hessian[0]! += 1e-9 * totalWeight;
    const step = solveSymmetric(hessian, gradient, d);
    let largest = 0;
    for (let j = 0; j < d; j++) {
      beta[j]! -= step[j]!;
      largest = Math.max(largest, Math.abs(step[j]!));
    }
    if (largest < (options.tolerance ?? 1e-7)) {
      iterations++;
      break;
    }
  }
  return { kind: 'logistic-regression', intercept: beta[0]!, coefficients: Array.from(beta.subarray(1)), l2, iterations };
}

/** Probabilities for the rows of `x` (row-major, rows × width). */
export function predictLogistic(model: LogisticModel, x: Float32Array, width: number): Float64Array {
  const rows = x.length / width;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = model.intercept;
    for (let j = 0; j < width; j++) z += model.coefficients[j]! * x[i * width + j]!;
    out[i] = 1 / (1 + Math.exp(-z));
  }
  return out;
}

/** Solves A·s = b for symmetric positive definite A (lower triangle filled) by Cholesky. */
function solveSymmetric(lower: Float64Array, b: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let sum = lower[j * d + j]!;
    for (let k = 0; k < j; k++) sum -= l[j * d + k]! ** 2;
    const diagonal = Math.sqrt(Math.max(sum, 1e-12));
    l[j * d + j] = diagonal;
    for (let i = j + 1; i < d; i++) {
      let s = lower[i * d + j]!;
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      l[i * d + j] = s / diagonal;
    }
  }
  const z = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * d + k]! * z[k]!;
    z[i] = s / l[i * d + i]!;
  }
  const out = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < d; k++) s -= l[k * d + i]! * out[k]!;
    out[i] = s / l[i * d + i]!;
  }
  return out;
}
