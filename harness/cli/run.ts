import { runConformance, type RunOptions } from '../runner.ts';

/** `edgecert run`: the exit code of a conformance run (the runner API is harness/runner.ts). */
export async function runCommand(opts: RunOptions): Promise<number> {
  return (await runConformance(opts)).exitCode;
}
