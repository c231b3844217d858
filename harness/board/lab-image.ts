// The lab's offline image on a board's dockerd, and running it: load it when absent (never pull from the
// internet), run one container to completion with a deadline on every API call, and always remove it.
// A dockerd that does not answer is judged from the board side, so a broken link is INFRA, not the board's FAIL.
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import type Docker from 'dockerode';
import { boardFail, EdgecertError, infra } from '../core/errors.ts';
import { shQuote } from '../core/quote.ts';
import type { CommandResult } from '../core/result.ts';
import { readRunContext } from '../fixtures/run-context.ts';
import type { LabSpec } from '../inventory/schema.ts';
import { dockerArch } from '../parse/runtime-docker-info.ts';
import { demuxDockerLogs } from '../parse/runtime-docker-logs.ts';
import { dockerdFault, dockerdStateProbe, parseDockerdState } from '../parse/runtime-dockerd-state.ts';
import type { Timeouts } from '../profiles/schema.ts';
import type { Board } from './board.ts';

/** What these helpers need from a check's context (CheckContext satisfies it). */
export interface DockerCtx {
  readonly board: Board;
  readonly timeouts: Timeouts;
  run(command: string, opts?: { timeout?: number }): Promise<CommandResult>;
  docker(): Promise<Docker>;
  note(name: string, text: string): void;
}

let lab: { spec: LabSpec | undefined } | undefined;

/** The inventory's `lab:` section of this run (image, endpoint); undefined outside `edgecert run`. */
export function labSpec(): LabSpec | undefined {
  if (!lab) {
    try {
      lab = { spec: readRunContext().inventory.lab };
    } catch {
      lab = { spec: undefined };
    }
  }
  return lab.spec;
}

type Settled<T> = { ok: true; value: T } | { ok: false; timedOut: boolean; error?: unknown };

async function withDeadline<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<Settled<T>> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const work = fn(ac.signal);
  work.catch(() => undefined); // a late rejection after the deadline must not become unhandled
  const deadline = new Promise<'deadline'>((r) => (timer = setTimeout(() => r('deadline'), ms)));
  try {
    const first = await Promise.race([work.then((value) => ({ value })), deadline]);
    if (first === 'deadline') {
      ac.abort();
      return { ok: false, timedOut: true };
    }
    return { ok: true, value: first.value };
  } catch (error) {
    return { ok: false, timedOut: false, error };
  } finally {
    clearTimeout(timer);
  }
}

/** The HTTP status and message of a dockerode error, when dockerd answered at all. */
function httpError(err: unknown): { status: number; message: string } | undefined {
  const e = err as { statusCode?: unknown; json?: { message?: unknown } | null; message?: unknown };
  if (typeof e?.statusCode !== 'number') return undefined;
  const msg = typeof e.json?.message === 'string' ? e.json.message : String(e.message ?? '');
  return { status: e.statusCode, message: msg.trim() };
}

/**
 * Why the docker API failed: the board's fault (FAIL: dockerd down, frozen, stuck) or the lab's (INFRA: dockerd
 * answers on the board, but not through the transport's forward). The board is asked through its own shell.
 */
async function diagnose(c: DockerCtx, what: string, symptom: string): Promise<EdgecertError> {
  const sock = c.board.spec.docker.socket;
  const probe = await c.run(dockerdStateProbe(shQuote(sock)), { timeout: c.timeouts.command });
  const state = parseDockerdState(probe.stdout);
  if (!state.complete) return infra(`${what}: ${symptom}; the board did not answer a probe of dockerd's state either (exit ${probe.exitCode})`);
  const fault = dockerdFault(state, sock);
  if (fault) return boardFail(`${what}: ${symptom}: ${fault}`);
  // dockerd looks alive: ask it from the board itself with the docker CLI the seeds install next to dockerd
  const cli = await c.run(`command -v docker >/dev/null 2>&1 || { echo 'no docker CLI on the board'; exit 127; }; docker -H ${shQuote(`unix://${sock}`)} version --format '{{.Server.Version}}'`, {
    timeout: c.timeouts.hangProne,
  });
  if (cli.timedOut) return boardFail(`${what}: ${symptom}; on the board, \`docker version\` did not answer within ${c.timeouts.hangProne} ms either: dockerd is stuck`);
  if (cli.exitCode === 0) return infra(`${what}: ${symptom}, although dockerd answers on the board itself: the lab's forward of ${sock} failed`);
  if (cli.exitCode === 127) return infra(`${what}: ${symptom}; dockerd runs and ${sock} exists, and the board has no docker CLI to tell a stuck dockerd from a broken forward`);
  return boardFail(`${what}: ${symptom}; on the board, \`docker version\` failed too: ${(cli.stderr || cli.stdout).trim().slice(0, 300)}`);
}

