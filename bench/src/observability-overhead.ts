/**
 * What observability costs a request: main-service with OpenTelemetry off (`OTEL_SDK_DISABLED`),
 * on without an exporter (the default sampler: 1 new trace in 10 recorded), recording and exporting
 * every span over OTLP (http/protobuf) to a loopback sink, and exporting with the default sampler.
 * The four run side by side in alternating rounds against the same Redis; the route is a search
 * lookup (HTTP server span, Fastify span, one Redis GET span, log lines, HTTP histogram).
 */
import { provisionRedis, startApp, uniqueKeyPrefix, type AppProcess } from '@skyway/testkit';
import autocannon from 'autocannon';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { median, printTable, runBenchmark, writeResults } from './report';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = 10;
const PATH = '/api/flights/search/00000000-0000-4000-8000-000000000000';

interface Measurement {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

async function load(url: string): Promise<Measurement> {
  // No traceparent: callers' sampling decisions would override the sampler under test.
  const result = await autocannon({ url: url + PATH, connections: CONNECTIONS, duration: SECONDS });
  // Every answer is the 404 of an unknown search; anything else means the run measured something else.
  if (result.errors > 0 || result.timeouts > 0 || result['2xx'] > 0 || result['5xx'] > 0) {
    throw new Error(`unexpected answers: ${result.errors} errors, ${result.timeouts} timeouts, ${result['2xx']} 2xx, ${result['5xx']} 5xx`);
  }
  return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99 };
}

async function main(): Promise<void> {
  const redis = await provisionRedis();
  // An OTLP/HTTP sink: accepts and drops every export, so exporting costs what it costs a service.
  const sink = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  sink.listen(0, '127.0.0.1');
  await once(sink, 'listening');
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

  const base = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniqueKeyPrefix('bench'), LOG_LEVEL: 'warn' };
  const variants: { name: string; env: Record<string, string> }[] = [
    { name: 'tracing off', env: { ...base, OTEL_SDK_DISABLED: 'true' } },
    { name: 'tracing, no exporter', env: base },
    { name: 'every span recorded + OTLP export', env: { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_TRACES_SAMPLER: 'parentbased_always_on' } },
    { name: 'OTLP export, 1 in 10 recorded (default)', env: { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl } },
  ];
  const apps: AppProcess[] = [];
  try {
    for (const variant of variants) apps.push(await startApp('main-service', { env: variant.env }));
    const measured = variants.map(() => [] as Measurement[]);
    for (let round = 0; round < ROUNDS; round += 1) {
      // Alternate the order so drift on a shared machine does not favour one variant.
      const order = variants.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) measured[i]?.push(await load((apps[i] as AppProcess).url));
    }
    const baseline = median(measured[0]?.map((m) => m.requestsPerSecond) ?? []);
    const rows = variants.map((variant, i) => {
      const runs = measured[i] ?? [];
      const rps = median(runs.map((m) => m.requestsPerSecond));
      return {
        variant: variant.name,
        'req/s (median)': Math.round(rps),
        'vs off': rps / baseline,
        'p50 ms': median(runs.map((m) => m.p50Ms)),
        'p99 ms': median(runs.map((m) => m.p99Ms)),
      };
    });
    printTable(`main-service ${PATH} — ${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections`, rows);
    writeResults('observability-overhead', { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, path: PATH }, { rows, runs: measured });
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    sink.close();
    await redis.teardown();
  }
}

runBenchmark(main);
