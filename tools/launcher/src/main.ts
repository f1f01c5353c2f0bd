import { ConfigError } from '@skyway/service-runtime';
import { resolve } from 'node:path';
import { parseConfig, type LauncherConfig } from './config';
import { createLauncher } from './launcher';

const print = (line: string): void => void process.stdout.write(`${line}\n`);

let config: LauncherConfig;
try {
  config = parseConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`launcher: invalid configuration: ${error.message}\n`);
  process.exit(1);
}

// tools/launcher/{src,dist}/main → the workspace root.
const repoRoot = resolve(__dirname, '..', '..', '..');
const launcher = createLauncher(config, { print, colour: process.stdout.isTTY === true, env: process.env, now: () => new Date() }, repoRoot);
process.on('SIGINT', () => launcher.requestStop('SIGINT'));
process.on('SIGTERM', () => launcher.requestStop('SIGTERM'));
launcher.run().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`launcher: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
