import { readFileSync } from 'node:fs';
import { usage } from '../core/errors.ts';

// The board's host key is pinned by the inventory: a changed key is a lab error, never silently accepted.
export function pinnedHostKeys(hostKey: string, host: string, port: number): Buffer[] {
  if (/^(ssh-|ecdsa-)/.test(hostKey)) return [keyBlob(hostKey, 'transport.hostKey')];
  let text: string;
  try {
    text = readFileSync(hostKey, 'utf8');
  } catch (cause) {
    throw usage(`known_hosts file ${hostKey} (transport.hostKey) cannot be read`, { cause });
  }
  const names = port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`];
  const keys = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .filter((l) => l.split(/\s+/)[0]!.split(',').some((n) => names.includes(n)))
    .map((l) => keyBlob(l.split(/\s+/).slice(1).join(' '), hostKey));
  if (!keys.length) throw usage(`known_hosts file ${hostKey} has no key for ${names.join(' or ')}`);
  return keys;
}

function keyBlob(line: string, where: string): Buffer {
  const b64 = line.trim().split(/\s+/)[1];
  if (!b64 || !/^[A-Za-z0-9+/=]+$/.test(b64)) throw usage(`${where}: expected an OpenSSH public key like \`ssh-ed25519 AAAA...\``);
  return Buffer.from(b64, 'base64');
}
