// Telling "the tool is not there" from "the tool ran and failed" in a board command's result.
import type { CommandResult } from '../core/result.ts';

/** sh/mksh/busybox all exit 127 for an unknown command; some wrappers print "not found" with another code. */
export function toolMissing(r: CommandResult): boolean {
  if (r.timedOut) return false;
  if (r.exitCode === 127) return true;
  return r.exitCode !== 0 && !r.stdout.trim() && /(^|\s|:)(inaccessible or )?not found\s*$/m.test(r.stderr);
}

/** The first line of stderr (or stdout), trimmed, for a failure message. */
export function firstLine(r: CommandResult): string {
  return (r.stderr.trim() || r.stdout.trim()).split('\n')[0]?.slice(0, 200) ?? '';
}

