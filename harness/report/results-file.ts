import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactDeep } from '../core/redact.ts';
import type { CheckResult } from '../check/result.ts';

// One JSON line per verdict, appended the moment it is known: a killed run still leaves every result so far.
export function resultsFile(runDir: string, board: string): string {
  return join(runDir, 'results', `${board}.jsonl`);
}

export function appendResult(runDir: string, r: CheckResult): void {
  mkdirSync(join(runDir, 'results'), { recursive: true });
  appendFileSync(resultsFile(runDir, r.board), `${JSON.stringify(redactDeep(r))}\n`);
}

/** Every result of a run; a torn last line (the writer was killed mid-write) is skipped, not fatal. */
export function readResults(runDir: string, board?: string): CheckResult[] {
  const dir = join(runDir, 'results');
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl') && (!board || f === `${board}.jsonl`));
  const out: CheckResult[] = [];
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as CheckResult);
      } catch {
        /* torn line from a killed writer */
      }
    }
  }
  return out;
}
