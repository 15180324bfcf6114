import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** Mixes integers into one 32-bit seed (the murmur3 finaliser), so nearby keys get unrelated streams. */
export function mixSeed(...keys: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const key of keys) {
    h = Math.imul(h ^ (key | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h | 0;
}

/**
 * A seeded random stream (xoroshiro128+ from pure-rand) with the distributions the simulator needs.
 * Every entity draws from its own stream (`Random.for(seed, kind, id)`), so what one user does never
 * shifts another user's numbers: output stays identical whatever the order or sharding of the work.
 */
export class Random {
  private readonly rng: ReturnType<typeof xoroshiro128plus>;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed);
    // The first outputs of a fresh xoroshiro state are weak for small seeds.
    for (let i = 0; i < 8; i++) this.rng.next();
  }

  static for(...keys: readonly number[]): Random {
    return new Random(mixSeed(...keys));
  }

  /** Uniform in [0, 1). */
  float(): number {
    return uniformFloat64(this.rng);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  between(low: number, high: number): number {
    return low + (high - low) * this.float();
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Standard normal (Marsaglia's polar method). */
  normal(mean = 0, sd = 1): number {
    if (this.spareNormal !== undefined) {
      const value = this.spareNormal;
      this.spareNormal = undefined;
      return mean + sd * value;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.float() - 1;
      v = 2 * this.float() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * factor;
    return mean + sd * u * factor;
  }

  logNormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }

  /** Poisson count: inversion for small means, a rounded normal for large ones. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 40) return Math.max(0, Math.round(this.normal(mean, Math.sqrt(mean))));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.float();
    while (p > limit) {
      k++;
      p *= this.float();
    }
    return k;
  }

  /** Gamma(shape, 1) (Marsaglia and Tsang), for Dirichlet taste profiles and Beta completions. */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.float() || Number.MIN_VALUE, 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.float();
      if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  beta(a: number, b: number): number {
    const x = this.gamma(a);
    return x / (x + this.gamma(b));
  }

  /** A point on the simplex, concentrated around `alpha`'s proportions. */
  dirichlet(alpha: readonly number[]): number[] {
    const draws = alpha.map((a) => this.gamma(a));
    const total = draws.reduce((sum, x) => sum + x, 0) || 1;
    return draws.map((x) => x / total);
  }

  /** Pareto with minimum 1: heavy-tailed popularity. */
  pareto(alpha: number): number {
    return Math.pow(1 - this.float(), -1 / alpha);
  }
}
