import { Type } from '@sinclair/typebox';
import { ConfigError, commonConfig, commonEnv, parseEnv, type CommonConfig } from '@skyway/service-runtime';

export const MainServiceEnv = Type.Object({
  ...commonEnv(3000),
  SEARCH_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
  SEARCH_TTL_MS: Type.Integer({
    minimum: 1_000,
    maximum: 604_800_000,
    default: 3_600_000,
    description: 'How long a search (state and results) stays readable after it was submitted',
  }),
  JOURNEY_API_TOKEN: Type.Optional(Type.String({ minLength: 16, description: 'Bearer token for journey writes; unset = writes refused' })),
  SEED_JOURNEYS: Type.String({ minLength: 1, default: 'bundled', description: '`bundled`, a path to a journeys JSON file, or `none`' }),
});

export interface MainServiceConfig extends CommonConfig {
  /** A search not completed by then ends as `failed` with code SEARCH_TIMEOUT. */
  readonly searchTimeoutMs: number;
  /** How long a search's stored state lives; longer than the timeout. */
  readonly searchTtlMs: number;
  /** Journey writes need `Authorization: Bearer <token>`; undefined refuses every write. */
  readonly journeyApiToken: string | undefined;
  readonly seedJourneys: 'bundled' | 'none' | { readonly path: string };
}

export function parseConfig(env: NodeJS.ProcessEnv): MainServiceConfig {
  const parsed = parseEnv(MainServiceEnv, env);
  if (parsed.SEARCH_TTL_MS <= parsed.SEARCH_TIMEOUT_MS) {
    throw new ConfigError(`SEARCH_TTL_MS must be greater than SEARCH_TIMEOUT_MS (${parsed.SEARCH_TIMEOUT_MS})`);
  }
  const seed = parsed.SEED_JOURNEYS;
  return {
    ...commonConfig(parsed),
    searchTimeoutMs: parsed.SEARCH_TIMEOUT_MS,
    searchTtlMs: parsed.SEARCH_TTL_MS,
    journeyApiToken: parsed.JOURNEY_API_TOKEN,
    seedJourneys: seed === 'bundled' || seed === 'none' ? seed : { path: seed },
  };
}
