import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { usage } from '../core/errors.ts';
import { loadYamlFile } from '../inventory/load.ts';
import { Profile } from './schema.ts';

export const PROFILES_DIR = dirname(fileURLToPath(import.meta.url));

/** A profile by name (harness/profiles/<name>.yaml) or by path; schema errors name file, line and YAML path. */
export function loadProfile(nameOrPath: string): Profile {
  const file = nameOrPath.endsWith('.yaml') ? resolve(nameOrPath) : join(PROFILES_DIR, `${nameOrPath}.yaml`);
  if (!existsSync(file)) throw usage(`profile \`${nameOrPath}\`: ${file} does not exist`);
  const { data } = loadYamlFile(file, Profile, 'profile');
  if (!file.endsWith(`/${data.name}.yaml`)) throw usage(`${file}: profile name \`${data.name}\` must match its file name`);
  return data;
}
