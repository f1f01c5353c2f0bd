import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { parsePrometheusText, sampleValue } from '../src/prometheus-text';

describe('parsePrometheusText', () => {
  it('reads every series of a labelled histogram, counters and gauges as prom-client writes them', async () => {
    const registry = new Registry();
    const histogram = new Histogram({ name: 'req_seconds', help: 'Requests', labelNames: ['route', 'status_code'], buckets: [0.1, 1], registers: [registry] });
    histogram.observe({ route: '/a', status_code: 200 }, 0.05);
    histogram.observe({ route: '/b', status_code: 404 }, 0.5);
    histogram.observe({ route: '/b', status_code: 404 }, 5);
    new Counter({ name: 'jobs_total', help: 'Jobs', registers: [registry] }).inc(3);
    new Gauge({ name: 'odd', help: 'Escapes', labelNames: ['path'], registers: [registry] }).set({ path: 'C:\\dir\n"x"' }, Number.NaN);

    const families = parsePrometheusText(await registry.metrics());

    expect(families.get('req_seconds')).toMatchObject({ type: 'histogram', help: 'Requests' });
    expect(sampleValue(families, 'req_seconds_bucket', { route: '/a', le: '0.1' })).toBe(1);
    expect(sampleValue(families, 'req_seconds_bucket', { route: '/b', le: '0.1' })).toBe(0);
    expect(sampleValue(families, 'req_seconds_bucket', { route: '/b', le: '1' })).toBe(1);
    expect(sampleValue(families, 'req_seconds_count', { route: '/b', status_code: '404' })).toBe(2);
    expect(sampleValue(families, 'req_seconds_sum', { route: '/b' })).toBe(5.5);
    expect(sampleValue(families, 'jobs_total')).toBe(3);
    expect(sampleValue(families, 'odd', { path: 'C:\\dir\n"x"' })).toBeNaN();
    expect(sampleValue(families, 'req_seconds_count', { route: '/nope' })).toBeUndefined();
  });

  it.each([
    ['a value that is not a number', 'up one'],
    ['an unterminated label value', 'up{job="x} 1'],
    ['a label without quotes', 'up{job=x} 1'],
    ['an unknown type', '# TYPE up meter'],
    ['a bucket without le', '# TYPE h histogram\nh_bucket{x="1"} 1'],
    ['garbage', '{}'],
  ])('rejects %s, naming the line', (_case, text) => {
    expect(() => parsePrometheusText(text)).toThrow(/^line \d+: /);
  });

  it('refuses to pick one of several matching samples', () => {
    const families = parsePrometheusText('# TYPE x gauge\nx{a="1"} 1\nx{a="2"} 2\n');
    expect(() => sampleValue(families, 'x')).toThrow(/2 samples of x/);
  });
});
