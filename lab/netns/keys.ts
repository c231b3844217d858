// SSH identities of the lab: one user key the harness logs in with, one host key per board, and the
// known_hosts file the transports pin (StrictHostKeyChecking=yes must pass without a prompt).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { must } from './host.ts';

/** Create an ed25519 key pair at `keyPath` if missing; return the public key line. */
export async function ensureKeyPair(keyPath: string, comment: string): Promise<string> {
  if (!existsSync(keyPath) || !existsSync(`${keyPath}.pub`)) {
    mkdirSync(dirname(keyPath), { recursive: true, mode: 0o700 });
    await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', keyPath], { input: 'y\n' });
  }
  return readFileSync(`${keyPath}.pub`, 'utf8').trim();
}

/** known_hosts name of a host: bare for port 22, `[host]:port` otherwise (what OpenSSH looks up). */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * Set the lines of these hosts in a known_hosts file, keeping every other host's line (another inventory may
 * share the file). `keyLine` is `type base64 [comment]`, or a full `name type base64` line.
 */
export function updateKnownHosts(file: string, entries: { name: string; keyLine: string }[]): void {
  const names = new Set(entries.map((e) => e.name));
  const old = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  const kept = old.filter((l) => l.trim() && !l.split(/\s+/)[0]!.split(',').some((n) => names.has(n)));
  const added = entries.map((e) => {
    const parts = e.keyLine.trim().split(/\s+/);
    const key = /^(ssh-|ecdsa-)/.test(parts[0]!) ? parts.slice(0, 2) : parts.slice(1, 3);
    return `${e.name} ${key.join(' ')}`;
  });
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${[...kept, ...added].join('\n')}\n`, { mode: 0o644 });
  renameSync(tmp, file);
}
