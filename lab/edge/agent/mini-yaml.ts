// The subset of YAML that `edgecore --minconfig` and keadm write (nested block mappings, scalars, `- ` lists of
// scalars, comments). The stand-in must stay lean (its RSS is budgeted), so it does not load a full YAML library.

export type YamlValue = string | number | boolean | null | YamlValue[] | { [k: string]: YamlValue };

interface Line {
  indent: number;
  text: string;
  no: number;
}

function scalar(raw: string): YamlValue {
  const s = raw.trim();
  if (s === '' || s === '~' || s === 'null') return s === '' ? null : null;
  if ((s.startsWith('"') && s.endsWith('"') && s.length >= 2) || (s.startsWith("'") && s.endsWith("'") && s.length >= 2)) {
    const body = s.slice(1, -1);
    return s.startsWith('"') ? body.replace(/\\"/g, '"').replace(/\\\\/g, '\\') : body.replace(/''/g, "'");
  }
  if (s === 'true' || s === 'false') return s === 'true';
  if (s === '[]') return [];
  if (s === '{}') return {};
  if (s.startsWith('[') && s.endsWith(']')) return s.slice(1, -1).split(',').map((x) => scalar(x)).filter((x) => x !== null);
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  return s;
}

/** Drop a trailing ` # comment` that is not inside quotes. */
function stripComment(s: string): string {
  let q: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (q) {
      if (ch === q) q = undefined;
    } else if (ch === '"' || ch === "'") q = ch;
    else if (ch === '#' && (i === 0 || s[i - 1] === ' ' || s[i - 1] === '\t')) return s.slice(0, i).trimEnd();
  }
  return s.trimEnd();
}

export function parseYaml(text: string): YamlValue {
  const lines: Line[] = [];
  text.split('\n').forEach((l, i) => {
    if (/^\s*(#|$)/.test(l) || l.trim() === '---') return;
    if (/^\t/.test(l)) throw new Error(`line ${i + 1}: tabs are not allowed for indentation`);
    lines.push({ indent: l.length - l.trimStart().length, text: stripComment(l.trim()), no: i + 1 });
  });
  let pos = 0;
  const block = (indent: number): YamlValue => {
    const first = lines[pos];
    if (!first || first.indent < indent) return null;
    if (first.text.startsWith('- ') || first.text === '-') {
      const out: YamlValue[] = [];
      while (pos < lines.length && lines[pos]!.indent === first.indent && (lines[pos]!.text.startsWith('- ') || lines[pos]!.text === '-')) {
        const item = lines[pos]!.text.slice(1).trim();
        pos++;
        out.push(item ? scalar(item) : block(first.indent + 1));
      }
      return out;
    }
    const out: { [k: string]: YamlValue } = {};
    while (pos < lines.length && lines[pos]!.indent === first.indent) {
      const l = lines[pos]!;
      const m = /^("[^"]*"|'[^']*'|[^:]+?):(?:\s+(.*))?$/.exec(l.text);
      if (!m) throw new Error(`line ${l.no}: expected \`key: value\`, got ${JSON.stringify(l.text)}`);
      const key = String(scalar(m[1]!));
      pos++;
      const rest = m[2]?.trim() ?? '';
      if (rest) out[key] = scalar(rest);
      else {
        const next = lines[pos];
        // a list may sit at the same indent as its key, as many tools write it
        if (next && (next.indent > l.indent || (next.indent === l.indent && next.text.startsWith('- ')))) out[key] = block(next.indent);
        else out[key] = null;
      }
    }
    if (pos < lines.length && lines[pos]!.indent > first.indent) throw new Error(`line ${lines[pos]!.no}: unexpected indentation`);
    return out;
  };
  const v = block(0);
  if (pos < lines.length) throw new Error(`line ${lines[pos]!.no}: unexpected content`);
  return v;
}
