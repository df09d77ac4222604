import { promises as fs } from 'node:fs';
import path from 'node:path';
import { exec } from './util';

export interface CertificateAuthority {
  certFile: string;
  keyFile: string;
}

export interface ServerCertificate {
  certFile: string;
  keyFile: string;
}

/** A self-signed CA made with openssl (one per call: a second call gives the "wrong CA" for verify-full tests). */
export async function makeCa(dir: string, name: string): Promise<CertificateAuthority> {
  await fs.mkdir(dir, { recursive: true });
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  await exec('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
    '-subj', `/CN=${name} test CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', keyFile, '-out', certFile,
  ]);
  return { certFile, keyFile };
}

/** A server certificate for localhost / 127.0.0.1 signed by `ca`. */
export async function makeServerCert(dir: string, ca: CertificateAuthority, name = 'server'): Promise<ServerCertificate> {
  const keyFile = path.join(dir, `${name}.key`);
  const csrFile = path.join(dir, `${name}.csr`);
  const certFile = path.join(dir, `${name}.crt`);
  const extFile = path.join(dir, `${name}.ext`);
  await fs.writeFile(
    extFile,
    ['basicConstraints=CA:FALSE', 'keyUsage=digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', 'subjectAltName=DNS:localhost,IP:127.0.0.1'].join('\n') + '\n',
  );
  await exec('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', keyFile, '-out', csrFile]);
  await exec('openssl', [
    'x509', '-req', '-in', csrFile, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial',
    '-days', '2', '-sha256', '-extfile', extFile, '-out', certFile,
  ]);
  await fs.chmod(keyFile, 0o600);
  return { certFile, keyFile };
}
