import type Docker from 'dockerode';
import type { Board } from '../board/board.ts';
import { boardFail, EdgecertError, infra, skip } from '../core/errors.ts';
import type { CommandResult } from '../core/result.ts';
import type { ExecOptions } from '../transport/types.ts';
import type { Profile, Timeouts } from '../profiles/schema.ts';
import { evidenceStore } from '../board/recorder.ts';
import { findingFails } from './verdict.ts';

/** What a check body sees: the board, its profile, and verbs that say what happened. */
export class CheckContext {
  finding: string | undefined;
  constructor(
    readonly board: Board,
    private readonly isFindingCheck: boolean,
  ) {}

  get profile(): Profile {
    return this.board.profile;
  }
  get timeouts(): Timeouts {
    return this.board.profile.timeouts;
  }
  run(command: string, opts?: ExecOptions): Promise<CommandResult> {
    return this.board.run(command, opts);
  }
  /** Run and require that the command itself worked; a command that cannot run at all is the board's failure. */
  async must(command: string, opts?: ExecOptions & { what?: string }): Promise<CommandResult> {
    const r = await this.run(command, opts);
    if (r.timedOut) throw boardFail(`${opts?.what ?? `\`${command}\``} did not finish within ${r.durationMs} ms`);
    if (r.exitCode !== 0) throw boardFail(`${opts?.what ?? `\`${command}\``} exited ${r.exitCode}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
    return r;
  }
  docker(): Promise<Docker> {
    return this.board.docker();
  }
  note(name: string, text: string): void {
    evidenceStore.getStore()?.notes.push({ name, text });
  }
  measure(name: string, value: number, unit: string): void {
    evidenceStore.getStore()?.measurements.push({ name, value, unit });
  }
  fail(message: string, evidence?: Record<string, string>): never {
    throw boardFail(message, { evidence });
  }
  /** Not applicable here, with the reason (never reported as PASS). */
  skip(reason: string): never {
    throw skip(reason);
  }
  infra(message: string, cause?: unknown): never {
    throw infra(message, { cause });
  }
  /** Assert a board property; `false` is a FAIL with this message. */
  assert(condition: unknown, message: string, evidence?: Record<string, string>): void {
    if (!condition) this.fail(message, evidence);
  }
  /** A security finding: FAIL under a certify profile, recorded as a finding (PASS) under a nightly one. */
  reportFinding(message: string): void {
    if (!this.isFindingCheck) throw new EdgecertError('INFRA', `reportFinding used in a check not declared finding: true`);
    if (findingFails(this.profile)) this.fail(message);
    this.finding = message;
  }
}
