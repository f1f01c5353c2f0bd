import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawnCaptured, waitUntilAnswering } from '../src';

const node = (script: string) => spawnCaptured(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '' } });

describe('spawnCaptured', () => {
  it('captures stdout and stderr and resolves exited() with the exit code', async () => {
    const running = node("process.stdout.write('out '); process.stderr.write('err'); process.exit(3)");
    expect(await running.exited()).toBe(3);
    expect(running.output()).toBe('out err');
  });

  it('stop() sends the signal and resolves with it', async () => {
    const running = node('setInterval(() => {}, 1000)');
    expect(await running.stop('SIGTERM')).toBe('SIGTERM');
  });
});

describe('waitUntilAnswering', () => {
  it('rejects with the output when the process exits before the URL answers', async () => {
    const running = node("console.log('bad config'); process.exit(1)");
    await running.exited();
    await expect(waitUntilAnswering(running, 'http://127.0.0.1:9/health/ready')).rejects.toThrow(/exited with 1 before .*\n.*bad config/);
  });

  it('resolves once the URL answers 2xx', async () => {
    const server = createServer((_request, response) => response.end('ok')).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const running = node('setInterval(() => {}, 1000)');
    try {
      await expect(waitUntilAnswering(running, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).resolves.toBeUndefined();
    } finally {
      await running.stop();
      server.close();
    }
  });
});
