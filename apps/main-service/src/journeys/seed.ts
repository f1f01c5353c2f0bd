import { Type } from '@sinclair/typebox';
import { compileValidator, NewJourney } from '@skyway/contracts';
import { ConfigError } from '@skyway/service-runtime';
import { readFileSync } from 'node:fs';
import type { MainServiceConfig } from '../config';
import bundledJourneys from './seed-journeys.json';

const JourneySeedFile = Type.Array(NewJourney, { maxItems: 10_000 });
const validSeedFile = compileValidator(JourneySeedFile);

function validated(journeys: unknown, source: string): NewJourney[] {
  const [first] = validSeedFile.errors(journeys);
  if (first !== undefined) throw new ConfigError(`SEED_JOURNEYS: ${source}: ${first.field} ${first.message}`);
  return journeys as NewJourney[];
}

/**
 * The journeys to load at start (SEED_JOURNEYS): the bundled sample (the original service's
 * JRN-001…003), a JSON file of the same shape, or none. Read and validated when the app is
 * built, so a bad file stops the process with one line naming the variable.
 */
export function seedJourneys(setting: MainServiceConfig['seedJourneys']): NewJourney[] {
  if (setting === 'none') return [];
  if (setting === 'bundled') return validated(bundledJourneys, 'bundled sample');
  let text: string;
  try {
    text = readFileSync(setting.path, 'utf8');
  } catch (error) {
    throw new ConfigError(`SEED_JOURNEYS: cannot read ${setting.path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return validated(JSON.parse(text) as unknown, setting.path);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`SEED_JOURNEYS: ${setting.path} is not valid JSON`);
  }
}
