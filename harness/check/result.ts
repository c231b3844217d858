import type { Outcome } from '../core/outcome.ts';
import type { CommandResult } from '../core/result.ts';

/** One check's verdict on one board, as written to results/<board>.jsonl the moment it is known. */
export interface CheckResult {
  runId: string;
  board: string;
  profile: string;
  suite: string;
  checkId: string;
  title: string;
  outcome: Outcome;
  /** why: the failure, the skip reason, the infra error chain */
  message: string;
  finding?: string;
  startedAt: string;
  durationMs: number;
  commands: CommandResult[];
  notes: { name: string; text: string }[];
  measurements: { name: string; value: number; unit: string }[];
  /** ms spent in board commands and docker API calls (the rest of durationMs is harness overhead) */
  boardMs: number;
}
