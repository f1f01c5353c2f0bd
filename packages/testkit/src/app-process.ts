import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { freePort } from '@skyway/local-redis';

export type AppName = 'main-service' | 'provider-service' | 'mock-supplier';

/** The workspace root: the nearest folder above this file holding pnpm-workspace.yaml. */
export function repoRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${from}`);
    dir = parent;
  }
  return dir;
}

/** A child process with its stdout and stderr captured, SIGKILLed if this process exits first. */
export interface CapturedProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. Resolves to the exit code or signal. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | NodeJS.Signals | null>;
  /** Resolves when the process has exited and its output has been read, with its exit code or signal. */
  exited(): Promise<number | NodeJS.Signals | null>;
}

export interface SpawnCapturedOptions {
  /** The whole environment of the child: nothing of this process's leaks in unless passed. */
  readonly env: Record<string, string>;
  readonly cwd?: string;
}

/** How long {@link CapturedProcess.exited} waits, after the exit, for the rest of the output. */
const OUTPUT_DRAIN_MS = 1_000;

function streamEnded(stream: Readable | null): Promise<void> {
  if (stream === null || stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
  });
}

export function spawnCaptured(file: string, args: readonly string[], options: SpawnCapturedOptions): CapturedProcess {
  const child = spawn(file, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'], ...(options.cwd ? { cwd: options.cwd } : {}) });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => {
      // 'exit' can come before the last of the output has been read from the pipes: wait for both to
      // end, at most OUTPUT_DRAIN_MS (a grandchild that inherited a pipe may hold it open).
      const drained = Promise.all([child.stdout, child.stderr].map(streamEnded));
      let timer: NodeJS.Timeout | undefined;
      const cap = new Promise<void>((done) => (timer = setTimeout(done, OUTPUT_DRAIN_MS)));
      void Promise.race([drained, cap]).then(() => {
        clearTimeout(timer);
        resolve(code ?? signal);
      });
    }),
  );
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exit.then(() => process.removeListener('exit', killOnExit));
  return {
    child,
    output: () => output,
    exited: () => exit,
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Polls `url` until it answers 2xx; throws with the process's output if it exits first or `timeoutMs` passes. */
export async function waitUntilAnswering(running: CapturedProcess, url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (running.child.exitCode !== null) throw new Error(`exited with ${running.child.exitCode} before ${url} answered:\n${running.output()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer in time:\n${running.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A built app running as a real OS process on a free port. */
export interface AppProcess extends CapturedProcess {
  readonly name: AppName;
  readonly url: string;
  readonly port: number;
}

export interface StartAppOptions {
  readonly env?: Record<string, string>;
  /** Path polled until it answers 200; `null` to return as soon as the process is spawned. */
  readonly readyPath?: string | null;
  readonly timeoutMs?: number;
  /** The port to listen on, when the environment must name it (e.g. a URL of the app itself); default: a free one. */
  readonly port?: number;
  /** Options for node itself, before the entry point (e.g. `--cpu-prof`, which NODE_OPTIONS does not accept on Node 20). */
  readonly nodeArgs?: readonly string[];
}

/** Runs `node apps/<name>/dist/main.js` (build first) with `PORT` set to a free port (or `port`). */
export async function startApp(name: AppName, options: StartAppOptions = {}): Promise<AppProcess> {
  const entry = join(repoRoot(), 'apps', name, 'dist', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`pnpm build\` first`);
  const port = options.port ?? (await freePort());
  const running = spawnCaptured(process.execPath, [...(options.nodeArgs ?? []), entry], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...options.env },
  });
  const app: AppProcess = { ...running, name, url: `http://127.0.0.1:${port}`, port };

  const readyPath = options.readyPath === undefined ? '/health/live' : options.readyPath;
  if (readyPath === null) return app;
  try {
    await waitUntilAnswering(app, app.url + readyPath, options.timeoutMs);
  } catch (error) {
    await app.stop('SIGKILL');
    throw new Error(`${name}: ${(error as Error).message}`);
  }
  return app;
}

/** Runs an app that is expected to exit on its own (e.g. on invalid configuration). */
export async function runToExit(
  name: AppName,
  env: Record<string, string>,
  timeoutMs = 10_000,
): Promise<{ exit: number | NodeJS.Signals | null; output: string }> {
  const app = await startApp(name, { env, readyPath: null });
  const timer = setTimeout(() => app.child.kill('SIGKILL'), timeoutMs);
  try {
    return { exit: await app.exited(), output: app.output() };
  } finally {
    clearTimeout(timer);
  }
}
