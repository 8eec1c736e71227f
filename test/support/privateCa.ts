/*
 * A private certificate authority made with openssl for one test: the CA, and a server certificate
 * it signed for 127.0.0.1 and localhost (what a managed database's provider CA is to its clients).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface PrivateCa {
  /** The CA certificate, PEM text. */
  caPem: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
}

/** A self-signed CA certificate (`ca.pem`, key `ca.key`) in `dir`. */
export function makeCaCertificate(dir: string, name: string): { caPem: string; caFile: string } {
  const caFile = path.join(dir, 'ca.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      path.join(dir, 'ca.key'),
      '-out',
      caFile,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    { stdio: 'pipe' },
  );
  return { caPem: readFileSync(caFile, 'utf8'), caFile };
}

export function makePrivateCa(dir: string, name = 'meshfork test database CA'): PrivateCa {
  const file = (n: string) => path.join(dir, n);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  makeCaCertificate(dir, name);
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr'));
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.crt'),
  );
  return {
    caPem: readFileSync(file('ca.pem'), 'utf8'),
    caFile: file('ca.pem'),
    serverCertFile: file('server.crt'),
    serverKeyFile: file('server.key'),
  };
}
