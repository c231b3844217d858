import { log } from '../core/log.ts';

// What a check creates on a board (containers, files, pods) is undone even when the check fails.
export class CleanupList {
  private readonly items: { what: string; undo: () => Promise<unknown> }[] = [];

  add(what: string, undo: () => Promise<unknown>): void {
    this.items.push({ what, undo });
  }

  /** Runs every undo, newest first; failures are logged, never thrown, so one stuck item cannot strand the rest. */
  async run(): Promise<string[]> {
    const failed: string[] = [];
    while (this.items.length) {
      const { what, undo } = this.items.pop()!;
      try {
        await undo();
      } catch (err) {
        failed.push(what);
        log.warn(`cleanup of ${what} failed: ${(err as Error).message}`);
      }
    }
    return failed;
  }
}
