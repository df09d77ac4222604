import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from './app-config';
import { devJwtSecretPath, readOrCreateDevJwtSecret, useKeptDevJwtSecret } from './dev-jwt-secret';

describe('the development JWT secret kept in .data/jwt-secret', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dev-jwt-secret-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const mode = (file: string) => statSync(file).mode & 0o777;

  it('lives beside the embedded database folder (EMBEDDED_PG_DIR .data/pg: .data/jwt-secret)', () => {
    expect(devJwtSecretPath('.data/pg')).toBe(path.resolve('.data', 'jwt-secret'));
    expect(devJwtSecretPath(path.join(dir, 'pg'))).toBe(path.join(dir, 'jwt-secret'));
  });

  it('is created once, with mode 600 (in a folder it creates), and reused afterwards', () => {
    const file = path.join(dir, 'data', 'jwt-secret');
    const first = readOrCreateDevJwtSecret(file);
    expect(first.created).toBe(true);
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.secret);
    expect(mode(file)).toBe(0o600);

    const second = readOrCreateDevJwtSecret(file);
    expect(second).toEqual({ secret: first.secret, created: false });
    expect(readOrCreateDevJwtSecret(file).secret).toBe(first.secret);
  });

  it('makes a kept file readable by its owner only again', () => {
    const file = path.join(dir, 'jwt-secret');
    const { secret } = readOrCreateDevJwtSecret(file);
    chmodSync(file, 0o644);
    expect(readOrCreateDevJwtSecret(file)).toEqual({ secret, created: false });
    expect(mode(file)).toBe(0o600);
  });

  it('replaces a damaged (empty or too short) file', () => {
    const file = path.join(dir, 'jwt-secret');
    writeFileSync(file, 'short\n', { mode: 0o600 });
    const replaced = readOrCreateDevJwtSecret(file);
    expect(replaced.created).toBe(true);
    expect(replaced.secret).not.toBe('short');
    expect(readOrCreateDevJwtSecret(file)).toEqual({ secret: replaced.secret, created: false });
  });

  describe(useKeptDevJwtSecret.name, () => {
    const env = () => ({ NODE_ENV: 'development', EMBEDDED_PG_DIR: path.join(dir, 'pg') });

    it('without JWT_SECRET outside production: the kept secret, the same on every start, said in one line', () => {
      const lines: string[] = [];
      const first = loadConfig(env());
      useKeptDevJwtSecret(first, (line) => lines.push(line));
      const second = loadConfig(env());
      useKeptDevJwtSecret(second, (line) => lines.push(line));
      expect(second.jwt.secret).toBe(first.jwt.secret);
      expect(first.jwt.secret).toBe(readFileSync(path.join(dir, 'jwt-secret'), 'utf8').trim());
      expect(lines).toEqual([
        expect.stringMatching(/^JWT_SECRET is not set: .*created in .*jwt-secret/),
        expect.stringMatching(/^JWT_SECRET is not set: .*kept in .*jwt-secret/),
      ]);
    });

    it('leaves a JWT_SECRET that is set alone, and writes nothing', () => {
      const lines: string[] = [];
      const config = loadConfig({ ...env(), JWT_SECRET: 'my-own-development-secret' });
      useKeptDevJwtSecret(config, (line) => lines.push(line));
      expect(config.jwt.secret).toBe('my-own-development-secret');
      expect(lines).toEqual([]);
      expect(() => statSync(path.join(dir, 'jwt-secret'))).toThrow(/ENOENT/);
    });

    it('loadConfig itself touches no disk', () => {
      loadConfig(env());
      expect(() => statSync(path.join(dir, 'jwt-secret'))).toThrow(/ENOENT/);
    });
  });
});
