// Small helpers shared by the stand-in's handlers and controllers.
import { randomInt } from 'node:crypto';

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

// The alphabet upstream uses for generated name suffixes: no vowels, no look-alike digits.
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return s;
}

/** FNV-1a 32-bit of the text, rendered in the suffix alphabet: a stable pod-template-hash. */
export function templateHash(value: unknown): string {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(JSON.stringify(value))) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let s = '';
  for (let x = h; s.length < 10 && (x > 0 || s.length === 0); x = Math.floor(x / SUFFIX_ALPHABET.length)) {
    s += SUFFIX_ALPHABET[x % SUFFIX_ALPHABET.length];
  }
  return s;
}

/** Kubernetes Time: RFC 3339 with second precision. */
export const nowTime = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export const nowMicroTime = (): string => new Date().toISOString().replace(/Z$/, '000Z');

export const clone = <T>(v: T): T => structuredClone(v);
