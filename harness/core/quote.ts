// Inventory values reach board shells only through this helper, so a hostile value stays one literal word.
export function shQuote(value: string | number): string {
  const s = String(value);
  if (s.includes('\0')) throw new TypeError('shell argument contains a NUL byte');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Quote every argument and join: `shJoin(['ls', dir])`. */
export function shJoin(argv: readonly (string | number)[]): string {
  return argv.map(shQuote).join(' ');
}
