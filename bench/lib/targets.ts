import { fmt, median, medianOf, range, ratios, ScenarioResults, spread } from './report';
import { startups } from './servers';

export interface SoakResult {
  seconds: number;
  samples: [number, number][];
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

export interface ReportInput {
  started: Date;
  results: ScenarioResults[];
  soak?: SoakResult;
  pgVersion: string;
  smallLabel: string;
  largeLabel: string;
  bulkUsers: number;
}

/** A target, what was measured, and whether it is met (undefined: not measured in this run). */
export type Target = [string, string, boolean | undefined];

export const verdict = (ok: boolean | undefined) => (ok === undefined ? '–' : ok ? 'met' : 'NOT MET');

/** Every target judged on this run's figures, with the large-table growth and the soak's memory growth they use. */
export function judgeTargets(input: ReportInput): { targets: Target[]; growth: number; rss?: ReturnType<typeof rssGrowth> } {
  const { results, soak } = input;
  const by = (name: string) => results.find((r) => r.scenario === name);
  const targets: Target[] = [];
  // every query built by MikroORM: 0.5 x the reference without the database's row-level security, 0.35 x with it
  // in force (each query then runs in its own transaction that first sets the owner: four round trips)
  const floor = process.env.BENCH_RLS_BYPASS === '1' ? 0.5 : 0.35;
  for (const kind of ['list', 'get', 'create', 'patch', 'mixed']) {
    const s = by(`${kind} @${input.smallLabel}`);
    const r = s ? ratios(s, (x) => x.rps) : [];
    targets.push([`${kind}: throughput >= ${floor} x reference`, r.length ? `${spread(r, 2)}` : 'not measured', r.length ? median(r) >= floor : undefined]);
  }
  const p99s = results.map((s) => [s.scenario, medianOf(s.rounds.service, (x) => x.p99)] as const).filter(([, v]) => Number.isFinite(v));
  const worst = p99s.reduce<[string, number]>((w, [n, v]) => (v > w[1] ? [n, v] : w), ['-', -Infinity]);
  targets.push(['p99 < 200 ms, every scenario, 50 connections (service)', p99s.length ? `worst: ${worst[0]}, ${fmt(worst[1])} ms` : 'not measured', p99s.length ? p99s.every(([, v]) => v < 200) : undefined]);
  const small = by(`list @${input.smallLabel}`)?.rounds.service;
  const large = by(`list @${input.largeLabel}`)?.rounds.service;
  const growth = small && large ? medianOf(large, (x) => x.p50) / medianOf(small, (x) => x.p50) : NaN;
  targets.push([`list p50 at +${input.largeLabel} tasks <= 1.25 x at ${input.smallLabel} (service)`, Number.isFinite(growth) ? `${fmt(growth, 3)} x` : 'not measured', Number.isFinite(growth) ? growth <= 1.25 : undefined]);
  const rss = soak ? rssGrowth(soak) : undefined;
  targets.push([
    'RSS at the end of the soak within 10% of RSS after 1 minute',
    rss ? `${fmt(rss.oneMinute[0])}–${fmt(rss.oneMinute[1])} -> ${fmt(rss.end[0])}–${fmt(rss.end[1])} MiB (${(rss.growth * 100).toFixed(1)}%)` : 'not measured (BENCH_SOAK_SECONDS=0 or quick)',
    rss ? rss.growth <= 0.1 : undefined,
  ]);
  const svcStarts = startups.filter((s) => s.server === 'service' && !s.note).map((s) => s.ms);
  const [, startMax] = range(svcStarts);
  targets.push(['start to /health/ready < 2 s, database running (service)', svcStarts.length ? `median ${fmt(median(svcStarts))} ms, max ${fmt(startMax)} ms` : 'not measured', svcStarts.length ? startMax < 2000 : undefined]);
  return { targets, growth, rss };
}

/**
 * Memory growth over the soak, robust to the garbage collector's sawtooth: the lows and highs of RSS in a window
 * around the 1-minute mark and in the last window of the same length; growth is the larger ratio, end / 1 minute.
 */
export function rssGrowth(soak: { seconds: number; samples: [number, number][] }) {
  const window = Math.min(60, soak.seconds / 5);
  const at = (t: number) => soak.samples.reduce((b, s) => (Math.abs(s[0] - t) < Math.abs(b[0] - t) ? s : b))[1];
  const span = (from: number, to: number) => range(soak.samples.filter(([t]) => t >= from && t <= to).map(([, v]) => v));
  const oneMinute = span(window / 2, window * 1.5);
  const end = span(soak.seconds - window, soak.seconds);
  return {
    window,
    start: soak.samples[0][1],
    oneMinute,
    end,
    growth: Math.max(end[0] / oneMinute[0], end[1] / oneMinute[1]) - 1,
    samples: [at(window), soak.samples[soak.samples.length - 1][1]] as [number, number],
  };
}
