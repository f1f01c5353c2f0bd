import type { TObject } from '@sinclair/typebox';
import { isolatedRedis } from '@skyway/testkit';
import { buildApp } from '../../apps/main-service/src/app';
import { MainServiceEnv, parseConfig } from '../../apps/main-service/src/config';
import { MockSupplierEnv } from '../../apps/mock-supplier/src/config';
import { ProviderServiceEnv } from '../../apps/provider-service/src/config';
import { readRepoFile } from './compose-file';

const README = readRepoFile('README.md');

/** The text of the `## <title>` section, up to the next `## ` heading. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  expect([title, start]).not.toEqual([title, -1]);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

/** Every `curl …` command in the README's shell blocks, continuation lines joined. */
function curlCommands(): string[] {
  const blocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  return blocks.flatMap((block) =>
    block
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('curl ')),
  );
}

/** What the README promises a newcomer (SPEC §2, issue 6), checked against the code it describes. */
describe('README', () => {
  it('starts with exactly two commands: pnpm install && pnpm start, then pnpm test', () => {
    const quickStart = /```sh\n([\s\S]*?)```/.exec(section('Quick start'))?.[1] ?? '';
    const commands = quickStart
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter(Boolean);
    expect(commands).toEqual(['pnpm install && pnpm start', 'pnpm test']);
  });

  it('documents every environment variable each app reads in the configuration table', () => {
    const table = section('Configuration');
    const variables: Record<string, TObject> = { main: MainServiceEnv, provider: ProviderServiceEnv, supplier: MockSupplierEnv };
    for (const [app, schema] of Object.entries(variables)) {
      for (const name of Object.keys(schema.properties)) {
        expect([app, name, table.includes(`\`${name}\``)]).toEqual([app, name, true]);
      }
    }
  });

  it('has a curl example for every documented API and health route, with its method', async () => {
    const redis = await isolatedRedis('readme');
    const app = await buildApp(parseConfig({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', SEED_JOURNEYS: 'none' }));
    try {
      const { paths } = (await app.inject('/docs/json')).json<{ paths: Record<string, Record<string, unknown>> }>();
      const commands = curlCommands();
      for (const [path, operations] of Object.entries(paths)) {
        const url = new RegExp(`localhost:3000${path.replace(/\{\w+\}/g, '[^/\\s\'"]+')}(?=[\\s'"?]|$)`);
        for (const method of Object.keys(operations)) {
          const example = commands.find((command) => {
            if (!url.test(command)) return false;
            const explicit = /-X (\w+)/.exec(command)?.[1];
            const sent = explicit ?? (/ -d /.test(command) ? 'POST' : 'GET');
            return sent === method.toUpperCase();
          });
          expect([method, path, example]).toEqual([method, path, expect.any(String)]);
        }
      }
    } finally {
      await app.close();
      await redis.cleanup();
    }
  });
});
