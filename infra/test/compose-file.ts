import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export const REPO_ROOT = resolve(__dirname, '..', '..');

export const readRepoFile = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Compose's variable interpolation (`${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`,
 * `$VAR`, `$$`) applied to every string, as `docker compose` does before it validates the file.
 */
export function interpolate(value: unknown, env: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (whole, braced?: string, operator?: string, argument = '', bare?: string) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare) as string;
      const given = env[name];
      if (operator === ':-') return given ? given : argument;
      if (operator === '-') return given ?? argument;
      if (operator?.endsWith('?') && (given === undefined || (operator === ':?' && given === ''))) {
        throw new Error(`${name} is required: ${argument}`);
      }
      return given ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env)]));
  }
  return value;
}

/** docker-compose.yml as `docker compose config` would see it with an empty environment: anchors merged, variables interpolated. */
export function loadCompose(env: Readonly<Record<string, string>> = {}): Record<string, unknown> {
  return interpolate(parse(readRepoFile('docker-compose.yml'), { merge: true }), env) as Record<string, unknown>;
}

/** A service's `environment`, in either of Compose's forms, as a map. */
export function environmentOf(service: ComposeService): Record<string, string> {
  const environment = service.environment ?? {};
  if (!Array.isArray(environment)) {
    return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, value === null ? '' : String(value)]));
  }
  return Object.fromEntries(
    environment.map((entry) => {
      const at = entry.indexOf('=');
      return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
    }),
  );
}

/** The parts of a Compose service these tests read. */
export interface ComposeService {
  readonly image?: string;
  readonly build?: { readonly context?: string; readonly dockerfile?: string; readonly args?: Record<string, string> };
  readonly command?: string | string[];
  readonly environment?: Record<string, string | number | boolean | null> | string[];
  readonly ports?: (string | { readonly published?: string | number; readonly target?: number })[];
  readonly container_name?: string;
  readonly profiles?: string[];
  readonly healthcheck?: { readonly test?: string | string[]; readonly disable?: boolean };
  readonly depends_on?: string[] | Record<string, { readonly condition?: string }>;
  readonly volumes?: (string | { readonly type?: string; readonly source?: string; readonly target?: string })[];
}

export function servicesOf(compose: Record<string, unknown>): Record<string, ComposeService> {
  return compose.services as Record<string, ComposeService>;
}
