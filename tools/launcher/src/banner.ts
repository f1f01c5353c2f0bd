import type { LauncherConfig } from './config';
import type { ServicePlan } from './services';

export interface BannerFacts {
  readonly services: readonly ServicePlan[];
  readonly redis: { readonly url: string; readonly private: boolean };
  readonly token: LauncherConfig['journeyApiToken'];
  /** Example searches use the day after this (search dates must not be in the past). */
  readonly today: Date;
}

/** What to tell a newcomer once everything answers: where things are, the token, and commands to try. */
export function banner({ services, redis, token, today }: BannerFacts): string[] {
  const url = (name: ServicePlan['name']) => services.find((service) => service.name === name)?.url ?? '';
  const main = url('main-service');
  const tomorrow = new Date(today.getTime() + 86_400_000).toISOString().slice(0, 10);
  const shownToken = token.fromEnvironment ? '$JOURNEY_API_TOKEN' : token.value;
  return [
    'Skyway is running:',
    ...services.map((service) => `  ${service.name.padEnd(17)} ${service.url}`),
    `  ${'redis'.padEnd(17)} ${redis.url}${redis.private ? ' (private, no persistence, stopped on exit)' : ''}`,
    token.fromEnvironment
      ? 'Journey writes take the JOURNEY_API_TOKEN from your environment (not shown).'
      : `Development JOURNEY_API_TOKEN (journey writes): ${token.value}`,
    '',
    `Open in a browser: demo page ${main}/ (live search and journey board), API reference ${main}/docs`,
    '',
    'Try it:',
    `  curl -si -X POST ${main}/api/flights/search -H 'content-type: application/json' \\`,
    `    -d '{"from":"CGK","to":"DPS","date":"${tomorrow}","passengers":2}'`,
    `  curl -N ${main}/api/flights/search/<search_id>/stream`,
    `  curl -s ${main}/api/journeys`,
    `  curl -s ${main}/api/journeys/<journeyId>`,
    `  curl -s -X PUT ${main}/api/journeys/<journeyId>/segments/<segmentId>/status -H 'authorization: Bearer ${shownToken}' \\`,
    `    -H 'content-type: application/json' -d '{"status":"Departed"}'`,
    `  curl -N ${main}/api/journeys/<journeyId>/stream`,
    `  curl -s '${url('mock-supplier')}/v1/flights?from=CGK&to=DPS&date=${tomorrow}&passengers=2'`,
    'Ctrl-C stops everything.',
  ];
}
