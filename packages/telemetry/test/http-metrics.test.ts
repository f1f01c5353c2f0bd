import { parsePrometheusText, sampleValue } from '@skyway/testkit';
import Fastify from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { telemetryPlugin, UNKNOWN_ROUTE } from '../src';

describe('http_request_duration_seconds', () => {
  it('times each request under its route pattern, method and status; unknown URLs share one series; HEAD and OPTIONS are not timed', async () => {
    const app = Fastify({ logger: false });
    await app.register(telemetryPlugin);
    app.get('/items/:id', async () => ({ ok: true }));
    app.post('/items', async (_request, reply) => reply.code(201).send({ created: true }));
    app.get('/slow', async () => {
      await sleep(60);
      return { ok: true };
    });
    try {
      for (const id of ['1', '2', '3']) expect((await app.inject(`/items/${id}`)).statusCode).toBe(200);
      expect((await app.inject({ method: 'POST', url: '/items', payload: {} })).statusCode).toBe(201);
      expect((await app.inject('/slow')).statusCode).toBe(200);
      for (const url of ['/nothing/here', '/nor/here']) expect((await app.inject(url)).statusCode).toBe(404);
      expect((await app.inject({ method: 'HEAD', url: '/items/1' })).statusCode).toBe(200);
      await app.inject({ method: 'OPTIONS', url: '/items' });

      const families = parsePrometheusText((await app.inject('/metrics')).body);
      const count = (labels: Record<string, string>) => sampleValue(families, 'http_request_duration_seconds_count', labels);
      expect(count({ method: 'GET', route: '/items/:id', status_code: '200' })).toBe(3);
      expect(count({ method: 'POST', route: '/items', status_code: '201' })).toBe(1);
      expect(count({ method: 'GET', route: UNKNOWN_ROUTE, status_code: '404' })).toBe(2);
      expect(count({ method: 'HEAD', route: '/items/:id', status_code: '200' })).toBeUndefined();
      expect(families.get('http_request_duration_seconds')?.samples.filter((sample) => sample.labels.method === 'OPTIONS')).toEqual([]);
      // The duration is the request's own: the slow route's one request took at least its 60 ms.
      expect(sampleValue(families, 'http_request_duration_seconds_sum', { method: 'GET', route: '/slow', status_code: '200' })).toBeGreaterThanOrEqual(0.055);
      expect(sampleValue(families, 'http_request_duration_seconds_bucket', { route: '/slow', le: '0.05' })).toBe(0);
      expect(sampleValue(families, 'http_request_duration_seconds_bucket', { route: '/slow', le: '+Inf' })).toBe(1);
    } finally {
      await app.close();
    }
  });
});
