// The CA and serving certificate are made once per state dir with the openssl CLI, so clients (kubectl, client-node,
// edgecore stand-ins) can pin one CA file across restarts; the serving cert is remade when its SANs no longer fit.
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { infra } from '../../harness/core/errors.ts';
import { log } from '../../harness/core/log.ts';

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

const DAY_MS = 24 * 3600 * 1000;

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await execa('openssl', args, { cwd, reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) {
    throw infra(`openssl ${args[0]} failed (exit ${r.exitCode}) while making the control plane's certificates`, {
      evidence: { [`openssl ${args.join(' ')}`]: `${r.stdout}\n${r.stderr}` },
    });
  }
}

/** "IP Address:127.0.0.1, DNS:localhost" -> entries in openssl's config spelling. */
function sansOf(pem: string): Set<string> {
  const alt = new X509Certificate(pem).subjectAltName ?? '';
  return new Set(alt.split(', ').filter(Boolean).map((s) => s.replace(/^IP Address:/, 'IP:')));
}

function sanEntries(hosts: string[]): string[] {
  return [...new Set(hosts.filter((h) => h && h !== '0.0.0.0' && h !== '::'))].map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`));
}

async function certFits(certFile: string, wanted: string[]): Promise<boolean> {
  if (!existsSync(certFile)) return false;
  const pem = await readFile(certFile, 'utf8');
  const cert = new X509Certificate(pem);
  if (Date.parse(cert.validTo) - Date.now() < 7 * DAY_MS) return false;
  const have = sansOf(pem);
  return wanted.every((w) => have.has(w));
}

/** Ensures `<dir>/ca.crt`, `serving.crt`, `serving.key` exist and cover `hosts`; keys are mode 0600. */
export async function ensureTls(dir: string, hosts: string[]): Promise<TlsFiles> {
  const files = { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'serving.crt'), keyFile: join(dir, 'serving.key') };
  const caKey = join(dir, 'ca.key');
  if (!existsSync(files.caFile) || !existsSync(caKey)) {
    log.info(`control plane: creating a CA in ${dir}`);
    await openssl(
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key.tmp', '-out', 'ca.crt.tmp', '-days', '3650',
        '-subj', '/CN=edgecert virtual-lab control plane CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
      dir,
    );
    await chmod(join(dir, 'ca.key.tmp'), 0o600);
    await rename(join(dir, 'ca.key.tmp'), caKey);
    await rename(join(dir, 'ca.crt.tmp'), files.caFile);
    await rm(files.certFile, { force: true });
  }
  const sans = sanEntries(['127.0.0.1', 'localhost', ...hosts]);
  if (await certFits(files.certFile, sans)) return files;
  log.info(`control plane: issuing a serving certificate for ${sans.join(', ')}`);
  const ext = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', `subjectAltName=${sans.join(',')}`].join('\n');
  await writeFile(join(dir, 'serving.ext'), `${ext}\n`);
  await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'serving.key.tmp', '-out', 'serving.csr', '-subj', '/CN=virtual-lab-apiserver'], dir);
  await chmod(join(dir, 'serving.key.tmp'), 0o600);
  await openssl(['x509', '-req', '-in', 'serving.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'serving.crt.tmp', '-days', '825', '-extfile', 'serving.ext'], dir);
  await rename(join(dir, 'serving.key.tmp'), files.keyFile);
  await rename(join(dir, 'serving.crt.tmp'), files.certFile);
  await rm(join(dir, 'serving.csr'), { force: true });
  return files;
}
