import { describe } from 'vitest';
import { LocalTransport } from '../../harness/transport/local.ts';
import { transportConformance } from './conformance.ts';

describe('local transport', () => {
  const t = new LocalTransport('lab-host');
  transportConformance(() => t);
});
