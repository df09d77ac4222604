/** Latencies in milliseconds, kept as recorded (sub-millisecond), in a growable Float64Array. */
export class Samples {
  private data = new Float64Array(1 << 14);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }

  static merge(all: Samples[]): Samples {
    const out = new Samples();
    for (const s of all) for (let i = 0; i < s.length; i++) out.push(s.data[i]);
    return out;
  }
}

/** The p-th percentile (0..100) of sorted values, nearest-rank. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function range(values: number[]): [number, number] {
  const v = values.filter((x) => Number.isFinite(x));
  return v.length ? [Math.min(...v), Math.max(...v)] : [NaN, NaN];
}

/** A number with about three significant digits. */
export function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return '-';
  if (value === 0) return '0';
  const a = Math.abs(value);
  if (a >= 1000) return Math.round(value).toString();
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(a)));
  return value.toFixed(Math.min(decimals, 3));
}

/** "median [min-max]" of per-round values. */
export function spread(values: number[], digits = 3): string {
  const [lo, hi] = range(values);
  if (values.filter(Number.isFinite).length < 2) return fmt(median(values), digits);
  return `${fmt(median(values), digits)} [${fmt(lo, digits)}–${fmt(hi, digits)}]`;
}
