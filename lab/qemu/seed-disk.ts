// Per-board identity (keys, defects, token) rides on a small read-only disk so the cached root image stays generic.
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shQuote } from '../../harness/core/quote.ts';
import { run } from './run.ts';

export interface SeedContent {
  hostname: string;
  authorizedKey: string;
  hostKeyFile: string;
  /** output of defectLines() */
  defects: string;
  /** guest loopback port dockerd also listens on (plain TCP), or undefined for the unix socket only */
  dockerLoopbackTcpPort?: number;
}

export async function writeSeedDisk(dir: string, image: string, c: SeedContent): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const env = [`BOARD_HOSTNAME=${shQuote(c.hostname)}`];
  if (c.dockerLoopbackTcpPort) env.push(`DOCKERD_LOOPBACK_TCP=${c.dockerLoopbackTcpPort}`);
  writeFileSync(join(dir, 'board.env'), env.join('\n') + '\n');
  writeFileSync(join(dir, 'defects'), c.defects);
  writeFileSync(join(dir, 'authorized_keys'), c.authorizedKey.trim() + '\n', { mode: 0o600 });
  copyFileSync(c.hostKeyFile, join(dir, 'dropbear_ed25519_host_key'));
  // edgecore's join token until the edgecore suite writes a real one; random so it is a secret worth protecting
  writeFileSync(join(dir, 'token'), randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  rmSync(image, { force: true });
  await run('mkfs.ext4', ['-q', '-F', '-L', 'edgecert-seed', '-E', 'root_owner=0:0', '-d', dir, image, '4M']);
  rmSync(dir, { recursive: true, force: true });
}
