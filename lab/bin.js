#!/usr/bin/env node
// `edgecert-lab`: registers the TypeScript loader, then hands over to the virtual lab's CLI.
import { register } from 'tsx/esm/api';

register();
const { runLabCommand } = await import('./cli.ts');
process.exitCode = await runLabCommand(process.argv.slice(2));
