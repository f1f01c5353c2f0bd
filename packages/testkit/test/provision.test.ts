import { redisAnswers } from '@skyway/local-redis';
import { provisionRedis } from '../src';

describe('provisionRedis', () => {
  it('uses REDIS_URL when it is set, and owns nothing', async () => {
    const provisioned = await provisionRedis({ REDIS_URL: 'redis://example.invalid:6379' });
    expect(provisioned).toMatchObject({ url: 'redis://example.invalid:6379', source: 'REDIS_URL' });
    await provisioned.teardown();
  });

  it('otherwise starts a private redis-server and stops it on teardown', async () => {
    const provisioned = await provisionRedis({});
    expect(provisioned.source).toBe('redis-server');
    expect(await redisAnswers(provisioned.url)).toBe(true);
    await provisioned.teardown();
    expect(await redisAnswers(provisioned.url)).toBe(false);
  });
});
