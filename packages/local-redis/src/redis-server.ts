import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';
import { redisAnswers } from './probe';

export interface RedisServerOptions {
  /** Turn on the append-only file with this fsync policy (for durability tests). */
  readonly appendfsync?: 'always' | 'everysec';
  /** Reuse a data directory (to restart a server on its own AOF). */
  readonly dir?: string;
  /** Listen on this port (to restart a server where clients expect it). */
  readonly port?: number;
  /**
   * Run it in its own process group, so a Ctrl-C in the terminal reaches only its owner, which then
   * stops it last, after the processes that use it.
   */
  readonly ownProcessGroup?: boolean;
  /** Addresses to listen on besides loopback (e.g. to be reached from a non-loopback address, which protected mode refuses). */
  readonly extraBind?: readonly string[];
}

/** A private `redis-server` child process, owned by the process that started it. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  /** Graceful SHUTDOWN-like stop (SIGTERM); removes the data dir unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** SIGKILL: the crash case. The data dir is kept so a restart can replay the AOF. */
  kill(): Promise<void>;
}

export function isRedisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function waitForPing(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await redisAnswers(url))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited early with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`redis-server did not answer at ${url} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Starts `redis-server` on a free loopback port with no persistence unless asked for AOF. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'skyway-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', ...(options.extraBind ?? []), '--dir', dir, '--save', '', '--daemonize', 'no'];
  args.push(...(options.appendfsync ? ['--appendonly', 'yes', '--appendfsync', options.appendfsync] : ['--appendonly', 'no']));
  const child = spawn('redis-server', args, { stdio: 'ignore', detached: options.ownProcessGroup ?? false });
  const url = `redis://127.0.0.1:${port}`;
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    await waitForPing(url, child, 10_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const pid = child.pid as number;
  return {
    url,
    port,
    dir,
    pid,
    async stop({ keepData = false } = {}) {
      process.removeListener('exit', killOnExit);
      child.kill('SIGTERM');
      await exited(child);
      if (!keepData) rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      process.removeListener('exit', killOnExit);
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}
