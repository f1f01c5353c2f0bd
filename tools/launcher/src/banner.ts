import { DEV_USER, type LauncherConfig } from './config';
import type { ServicePlan } from './services';

export interface BannerFacts {
  readonly services: readonly ServicePlan[];
  readonly redis: { readonly url: string; readonly private: boolean };
  readonly token: LauncherConfig['journeyApiToken'];
  /** A development access token for {@link DEV_USER}; undefined when main-service trusts a real issuer. */
  readonly accessToken: string | undefined;
  /** Example searches use the day after this (search dates must not be in the past). */
  readonly today: Date;
}

/** What to tell a newcomer once everything answers: where things are, the tokens, and commands to try. */
export function banner({ services, redis, token, accessToken, today }: BannerFacts): string[] {
  const url = (name: ServicePlan['name']) => services.find((service) => service.name === name)?.url ?? '';
  const main = url('main-service');
  const tomorrow = new Date(today.getTime() + 86_400_000).toISOString().slice(0, 10);
  const bearer = `-H "authorization: Bearer $TOKEN"`;
  return [
    'Skyway is running:',
    ...services.map((service) => `  ${service.name.padEnd(17)} ${service.url}`),
    `  ${'redis'.padEnd(17)} ${redis.url}${redis.private ? ' (private, no persistence, stopped on exit)' : ''}`,
    '',
    ...(accessToken === undefined
      ? ['Journeys need an access token from your AUTH_ISSUER (or the JOURNEY_API_TOKEN service token): set TOKEN to one.']
      : [`Development access token for "${DEV_USER}" (journeys:read journeys:write, 12 h; the demo page signs in by itself):`, `  export TOKEN=${accessToken}`]),
    token.fromEnvironment
      ? 'Service token: the JOURNEY_API_TOKEN from your environment (not shown), recorded as actor "service".'
      : `Service token JOURNEY_API_TOKEN (machine-to-machine, recorded as actor "service"): ${token.value}`,
    '',
    `Open in a browser: demo page ${main}/ (live search and journey board), API reference ${main}/docs`,
    '',
    'Try it:',
    `  curl -si -X POST ${main}/api/flights/search -H 'content-type: application/json' \\`,
    `    -d '{"from":"CGK","to":"DPS","date":"${tomorrow}","passengers":2}'`,
    `  curl -N ${main}/api/flights/search/<search_id>/stream`,
    `  curl -s ${main}/api/journeys ${bearer}`,
    `  curl -s ${main}/api/journeys/<journeyId> ${bearer}`,
    `  curl -s -X PUT ${main}/api/journeys/<journeyId>/segments/<segmentId>/status ${bearer} \\`,
    `    -H 'content-type: application/json' -d '{"status":"Departed"}'`,
    `  curl -N ${main}/api/journeys/<journeyId>/stream ${bearer}`,
    `  curl -s ${main}/api/journeys/<journeyId>/history ${bearer}`,
    `  curl -s '${url('mock-supplier')}/v1/flights?from=CGK&to=DPS&date=${tomorrow}&passengers=2'`,
    'Ctrl-C stops everything.',
  ];
}
