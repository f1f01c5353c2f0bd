import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Scripts shipped in the package's `lua/` folder (next to `src/` and `dist/`, so both find it). */
export type LuaScriptName = 'apply-journey-update' | 'create-journey' | 'release-lock';

const cache = new Map<LuaScriptName, string>();

export function loadLuaScript(name: LuaScriptName): string {
  let source = cache.get(name);
  if (source === undefined) {
    source = readFileSync(join(__dirname, '..', 'lua', `${name}.lua`), 'utf8');
    cache.set(name, source);
  }
  return source;
}
