import { join } from 'node:path';
import { REPO_ROOT } from '../../harness/cli/suite-files.ts';

/** The committed defect lab: one cheap virtual board per defect (see lab/DEFECTS.md). */
export const DEFECT_LAB = join(REPO_ROOT, 'lab/defect-lab/devices.yaml');
