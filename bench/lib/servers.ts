import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { cfg, freePort, JWT_SECRET, log, referencePrepared, ROOT, WORK } from './config';
import type { Database } from './database';
import { RunningServer, ServerSpec, startServer } from './proc';
import { BENCH_JWT as JWT } from './tokens';

const env = process.env;

export async function prepareServers(db: Database): Promise<Record<'service' | 'reference', ServerSpec>> {
  const referencePort = await freePort(cfg.port + 1);
  mkdirSync(path.join(WORK, 'reference'), { recursive: true });
  rmSync(path.join(WORK, 'logs'), { recursive: true, force: true });
  mkdirSync(path.join(WORK, 'logs'), { recursive: true });
  // the reference is compiled once (no TypeScript loader inside the measured process); node_modules resolves from ROOT
  const source = readFileSync(path.join(ROOT, 'bench/reference/server.ts'), 'utf8');
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  const referenceJs = path.join(WORK, 'reference', 'server.js');
  writeFileSync(referenceJs, js);

  if (cfg.servers.includes('service')) {
    const main = path.join(ROOT, 'dist/src/main.js');
    if (env.BENCH_BUILD === '1' || !existsSync(main)) {
      log('building the service (npm run build)');
      execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    }
    if (!existsSync(main)) throw new Error('npm run build did not produce dist/src/main.js');
    // a snapshot of the build, so that a rebuild while the bench runs cannot change (or break) what is measured;
    // it keeps dist's layout (migrations are found from __dirname) and resolves node_modules from ROOT
    rmSync(path.join(WORK, 'service'), { recursive: true, force: true });
    cpSync(path.join(ROOT, 'dist'), path.join(WORK, 'service', 'dist'), { recursive: true });
  }
  const nodeArgs = (env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const base = { PATH: env.PATH, HOME: env.HOME, NODE_ENV: 'production', HOST: '127.0.0.1', DATABASE_URL: db.url, JWT_SECRET };
  return {
    // what `npm run start:prod` runs (exec node dist/src/main.js), without npm in between, on the snapshot
    service: {
      name: 'service',
      command: process.execPath,
      args: [...nodeArgs, path.join(WORK, 'service/dist/src/main.js')],
      cwd: ROOT,
      port: cfg.port,
      env: {
        // LOG_LEVEL at its default (info): one request log line per request, as users run it
        ...base, DATABASE_URL: db.serviceUrl, PORT: String(cfg.port), MIGRATE_ON_START: 'true', DATABASE_POOL_MAX: '10',
        ...(env.BENCH_RLS_BYPASS === '1' && { DATABASE_ALLOW_RLS_BYPASS: 'true' }),
        JWT_ISSUER: JWT.issuer, JWT_AUDIENCE: JWT.audience, JWT_EXPIRES_IN_SECONDS: String(JWT.expiresInSeconds),
        // the seeding registers BENCH_USERS users from one address
        REGISTER_IP_MAX: '1000000',
      },
    },
    reference: {
      name: 'reference',
      command: process.execPath,
      args: [...nodeArgs, referenceJs],
      cwd: ROOT,
      port: referencePort,
      env: {
        ...base, PORT: String(referencePort), DATABASE_POOL_MAX: '10', JWT_ISSUER: JWT.issuer, JWT_AUDIENCE: JWT.audience,
        REFERENCE_PREPARED: referencePrepared ? '1' : '',
      },
    },
  };
}

let startCount = 0;
export const startups: { server: string; ms: number; note: string }[] = [];

export async function start(spec: ServerSpec, note = ''): Promise<RunningServer> {
  const logFile = path.join(WORK, 'logs', `${String(++startCount).padStart(2, '0')}-${spec.name}.log`);
  const server = await startServer(spec, logFile);
  startups.push({ server: spec.name, ms: server.readyMs, note });
  log(`${spec.name} ready in ${server.readyMs.toFixed(0)} ms (pid ${server.pid})${note ? ` [${note}]` : ''}`);
  return server;
}
