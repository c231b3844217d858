import Docker from 'dockerode';
import { infra } from '../core/errors.ts';
import type { CommandResult } from '../core/result.ts';
import { waitFor } from '../core/wait.ts';
import type { BoardSpec } from '../inventory/schema.ts';
import type { Profile } from '../profiles/schema.ts';
import type { ExecOptions, Forward, Transport } from '../transport/types.ts';
import { CleanupList } from './cleanup.ts';
import { gatherFacts, type BoardFacts } from './facts.ts';
import { recordCommand, recordDockerApi } from './recorder.ts';

/** One leased board: its transport, facts, profile, a docker client over the forwarded socket, a cleanup list. */
export class Board {
  readonly cleanup = new CleanupList();
  private dockerClient: Promise<{ docker: Docker; forward?: Forward }> | undefined;

  private constructor(
    readonly spec: BoardSpec,
    readonly profile: Profile,
    readonly transport: Transport,
    readonly facts: BoardFacts,
  ) {}

  static async open(spec: BoardSpec, profile: Profile, transport: Transport): Promise<Board> {
    const facts = await gatherFacts(transport, profile.timeouts.connect);
    return new Board(spec, profile, transport, facts);
  }

  get id(): string {
    return this.spec.id;
  }

  /** Run a command on the board; every result is recorded as evidence of the check that ran it. */
  async run(command: string, opts: ExecOptions = {}): Promise<CommandResult> {
    const r = await this.transport.exec(command, { timeout: this.profile.timeouts.command, ...opts });
    recordCommand(r);
    return r;
  }

  /** A dockerode client for the board's dockerd: through the transport's forward unless plain TCP is declared. */
  docker(): Promise<Docker> {
    this.dockerClient ??= (async () => {
      if (this.spec.docker.tcp) {
        const [host, port] = this.spec.docker.tcp.split(':');
        return { docker: new Docker({ host, port: Number(port), protocol: 'http', timeout: this.profile.timeouts.dockerApi }) };
      }
      const remote = this.spec.docker.loopbackPort ? { port: this.spec.docker.loopbackPort } : { socketPath: this.spec.docker.socket };
      const forward = await this.transport.forward(remote);
      const port = 'port' in forward.local ? forward.local.port : undefined;
      const docker = port
        ? new Docker({ host: '127.0.0.1', port, protocol: 'http', timeout: this.profile.timeouts.dockerApi })
        : new Docker({ socketPath: (forward.local as { socketPath: string }).socketPath, timeout: this.profile.timeouts.dockerApi });
      timeDockerApi(docker);
      return { docker, forward };
    })().catch((err: unknown) => {
      this.dockerClient = undefined;
      throw infra(`board ${this.id}: cannot forward the docker API (${this.spec.docker.loopbackPort ? `board port ${this.spec.docker.loopbackPort}` : this.spec.docker.socket}): ${(err as Error).message}`, { cause: err });
    });
    return this.dockerClient.then((d) => d.docker);
  }

  /** Wait until the board answers `true` through its transport. */
  async waitOnline(timeoutMs = this.profile.timeouts.connect): Promise<void> {
    await waitFor(`board ${this.id} online`, timeoutMs, async () => {
      const r = await this.transport.exec('true', { timeout: 5_000 });
      return { done: r.exitCode === 0, state: r.exitCode };
    });
  }

  async close(): Promise<void> {
    await this.cleanup.run();
    const d = await this.dockerClient?.catch(() => undefined);
    await d?.forward?.close();
    await this.transport.close();
  }
}

// Every docker API call is timed so reports can split a run into board time and harness overhead. The socket
// timeout (a hung dockerd must not hang a check) cannot apply to calls that legitimately block, like `wait`:
// their callers bound them with their own deadline.
function timeDockerApi(docker: Docker): void {
  const modem = docker.modem as { timeout?: number; dial: (opts: { path?: string }, cb: (err: unknown, data: unknown) => void) => unknown };
  const dial = modem.dial.bind(modem);
  modem.dial = (opts, cb) => {
    const start = performance.now();
    const blocking = /\/containers\/[^/]+\/(wait|attach)\b/.test(opts?.path ?? '');
    const saved = modem.timeout;
    if (blocking) modem.timeout = undefined;
    try {
      return dial(opts, (err, data) => {
        recordDockerApi(performance.now() - start);
        cb(err, data);
      });
    } finally {
      modem.timeout = saved;
    }
  };
}
