import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { SUITES } from '../check/meta.ts';
import { readRunContext, RUN_CONTEXT_VAR } from '../fixtures/run-context.ts';
import { REPO_ROOT } from './suite-files.ts';

// The conformance suites run one board per vitest process, files in catalogue order, one at a time.
const runDir = process.env[RUN_CONTEXT_VAR] ? readRunContext().runDir : join(REPO_ROOT, 'reports', 'adhoc');

class CatalogueOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => SUITES.findIndex((s) => f.moduleId.endsWith(`/suites/${s}.check.ts`));
    return [...files].sort((a, b) => rank(a) - rank(b));
  }
  override async shard(files: TestSpecification[]): Promise<TestSpecification[]> {
    return files;
  }
}

export default defineConfig({
  root: REPO_ROOT,
  test: {
    include: ['suites/**/*.check.ts'],
    setupFiles: ['allure-vitest/setup'],
    reporters: [
      ['default', { summary: false }],
      ['allure-vitest/reporter', { resultsDir: join(runDir, 'allure-results') }],
    ],
    pool: 'forks',
    fileParallelism: false,
    sequence: { sequencer: CatalogueOrder },
    // per-check budgets come from the profile's timeout table; these only stop a runaway file
    testTimeout: 20 * 60_000,
    hookTimeout: 10 * 60_000,
    teardownTimeout: 60_000,
  },
});