/** One docker API call with a deadline; every failure becomes a FAIL or INFRA that says which side failed. */
export async function dockerApi<T>(c: DockerCtx, what: string, fn: (signal: AbortSignal) => Promise<T>, ms = c.timeouts.dockerApi): Promise<T> {
  const r = await withDeadline(ms, fn);
  if (r.ok) return r.value;
  if (r.error instanceof EdgecertError) throw r.error;
  if (r.timedOut) throw await diagnose(c, what, `dockerd accepted the request but did not answer within ${ms} ms`);
  const http = httpError(r.error);
  if (http) throw boardFail(`${what}: dockerd answered HTTP ${http.status}: ${http.message}`, { cause: r.error });
  throw await diagnose(c, what, `the docker API failed (${(r.error as Error)?.message ?? String(r.error)})`);
}

async function drain(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string; errorDetail?: { message?: string } }[]) => {
      const bad = events?.find((e) => e.error || e.errorDetail);
      if (err || bad) reject(err ?? new Error(bad?.error ?? bad?.errorDetail?.message ?? 'failed'));
      else resolve();
    });
  });
}

// dockerode honours abortSignal on these calls at run time; its type definitions do not declare it
type Abortable = { abortSignal: AbortSignal } & Record<string, unknown>;
interface SignalledDocker {
  info(o: Abortable): Promise<unknown>;
}
interface SignalledContainer {
  stats(o: Abortable): Promise<unknown>;
}

/** GET /info with a deadline (a frozen dockerd accepts the connection and never answers). */
export async function dockerInfo(c: DockerCtx, ms = c.timeouts.hangProne): Promise<unknown> {
  const docker = await c.docker();
  return dockerApi(c, 'GET /info', (signal) => (docker as unknown as SignalledDocker).info({ abortSignal: signal }), ms);
}

/** One `docker stats --no-stream` sample of a running container. */
export function containerStats(c: DockerCtx, container: Docker.Container): Promise<unknown> {
  return dockerApi(c, `GET /containers/${container.id.slice(0, 12)}/stats`, (signal) => (container as unknown as SignalledContainer).stats({ stream: false, abortSignal: signal }));
}

export interface LabImage {
  ref: string;
  id: string;
  arch: string;
}

/** The lab image on the board's dockerd: present already, else `docker load` of the lab tarball (or a lab registry pull). */
export async function ensureLabImage(c: DockerCtx): Promise<LabImage> {
  const src = labSpec()?.image;
  if (!src) throw infra('the inventory declares no lab image (`lab.image`): the lab cannot provide an offline image for container checks');
  const docker = await c.docker();
  const inspect = () =>
    dockerApi(c, `inspect image ${src.ref}`, (signal) =>
      // image inspect takes no abort signal in dockerode; the deadline still bounds the wait
      docker
        .getImage(src.ref)
        .inspect()
        .catch((e: unknown) => (httpError(e)?.status === 404 ? undefined : Promise.reject(e))),
    );
  let img = await inspect();
  if (!img) {
    if ('tarball' in src) {
      if (!existsSync(src.tarball)) throw infra(`lab image ${src.ref} is not on the board and the lab tarball ${src.tarball} does not exist on the harness host`);
      await dockerApi(c, `docker load of ${src.tarball}`, async (signal) => drain(docker, await docker.loadImage(createReadStream(src.tarball), { abortSignal: signal })), c.timeouts.dockerRun);
      c.note('lab image', `loaded ${src.ref} from ${src.tarball}`);
    } else {
      const full = `${src.registry.replace(/\/$/, '')}/${src.ref}`;
      await dockerApi(c, `pull ${full} from the lab registry`, async (signal) => drain(docker, await docker.pull(full, { abortSignal: signal })), c.timeouts.dockerRun);
      const [repo, tag] = splitRef(src.ref);
      await dockerApi(c, `tag ${full} as ${src.ref}`, (signal) => docker.getImage(full).tag({ repo, tag, abortSignal: signal }));
      c.note('lab image', `pulled ${full} from the lab registry`);
    }
    img = await inspect();
    if (!img) throw infra(`lab image ${src.ref} is still absent after loading it`);
  }
  const want = dockerArch(c.board.facts.machine);
  if (img.Architecture && want && dockerArch(img.Architecture) !== want) {
    throw infra(`lab image ${src.ref} is built for ${img.Architecture}, the board is ${c.board.facts.machine}: the lab must provide an image for the board's architecture`);
  }
  return { ref: src.ref, id: img.Id, arch: img.Architecture };
}

