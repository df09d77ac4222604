import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { AppConfig, ConfigurationError, loadConfig } from '../config/app-config';
import { pgConnectionOptions, redactUrl } from './connection-options';

const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBfakecaforunittests\n-----END CERTIFICATE-----\n';

function database(overrides: Partial<AppConfig['database']> = {}): AppConfig['database'] {
  return { ...loadConfig({}).database, ...overrides };
}

describe(pgConnectionOptions.name, () => {
  const sut = pgConnectionOptions;
  let dir: string;
  let caFile: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'connection-options-'));
    caFile = path.join(dir, 'root.crt');
    writeFileSync(caFile, CA_PEM);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const tls = (url: string, db = database()) => sut(url, db).ssl as TlsOptions;

  describe('the parts of the URL', () => {
    it('reads host, port, user, password and database', () => {
      expect(sut('postgres://app:secret@db.example.com:6543/tasks', database())).toEqual({
        host: 'db.example.com',
        port: 6543,
        user: 'app',
        password: 'secret',
        database: 'tasks',
        ssl: false,
        enableChannelBinding: undefined,
      });
    });

    it('decodes a percent-encoded user, password and database name', () => {
      const options = sut('postgresql://my%40user:p%40ss%3Aw%2Frd%20%25%23%3F@db.example.com:5432/my%20db', database());
      expect(options.user).toBe('my@user');
      expect(options.password).toBe('p@ss:w/rd %#?');
      expect(options.database).toBe('my db');
    });

    it('uses 5432 when the port is missing', () => {
      expect(sut('postgres://app:secret@db.example.com/tasks', database()).port).toBe(5432);
    });

    it('defaults the user and database to postgres, as libpq would for this service', () => {
      const options = sut('postgres://db.example.com', database());
      expect(options).toMatchObject({ host: 'db.example.com', port: 5432, user: 'postgres', password: undefined, database: 'postgres' });
      expect(options.password).toBeUndefined();
    });

    it('gives no password (undefined, not an empty string) when the URL has an empty one', () => {
      expect(sut('postgres://app:@db.example.com/tasks', database()).password).toBeUndefined();
      expect(sut('postgres://app@db.example.com/tasks', database()).password).toBeUndefined();
    });

    it('strips the brackets of an IPv6 host', () => {
      expect(sut('postgres://app:secret@[::1]:5433/tasks', database()).host).toBe('::1');
    });
  });

  describe('sslmode', () => {
    it.each(['disable', 'allow', 'prefer'])('%s: plain TCP', (mode) => {
      expect(sut(`postgres://app:secret@db.example.com/tasks?sslmode=${mode}`, database()).ssl).toBe(false);
    });

    it('absent: plain TCP', () => {
      expect(sut('postgres://app:secret@db.example.com/tasks', database()).ssl).toBe(false);
    });

    it('require: TLS without verification (libpq semantics)', () => {
      expect(tls('postgres://app:secret@db.example.com/tasks?sslmode=require')).toEqual({ rejectUnauthorized: false });
    });

    it('require with sslrootcert: the certificate is checked against that CA, the host name is not (verify-ca)', () => {
      const options = tls(`postgres://app:secret@db.example.com/tasks?sslmode=require&sslrootcert=${encodeURIComponent(caFile)}`);
      expect(options.ca).toBe(CA_PEM);
      expect(options.rejectUnauthorized).toBe(true);
      expect(options.checkServerIdentity?.('db.example.com', {} as never)).toBeUndefined();
    });

    it('verify-ca: checked against the CA, host name not checked', () => {
      const options = tls(`postgres://app:secret@db.example.com/tasks?sslmode=verify-ca&sslrootcert=${encodeURIComponent(caFile)}`);
      expect(options).toMatchObject({ ca: CA_PEM, rejectUnauthorized: true });
      expect(options.checkServerIdentity?.('other.example.com', {} as never)).toBeUndefined();
    });

    it('verify-full with sslrootcert: checked against the CA and the host name (node default identity check)', () => {
      const options = tls(`postgres://app:secret@db.example.com/tasks?sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}`);
      expect(options).toEqual({ ca: CA_PEM, rejectUnauthorized: true });
      expect(options.checkServerIdentity).toBeUndefined();
    });

    it('verify-full without sslrootcert: verified against the system CAs (as for Neon)', () => {
      const options = tls('postgres://app:secret@ep-x.neon.tech/tasks?sslmode=verify-full');
      expect(options.rejectUnauthorized).toBe(true);
      expect(options.ca).toBeUndefined();
      expect(options.checkServerIdentity).toBeUndefined();
    });

    it('DATABASE_SSLMODE and DATABASE_SSL_ROOT_CERT override the URL', () => {
      const options = tls('postgres://app:secret@db.example.com/tasks?sslmode=disable&sslrootcert=/nowhere.crt', database({ sslMode: 'verify-full', sslRootCert: caFile }));
      expect(options).toEqual({ ca: CA_PEM, rejectUnauthorized: true });
    });

    it('refuses an unknown sslmode with a configuration error naming it', () => {
      expect(() => sut('postgres://app:secret@db.example.com/tasks?sslmode=sometimes', database())).toThrow(ConfigurationError);
      expect(() => sut('postgres://app:secret@db.example.com/tasks?sslmode=sometimes', database())).toThrow(/sslmode "sometimes"/);
    });

    it('refuses an unreadable sslrootcert with a configuration error naming the file', () => {
      const missing = path.join(dir, 'missing.crt');
      const url = `postgres://app:secret@db.example.com/tasks?sslmode=verify-full&sslrootcert=${encodeURIComponent(missing)}`;
      expect(() => sut(url, database())).toThrow(ConfigurationError);
      expect(() => sut(url, database())).toThrow(missing);
    });
  });

  describe('channel_binding', () => {
    it('require: SCRAM-SHA-256-PLUS (Neon URLs carry it)', () => {
      expect(sut('postgres://app:secret@ep-x.neon.tech/tasks?sslmode=require&channel_binding=require', database()).enableChannelBinding).toBe(true);
    });

    it.each(['prefer', 'disable'])('%s: not forced', (mode) => {
      expect(sut(`postgres://app:secret@ep-x.neon.tech/tasks?sslmode=require&channel_binding=${mode}`, database()).enableChannelBinding).toBeUndefined();
    });
  });
});

describe(redactUrl.name, () => {
  const sut = redactUrl;

  it('hides the password and keeps the rest', () => {
    const redacted = sut('postgres://app:s3cr%40t@db.example.com:5432/tasks?sslmode=require');
    expect(redacted).toBe('postgres://app:*****@db.example.com:5432/tasks?sslmode=require');
    expect(redacted).not.toContain('s3cr');
  });

  it('leaves a URL without a password as it is', () => {
    expect(sut('postgres://app@db.example.com/tasks')).toBe('postgres://app@db.example.com/tasks');
  });
});
