// One board script answers several questions in one round trip: each answer follows a marker line `@@name [args]`,
// and a last `@@end` says the script ran to its end (a cut-off or hung script is then told apart from an empty answer).
import { shQuote } from '../core/quote.ts';

/** Output a text tool cannot have produced: NUL, control/escape bytes, invalid UTF-8 (a broken or garbling tool). */
export function garbled(text: string): boolean {
  return /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]/.test(text);
}

const MARKER = /^@@([a-z0-9_-]+)(?: (.*))?$/;

/** The shell line that prints a marker; `args` is shell text the board expands (e.g. `$p $(readlink ...)`). */
export function mark(name: string, args?: string): string {
  return `echo "@@${name}${args ? ` ${args}` : ''}"`;
}

/** A marker whose words are a value of ours (a path), quoted so the board's shell expands nothing in it. */
export function markLiteral(name: string, value: string): string {
  return `echo ${shQuote(`@@${name} ${value}`)}`;
}

/** A board script of `parts` (shell lines, each usually starting with a `mark`), ending with the end marker. */
export function sectionScript(parts: readonly string[], sep = '\n'): string {
  return [...parts, mark('end')].join(sep);
}

export interface Section {
  name: string;
  /** the marker's words after its name (e.g. a pid and a namespace) */
  args: string[];
  lines: string[];
}

export interface Sectioned {
  /** in output order; text before the first marker belongs to none */
  list: Section[];
  /** the last line that is not blank is `@@end` */
  complete: boolean;
  /** lines of the first section of that name, joined (undefined when the board printed no such marker) */
  text(name: string): string | undefined;
  lines(name: string): string[] | undefined;
}

export function parseSections(stdout: string): Sectioned {
  const list: Section[] = [];
  for (const raw of stdout.split('\n')) {
    const m = MARKER.exec(raw.trimEnd());
    if (m) list.push({ name: m[1]!, args: (m[2] ?? '').trim().split(/\s+/).filter(Boolean), lines: [] });
    else list.at(-1)?.lines.push(raw);
  }
  const last = stdout.trimEnd().split('\n').at(-1)?.trim();
  const first = (name: string) => list.find((s) => s.name === name);
  return {
    list,
    complete: last === '@@end',
    text: (name) => first(name)?.lines.join('\n'),
    lines: (name) => first(name)?.lines,
  };
}
