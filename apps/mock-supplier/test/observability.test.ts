import { parsePrometheusText, sampleValue } from '@skyway/testkit';
import { buildApp } from '../src/app';
import { parseConfig } from '../src/config';

describe('mock-supplier metrics', () => {
  it('serves Prometheus text at /metrics with request durations by route and status', async () => {
    const app = await buildApp(parseConfig({ LOG_LEVEL: 'silent', SUPPLIER_LATENCY_MS: '0' }));
    try {
      expect((await app.inject('/v1/flights?from=CGK&to=DPS&date=2030-07-10&passengers=2')).statusCode).toBe(200);
      expect((await app.inject('/v1/flights?from=CGK')).statusCode).toBe(400);

      const response = await app.inject('/metrics');
      expect(response.statusCode).toBe(200);
      const families = parsePrometheusText(response.body);
      expect(families.get('http_request_duration_seconds')?.type).toBe('histogram');
      expect(sampleValue(families, 'http_request_duration_seconds_count', { method: 'GET', route: '/v1/flights', status_code: '200' })).toBe(1);
      expect(sampleValue(families, 'http_request_duration_seconds_count', { method: 'GET', route: '/v1/flights', status_code: '400' })).toBe(1);
      expect(families.get('process_resident_memory_bytes')?.type).toBe('gauge');
    } finally {
      await app.close();
    }
  });
});
