import { readFileSync } from 'node:fs';

// The board's identity comes from a build.prop-style file, so a defect board can change it without code.

/** Parse `key=value` lines; `#` comments and blank lines are skipped, later keys win. */
export function parseProps(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    props.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return props;
}

export function readProps(file: string): Map<string, string> {
  return parseProps(readFileSync(file, 'utf8'));
}

/** Features this device offers; only `cmd`, so hosts fall back to the legacy shell and sync v1. */
export const FEATURES = ['cmd'];

/** The CNXN banner real adbd sends: `device::` then the three product properties and the feature list. */
export function deviceBanner(props: Map<string, string>): string {
  const keys = ['ro.product.name', 'ro.product.model', 'ro.product.device'];
  const fields = keys.map((k) => `${k}=${props.get(k) ?? ''}`);
  return `device::${fields.join(';')};features=${FEATURES.join(',')}`;
}
