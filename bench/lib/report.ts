import { LoadResult } from './load';
import { fmt, median, percentile, range, Samples, spread } from './stats';

export const CHART_PERCENTILES = [50, 90, 99, 99.9];

/** One scenario on one server in one round, reduced to numbers. */
export interface RoundFigures {
  round: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  requests: number;
  non2xx: number;
  errors: number;
  statuses: Record<number, number>;
  cpuPerRequest: number;
  dbCpuPerRequest: number;
}

export function figures(round: number, r: LoadResult): RoundFigures {
  const s = r.latencies.sorted();
  return {
    round,
    rps: r.rps,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    p999: percentile(s, 99.9),
    max: s.length ? s[s.length - 1] : NaN,
    requests: r.requests,
    non2xx: r.non2xx,
    errors: r.errors,
    statuses: r.statuses,
    cpuPerRequest: r.cpuPerRequest,
    dbCpuPerRequest: r.dbCpuPerRequest,
  };
}

export interface ScenarioResults {
  scenario: string;
  /** server -> figures per round, in round order */
  rounds: Record<string, RoundFigures[]>;
  /** server -> every latency of every round, for the chart */
  samples: Record<string, Samples[]>;
}

/** service/reference per round (rounds matched by number), for one measure. */
export function ratios(s: ScenarioResults, pick: (f: RoundFigures) => number): number[] {
  const svc = s.rounds.service ?? [];
  const ref = s.rounds.reference ?? [];
  return svc.map((f) => {
    const other = ref.find((g) => g.round === f.round);
    return other ? pick(f) / pick(other) : NaN;
  }).filter(Number.isFinite);
}

export interface Row {
  cells: string[];
}

export const TABLE_HEAD = [
  'scenario', 'server', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'CPU ms/req', 'DB CPU ms/req', 'req/s svc/ref', 'CPU/req svc/ref',
];

export function tableRows(all: ScenarioResults[]): string[][] {
  const rows: string[][] = [];
  for (const s of all) {
    for (const server of Object.keys(s.rounds)) {
      const f = s.rounds[server];
      const bad = f.reduce((n, x) => n + x.non2xx + x.errors, 0);
      const isSvc = server === 'service' && s.rounds.reference;
      rows.push([
        s.scenario,
        server,
        spread(f.map((x) => x.rps)),
        spread(f.map((x) => x.p50)),
        spread(f.map((x) => x.p99)),
        String(bad),
        fmt(median(f.map((x) => x.cpuPerRequest))),
        fmt(median(f.map((x) => x.dbCpuPerRequest))),
        isSvc ? spread(ratios(s, (x) => x.rps), 2) : '',
        isSvc ? spread(ratios(s, (x) => x.cpuPerRequest), 2) : '',
      ]);
    }
  }
  return rows;
}

export function textTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i < 2 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function medianOf(f: RoundFigures[] | undefined, pick: (x: RoundFigures) => number): number {
  return f ? median(f.map(pick)) : NaN;
}

export { fmt, median, range, spread };
