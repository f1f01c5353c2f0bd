import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** OTLP span kinds (`Span.SpanKind` of the OTLP protobuf, as numbers in OTLP/JSON). */
export const OTLP_SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

/** One exported span, as an OTLP/JSON body carries it (ids in hex). */
export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  /** The exporting process's `service.name`. */
  readonly service: string;
}

export interface OtlpCollector {
  /** Give it to an app as `OTEL_EXPORTER_OTLP_ENDPOINT` (with `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`). */
  readonly url: string;
  /** Every JSON body POSTed to `/v1/traces` so far. */
  readonly bodies: readonly unknown[];
  /** Every span of those bodies. */
  spans(): OtlpSpan[];
  close(): Promise<void>;
}

interface OtlpBody {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<Omit<OtlpSpan, 'service'>> }>;
  }>;
}

/** A stand-in OTLP/HTTP collector on loopback: keeps every JSON trace export sent to it. */
export async function startOtlpCollector(): Promise<OtlpCollector> {
  const bodies: unknown[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/v1/traces') bodies.push(JSON.parse(body));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    spans: () =>
      (bodies as OtlpBody[]).flatMap((body) =>
        (body.resourceSpans ?? []).flatMap((resourceSpans) => {
          const service = resourceSpans.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value.stringValue ?? '';
          return (resourceSpans.scopeSpans ?? []).flatMap((scope) => (scope.spans ?? []).map((span) => ({ ...span, service })));
        }),
      ),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Every non-empty line of a process's output as a parsed JSON object (pino); throws on a line that is not one. */
export function jsonLogLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== 'object' || parsed === null) throw new Error(`not a JSON object: ${line}`);
      return parsed as Record<string, unknown>;
    });
}
