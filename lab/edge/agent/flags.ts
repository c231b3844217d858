// `--defect name[=value]` flags: how the lab injects a stand-in defect (see ../README.md, "Defects").
export type Flags = Map<string, string>;

export function parseFlags(argv: string[]): { opts: Map<string, string>; defects: Flags } {
  const opts = new Map<string, string>();
  const defects: Flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const [k, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const v = inline ?? argv[++i];
    if (v === undefined) throw new Error(`--${k} needs a value`);
    if (k === 'defect') {
      const [name, value] = v.split(/=(.*)/s, 2) as [string, string | undefined];
      defects.set(name, value ?? '');
    } else opts.set(k, v);
  }
  return { opts, defects };
}

export function log(component: string): (m: string) => void {
  return (m) => process.stdout.write(`${new Date().toISOString()} ${component}: ${m}\n`);
}
