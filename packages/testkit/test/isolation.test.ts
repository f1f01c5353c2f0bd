import { isolatedRedis } from '../src';

describe('isolatedRedis', () => {
  it('gives two suites disjoint namespaces in the same Redis', async () => {
    const first = await isolatedRedis('suite-a');
    const second = await isolatedRedis('suite-b');
    try {
      expect(first.url).toBe(second.url);
      expect(first.prefix).not.toBe(second.prefix);
      await first.client.set(`${first.prefix}journey:{JRN-1}`, 'a');
      await second.client.set(`${second.prefix}journey:{JRN-1}`, 'b');
      await second.client.xadd(`${second.prefix}flight.search.requested`, '*', 'k', 'v');

      expect(await first.keys()).toEqual([`${first.prefix}journey:{JRN-1}`]);
      expect((await second.keys()).sort()).toEqual([`${second.prefix}flight.search.requested`, `${second.prefix}journey:{JRN-1}`]);
    } finally {
      await first.cleanup();
    }
    try {
      expect(await second.keys()).toHaveLength(2);
      expect(await second.client.get(`${second.prefix}journey:{JRN-1}`)).toBe('b');
    } finally {
      await second.cleanup();
    }
  });

  it('cleanup removes every key of the namespace', async () => {
    const namespace = await isolatedRedis();
    const probe = await isolatedRedis();
    try {
      for (let i = 0; i < 1200; i++) await namespace.client.set(`${namespace.prefix}k${i}`, '1');
      await namespace.cleanup();
      expect(await probe.client.keys(`${namespace.prefix}*`)).toEqual([]);
    } finally {
      await probe.cleanup();
    }
  });
});
