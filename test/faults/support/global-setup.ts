import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** The suite runs the built service (dist/), as production does: build it when it is missing or older than src/. */
export default async function globalSetup(): Promise<void> {
  if (process.env.FAULTS_SKIP_BUILD === '1') return;
  const main = path.join(ROOT, 'dist', 'src', 'main.js');
  const sources = Math.max(newestMtime(path.join(ROOT, 'src')), newestMtime(path.join(ROOT, 'migrations')));
  if ((!existsSync(main) || statSync(main).mtimeMs < sources)) {
    process.stdout.write('\n[faults] building the service (npm run build)\n');
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  if (!existsSync(main)) throw new Error(`${main} is missing after the build`);
}
