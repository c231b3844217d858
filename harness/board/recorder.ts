import { AsyncLocalStorage } from 'node:async_hooks';
import type { CommandResult } from '../core/result.ts';

/** Commands and notes collected while one check runs; they become its evidence. */
export interface Evidence {
  commands: CommandResult[];
  notes: { name: string; text: string }[];
  measurements: { name: string; value: number; unit: string }[];
  /** time spent waiting on the board's docker API (dockerode calls), for the harness-overhead figure */
  dockerApiMs: number;
}

export const evidenceStore = new AsyncLocalStorage<Evidence>();

export function newEvidence(): Evidence {
  return { commands: [], notes: [], measurements: [], dockerApiMs: 0 };
}

export function recordCommand(r: CommandResult): void {
  evidenceStore.getStore()?.commands.push(r);
}

export function recordDockerApi(ms: number): void {
  const e = evidenceStore.getStore();
  if (e) e.dockerApiMs += ms;
}
