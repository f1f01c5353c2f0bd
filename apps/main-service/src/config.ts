import { Type } from '@sinclair/typebox';
import { commonConfig, commonEnv, parseEnv, type CommonConfig } from '@skyway/service-runtime';

export const MainServiceEnv = Type.Object({
  ...commonEnv(3000),
  SEARCH_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
  JOURNEY_API_TOKEN: Type.Optional(Type.String({ minLength: 16, description: 'Bearer token for journey writes; unset = writes refused' })),
  SEED_JOURNEYS: Type.String({ minLength: 1, default: 'bundled', description: '`bundled`, a path to a journeys JSON file, or `none`' }),
});

export interface MainServiceConfig extends CommonConfig {
  /** A search not completed by then ends as `failed` with code SEARCH_TIMEOUT. */
  readonly searchTimeoutMs: number;
  /** Journey writes need `Authorization: Bearer <token>`; undefined refuses every write. */
  readonly journeyApiToken: string | undefined;
  readonly seedJourneys: 'bundled' | 'none' | { readonly path: string };
}

export function parseConfig(env: NodeJS.ProcessEnv): MainServiceConfig {
  const parsed = parseEnv(MainServiceEnv, env);
  const seed = parsed.SEED_JOURNEYS;
  return {
    ...commonConfig(parsed),
    searchTimeoutMs: parsed.SEARCH_TIMEOUT_MS,
    journeyApiToken: parsed.JOURNEY_API_TOKEN,
    seedJourneys: seed === 'bundled' || seed === 'none' ? seed : { path: seed },
  };
}