function splitRef(ref: string): [string, string] {
  const at = ref.lastIndexOf(':');
  return at > ref.lastIndexOf('/') ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, 'latest'];
}

export interface ContainerRun {
  name: string;
  exitCode: number | null;
  oomKilled: boolean;
  stdout: string;
  stderr: string;
  /** what dockerd said when creating it (e.g. a limit it discarded because the kernel lacks it) */
  warnings: string[];
  durationMs: number;
}

export interface RunSpec {
  /** a short word for the container name, e.g. `memlimit` */
  purpose: string;
  cmd: string[];
  hostConfig?: Record<string, unknown>;
  /** total budget from create to exit; default the profile's dockerRun */
  timeoutMs?: number;
  /** called once the container is started, while it runs (e.g. to sample its stats) */
  whileRunning?: (container: Docker.Container) => Promise<void>;
}

/** `docker run --rm` of the lab image through the API: create, start, wait, logs, remove (also by cleanup on failure). */
export async function runLabContainer(c: DockerCtx, spec: RunSpec): Promise<ContainerRun> {
  const image = await ensureLabImage(c);
  const docker = await c.docker();
  const name = `edgecert-${spec.purpose}-${randomBytes(3).toString('hex')}`;
  const budget = spec.timeoutMs ?? c.timeouts.dockerRun;
  const created = await dockerApi(c, `create container ${name}`, (signal) =>
    new Promise<{ Id: string; Warnings?: string[] | null }>((resolve, reject) =>
      // the raw call, because dockerode's createContainer drops the Warnings of the answer
      docker.modem.dial(
        {
          path: '/containers/create?',
          method: 'POST',
          options: { _query: { name }, _body: { Image: image.ref, Cmd: spec.cmd, Tty: false, Labels: { 'io.edgecert.purpose': spec.purpose }, HostConfig: { NetworkMode: 'bridge', ...spec.hostConfig } } },
          abortSignal: signal,
          statusCodes: { 200: true, 201: true, 400: 'bad parameter', 404: 'no such image', 409: 'conflict', 500: 'server error' },
        },
        (err: Error | null, data: unknown) => (err ? reject(err) : resolve(data as { Id: string; Warnings?: string[] | null })),
      ),
    ),
  );
  const container = docker.getContainer(created.Id);
  let removed = false;
  const remove = async () => {
    if (removed) return;
    await dockerApi(c, `remove container ${name}`, (signal) =>
      container.remove({ force: true, v: true, abortSignal: signal }).catch((e: unknown) => (httpError(e)?.status === 404 ? undefined : Promise.reject(e))),
    );
    removed = true;
  };
  c.board.cleanup.add(`container ${name}`, remove);
  const warnings = created.Warnings ?? [];
  if (warnings.length) c.note(`dockerd warnings creating ${name}`, warnings.join('\n'));
  const started = Date.now();
  try {
    await dockerApi(c, `start container ${name}`, (signal) => container.start({ abortSignal: signal }));
    if (spec.whileRunning) await spec.whileRunning(container);
    const left = Math.max(1_000, budget - (Date.now() - started));
    const waited = await withDeadline(left, (signal) => container.wait({ abortSignal: signal }) as Promise<{ StatusCode: number }>);
    if (!waited.ok && waited.timedOut) throw boardFail(`container ${name} (${spec.cmd.join(' ')}) did not exit within ${budget} ms`);
    if (!waited.ok) await dockerApi(c, `wait for container ${name}`, () => Promise.reject(waited.error));
    const durationMs = Date.now() - started;
    const info = await dockerApi(c, `inspect container ${name}`, (signal) => container.inspect({ abortSignal: signal }));
    const logs = await dockerApi(c, `logs of container ${name}`, (signal) => container.logs({ stdout: true, stderr: true, follow: false, abortSignal: signal }) as Promise<unknown>);
    const { stdout, stderr } = demuxDockerLogs(Buffer.isBuffer(logs) ? logs : Buffer.from(String(logs)));
    c.note(`container ${name}`, `$ ${spec.cmd.join(' ')}\n# exit ${info.State.ExitCode}${info.State.OOMKilled ? ' (OOM killed)' : ''} after ${durationMs} ms\n${stdout}${stderr ? `\n[stderr]\n${stderr}` : ''}`);
    return { name, exitCode: info.State.ExitCode ?? null, oomKilled: info.State.OOMKilled === true, stdout, stderr, warnings, durationMs };
  } finally {
    await remove().catch(() => undefined); // the cleanup list retries at the end of the suite
  }
}
