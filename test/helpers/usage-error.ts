import { expect } from 'vitest';
import { EdgecertError } from '../../harness/core/errors.ts';

/** Run `fn`, require it to throw a USAGE EdgecertError, and return it for message assertions. */
export function usageError(fn: () => unknown): EdgecertError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EdgecertError);
    expect((e as EdgecertError).outcome).toBe('USAGE');
    return e as EdgecertError;
  }
  throw new Error('expected a USAGE error');
}
