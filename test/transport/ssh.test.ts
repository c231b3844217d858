import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgecertError } from '../../harness/core/errors.ts';
import { SshTransport } from '../../harness/transport/ssh.ts';
import { startTestSshd, type TestSshd } from '../helpers/sshd.ts';
import { transportConformance } from './conformance.ts';

describe('ssh transport against a real sshd', () => {
  let sshd: TestSshd;
  let t: SshTransport;
  beforeAll(async () => {
    sshd = await startTestSshd();
    t = new SshTransport({ type: 'ssh', host: '127.0.0.1', port: sshd.port, user: 'root', keyPath: sshd.keyPath, hostKey: sshd.hostKeyLine }, 'test-ssh');
  });
  afterAll(async () => {
    await t?.close();
    await sshd?.stop();
  });

  transportConformance(() => t);

  it('passes stdin to the command', async () => {
    expect((await t.exec('cat', { stdin: 'from stdin' })).stdout).toBe('from stdin');
  });

  it('refuses a board whose host key differs from the pinned one (INFRA)', async () => {
    const other = new SshTransport(
      { type: 'ssh', host: '127.0.0.1', port: sshd.port, user: 'root', keyPath: sshd.keyPath, hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ2m2vXl2mJ3oWbM0Yc0Fq3r8d0e7wEJ3O1aYh3b5Z6Q' },
      'test-ssh-wrong-key',
    );
    const err = await other.exec('true').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgecertError);
    expect((err as EdgecertError).outcome).toBe('INFRA');
    expect((err as Error).message).toMatch(/host key/);
  });

  it('reports an unreachable board as INFRA, not FAIL', async () => {
    const gone = new SshTransport({ type: 'ssh', host: '127.0.0.1', port: 1, user: 'root', keyPath: sshd.keyPath, hostKey: sshd.hostKeyLine }, 'gone');
    const err = await gone.exec('true').catch((e: unknown) => e);
    expect((err as EdgecertError).outcome).toBe('INFRA');
  });
});
