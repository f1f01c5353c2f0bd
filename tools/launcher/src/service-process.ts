import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export type ExitStatus = { readonly code: number | null; readonly signal: NodeJS.Signals | null };

/** A child process the launcher owns. */
export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves once the process has exited and its output is fully written. */
  readonly exited: Promise<ExitStatus>;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs: number): Promise<ExitStatus>;
  /** SIGKILL now. */
  kill(): void;
}

export interface SpawnServiceOptions {
  readonly name: string;
  readonly entry: string;
  readonly env: NodeJS.ProcessEnv;
  /** Receives each output line of the child (stdout and stderr), without its newline. */
  readonly onLine: (line: string) => void;
}

function lines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  const reader = createInterface({ input: stream, crlfDelay: Infinity });
  reader.on('line', onLine);
  return new Promise((resolve) => reader.once('close', resolve));
}

/**
 * Runs `node <entry>` in its own process group: a Ctrl-C in the terminal then reaches only the
 * launcher, which stops every child exactly once and in order (apps first, Redis last).
 */
export function spawnService(options: SpawnServiceOptions): ServiceProcess {
  const child = spawn(process.execPath, [options.entry], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid === undefined) throw new Error(`could not start ${options.name}`);
  const output = Promise.all([lines(child.stdout, options.onLine), lines(child.stderr, options.onLine)]);
  const exit = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const exited = Promise.all([exit, output]).then(([status]) => status);
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name: options.name,
    pid: child.pid,
    exited,
    async stop(graceMs) {
      if (running()) child.kill('SIGTERM');
      const timer = setTimeout(() => running() && child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    kill() {
      if (running()) child.kill('SIGKILL');
    },
  };
}
