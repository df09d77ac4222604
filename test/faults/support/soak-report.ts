import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { SoakStats } from './soak-load';
import { REPO_ROOT } from './util';

export interface Restart {
  at: number;
  mode: string;
  unavailableMs: number;
}

export interface SoakFigures {
  elapsedS: number;
  workers: number;
  restarts: Restart[];
  checked: number;
  rssStartKb: number;
  rssEndKb: number;
  rssMaxKb: number;
  alive: boolean;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export function buildReport(stats: SoakStats, f: SoakFigures) {
  return {
    durationS: Math.round(f.elapsedS),
    workers: f.workers,
    restarts: f.restarts,
    requests: stats.requests,
    requestsPerSecond: Math.round(stats.requests / f.elapsedS),
    byStatus: stats.byStatus,
    byOperation: stats.byOp,
    latencyMs: { p50: percentile(stats.latencies, 50), p99: percentile(stats.latencies, 99), max: Math.max(...stats.latencies) },
    overBudget: stats.overBudget,
    acknowledgedWrites: stats.acked,
    unacknowledgedWrites: stats.failedWrites,
    tasksChecked: f.checked,
    violations: stats.violations.length,
    violationSamples: stats.violations.slice(0, 20),
    memoryKb: { rssStart: f.rssStartKb, rssEnd: f.rssEndKb, rssMax: f.rssMaxKb },
    processAlive: f.alive,
    nodeVersion: process.version,
    when: new Date().toISOString(),
  };
}

export type SoakReport = ReturnType<typeof buildReport>;

export function markdown(r: SoakReport): string {
  const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`;
  const rows: [string, string][] = [
    ['run', `${r.durationS} s, ${r.workers} workers, ${r.when.slice(0, 10)}, Node ${r.nodeVersion}`],
    ['database restarts', `${r.restarts.length} (${r.restarts.map((x) => `${x.mode} at ${x.at} s: ready after ${x.unavailableMs} ms`).join('; ')})`],
    ['requests served', `${r.requests} (${r.requestsPerSecond}/s)`],
    ['answers by status', Object.entries(r.byStatus).map(([k, v]) => `${k}: ${v}`).join(', ')],
    ['latency', `p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms; over the 5 s budget: ${r.overBudget}`],
    ['acknowledged writes checked', `${r.acknowledgedWrites.creates} creates, ${r.acknowledgedWrites.updates} updates, ${r.acknowledgedWrites.deletes} deletes (${r.tasksChecked} tasks checked); unacknowledged writes: ${r.unacknowledgedWrites}`],
    ['violations (lost/duplicated/half-written writes, 500s, hangs)', String(r.violations)],
    ['service memory (RSS)', `start ${mb(r.memoryKb.rssStart)}, end ${mb(r.memoryKb.rssEnd)}, max ${mb(r.memoryKb.rssMax)}`],
    ['process', r.processAlive ? 'up throughout (same PID)' : 'DIED'],
  ];
  return ['| figure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}

/** Writes the table into docs/reliability.md between its soak markers. */
export async function updateDoc(table: string): Promise<void> {
  const doc = path.join(REPO_ROOT, 'docs', 'reliability.md');
  const text = await fs.readFile(doc, 'utf8');
  const start = '<!-- soak:start -->';
  const end = '<!-- soak:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${doc} has no ${start} ... ${end} section`);
  await fs.writeFile(doc, `${text.slice(0, i + start.length)}\n${table}\n${text.slice(j)}`);
}
