import { join } from 'node:path';
import { REPO_ROOT } from '../cli/suite-files.ts';

/** The committed defect lab: one cheap virtual board per defect (see harness/virtual-lab/DEFECTS.md). */
export const DEFECT_LAB = join(REPO_ROOT, 'harness/virtual-lab/defect-lab/devices.yaml');
