// What suite files import: suites hold checks only, written against this API.
export { check, suite } from './check.ts';
export type { CheckContext } from './context.ts';
