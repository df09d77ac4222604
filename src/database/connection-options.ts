import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { AppConfig } from '../config/app-config';
import { ConfigurationError } from '../config/app-config';

export interface PgConnectionOptions {
  host: string;
  port: number;
  user: string;
  /** undefined when the URL has none (or an empty one) */
  password?: string;
  database: string;
  ssl: false | TlsOptions;
  enableChannelBinding?: boolean;
}

/**
 * Reads a postgres:// URL the way libpq does for the parts that matter here (MikroORM's clientUrl keeps only
 * host, port, user, password and database, and would silently drop sslmode).
 * sslmode: disable/allow/prefer: plain; require: TLS without verification (with a root certificate: verify-ca);
 * verify-ca: TLS, certificate checked against the CA; verify-full: also the host name.
 */
export function pgConnectionOptions(url: string, db: AppConfig['database']): PgConnectionOptions {
  const parsed = new URL(url);
  const params = parsed.searchParams;
  const sslMode = db.sslMode ?? params.get('sslmode') ?? 'disable';
  const rootCertPath = db.sslRootCert ?? params.get('sslrootcert') ?? undefined;
  const host = decodeURIComponent(parsed.hostname).replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return {
    host,
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username) || 'postgres',
    // an empty password is no password, as for libpq: pg then takes PGPASSWORD or ~/.pgpass, and a server
    // with trust authentication asks for none
    password: decodeURIComponent(parsed.password) || undefined,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
    ssl: tlsOptions(sslMode, rootCertPath),
    // Neon's URLs carry channel_binding=require (SCRAM-SHA-256-PLUS over TLS)
    enableChannelBinding: params.get('channel_binding') === 'require' || undefined,
  };
}

function tlsOptions(sslMode: string, rootCertPath: string | undefined): false | TlsOptions {
  const ca = rootCertPath ? readCa(rootCertPath) : undefined;
  switch (sslMode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      return ca ? { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } : { rejectUnauthorized: false };
    case 'verify-ca':
      return { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ca, rejectUnauthorized: true }; // pg checks the host name (SNI and identity)
    default:
      throw new ConfigurationError(`Invalid configuration: unknown sslmode "${sslMode}" in the database URL`);
  }
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new ConfigurationError(`Invalid configuration: cannot read the TLS root certificate ${path}`);
  }
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '*****';
  return parsed.toString();
}
