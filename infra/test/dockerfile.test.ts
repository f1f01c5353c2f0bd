import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCompose, readRepoFile, REPO_ROOT, servicesOf } from './compose-file';
import { argumentsOf, flagsOf, keyword, readStages } from './dockerfile';
import { deployArgs } from './production-bundle';

const DOCKERFILE = 'infra/Dockerfile';
const stages = readStages(DOCKERFILE);
const [build, runtime] = [stages[0], stages.at(-1)];
/** The APP build argument of every compose service built from this Dockerfile. */
const apps = Object.values(servicesOf(loadCompose()))
  .filter((service) => service.build?.dockerfile === DOCKERFILE)
  .map((service) => service.build?.args?.APP as string);

/** .dockerignore patterns as regular expressions over repository-relative paths. */
const ignored = readRepoFile('.dockerignore')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map((pattern) => {
    const glob = (part: string) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
    return new RegExp(`^${pattern.split('**/').map(glob).join('(.*/)?')}(/.*)?$`);
  });

describe('infra/Dockerfile', () => {
  it('is built for each app: APP names an app folder and its package, and the app builds to the entry point the image runs', () => {
    expect([...apps].sort()).toEqual(['main-service', 'mock-supplier', 'provider-service']);
    for (const app of apps) {
      const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'apps', app, 'package.json'), 'utf8')) as { name: string; main: string };
      // `--filter=@skyway/${APP}` in the build stage, and `node dist/main.js` in apps/<APP>.
      expect([app, manifest.name, manifest.main]).toEqual([app, `@skyway/${app}`, 'dist/main.js']);
      expect([app, existsSync(join(REPO_ROOT, 'apps', app, 'dist', 'main.js'))]).toEqual([app, true]);
    }
  });

  it('copies only paths that exist in the build context and that .dockerignore does not leave out', () => {
    const sources = stages.flatMap((stage) =>
      stage.instructions.filter(keyword('COPY')).filter((copy) => !flagsOf(copy).some((flag) => flag.startsWith('from='))).flatMap((copy) => argumentsOf(copy).slice(0, -1)),
    );
    expect(sources).toEqual(expect.arrayContaining(['pnpm-lock.yaml', '.']));
    for (const source of sources) {
      expect([source, existsSync(join(REPO_ROOT, source))]).toEqual([source, true]);
      expect([source, ignored.some((pattern) => pattern.test(source))]).toEqual([source, false]);
    }
  });

  it('copies from earlier stages only what they produce', () => {
    const copies = (runtime?.instructions ?? []).filter(keyword('COPY'));
    expect(copies.map((copy) => [flagsOf(copy), argumentsOf(copy)[0]])).toEqual([[['from=build'], '/deploy']]);
    // The very command production-bundle.test.ts runs and starts the apps from.
    expect(build?.instructions.filter(keyword('RUN')).map((run) => argumentsOf(run).join(' '))).toContainEqual(
      expect.stringContaining(['pnpm', ...deployArgs('${APP}', '/deploy')].join(' ')),
    );
  });

  it('keeps host builds and dependencies out of the build context', () => {
    for (const path of ['node_modules', 'apps/main-service/node_modules', 'packages/contracts/dist', '.git']) {
      expect([path, ignored.some((pattern) => pattern.test(path))]).toEqual([path, true]);
    }
  });

  it('builds in one stage and runs production dependencies only in a second, both on node:22-bookworm-slim', () => {
    expect(stages.map((stage) => [stage.image, stage.name])).toEqual([
      ['node:22-bookworm-slim', 'build'],
      ['node:22-bookworm-slim', 'runtime'],
    ]);
  });

  it('installs the pnpm version package.json pins', () => {
    const pinned = (JSON.parse(readRepoFile('package.json')) as { packageManager: string }).packageManager.split('@')[1];
    const arg = build?.instructions.filter(keyword('ARG')).map((instruction) => argumentsOf(instruction)[0]).find((value) => value?.startsWith('PNPM_VERSION='));
    expect(arg).toBe(`PNPM_VERSION=${pinned}`);
  });

  it('runs as a non-root user', () => {
    const users = (runtime?.instructions ?? []).filter(keyword('USER')).map((instruction) => argumentsOf(instruction)[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users.at(-1));
  });

  it('has a HEALTHCHECK that needs neither curl nor wget, on the port the app listens on', () => {
    const [healthcheck] = (runtime?.instructions ?? []).filter(keyword('HEALTHCHECK'));
    const command = healthcheck?.getArgumentsContent() ?? '';
    expect(command).toMatch(/^CMD \["node", "-e", /);
    expect(command).not.toMatch(/curl|wget/);
    expect(command).toContain("'http://127.0.0.1:' + process.env.PORT + '/health/ready'");
    const env = (runtime?.instructions ?? []).filter(keyword('ENV')).flatMap(argumentsOf);
    expect(env).toEqual(expect.arrayContaining(['PORT=${PORT}', 'HOST=0.0.0.0']));
  });

  it('runs node apps/<app>/dist/main.js', () => {
    const workdir = (runtime?.instructions ?? []).filter(keyword('WORKDIR')).map((instruction) => argumentsOf(instruction)[0]).at(-1);
    const cmd = (runtime?.instructions ?? []).filter(keyword('CMD')).at(-1)?.getArgumentsContent();
    expect([workdir, cmd]).toEqual(['/app/apps/${APP}', '["node", "dist/main.js"]']);
  });
});
