import type { Static, TObject, TSchema } from '@sinclair/typebox';
import type { Result } from './search-rules';
import { compileValidator } from './validator';

/** Why a stream entry could not be decoded. Callers dead-letter such entries with this reason. */
export interface DecodeError {
  readonly kind: 'malformed-entry';
  readonly reason: string;
  readonly field?: string;
}

export interface StreamCodec<T> {
  /** Flat `[field, value, …]` list for XADD. Objects and arrays are JSON; numbers are decimal strings. */
  encode(message: T): string[];
  /**
   * Decodes the flat field list XREAD/XREADGROUP returns. Never throws: a malformed entry yields
   * `{ok:false}`. Fields the schema does not name are ignored (tolerant reader), so producers can
   * add fields before consumers know them.
   */
  decode(fields: readonly string[]): Result<T, DecodeError>;
}

export interface StreamCodecOptions {
  /** Entries larger than this (sum of field and value lengths) are rejected unparsed. */
  readonly maxEntryBytes?: number;
}

export const DEFAULT_MAX_ENTRY_BYTES = 1_048_576;

type FieldKind = 'json' | 'number' | 'boolean' | 'string';

function fieldKind(schema: TSchema): FieldKind {
  if (schema.anyOf !== undefined) {
    return (schema.anyOf as TSchema[]).every((variant) => variant.const !== undefined) ? 'string' : 'json';
  }
  switch (schema.type) {
    case 'object':
    case 'array':
      return 'json';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'string';
  }
}

function parseField(kind: FieldKind, text: string): { ok: true; value: unknown } | { ok: false } {
  switch (kind) {
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) as unknown };
      } catch {
        return { ok: false };
      }
    case 'number':
      return text.trim() === '' || Number.isNaN(Number(text)) ? { ok: false } : { ok: true, value: Number(text) };
    case 'boolean':
      return text === 'true' || text === 'false' ? { ok: true, value: text === 'true' } : { ok: false };
    default:
      return { ok: true, value: text };
  }
}

export function createStreamCodec<S extends TObject>(
  schema: S,
  options: StreamCodecOptions = {},
): StreamCodec<Static<S>> {
  const maxEntryBytes = options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  const kinds = new Map<string, FieldKind>(
    Object.entries(schema.properties).map(([name, property]) => [name, fieldKind(property)]),
  );
  const validator = compileValidator(schema);
  const fail = (reason: string, field?: string): Result<Static<S>, DecodeError> => ({
    ok: false,
    error: field === undefined ? { kind: 'malformed-entry', reason } : { kind: 'malformed-entry', reason, field },
  });

  return {
    encode(message) {
      const fields: string[] = [];
      for (const [name, kind] of kinds) {
        const value = (message as Record<string, unknown>)[name];
        if (value === undefined) continue;
        fields.push(name, kind === 'json' ? JSON.stringify(value) : String(value));
      }
      return fields;
    },
    decode(fields) {
      if (fields.length % 2 !== 0) return fail('odd number of field/value items');
      let size = 0;
      for (const item of fields) size += item.length;
      if (size > maxEntryBytes) return fail(`entry of ${size} bytes exceeds the ${maxEntryBytes}-byte limit`);

      const candidate: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (let i = 0; i < fields.length; i += 2) {
        const name = fields[i] as string;
        const kind = kinds.get(name);
        if (kind === undefined) continue;
        if (name in candidate) return fail('field appears twice', name);
        const parsed = parseField(kind, fields[i + 1] as string);
        if (!parsed.ok) return fail(`not valid ${kind === 'json' ? 'JSON' : kind}`, name);
        candidate[name] = parsed.value;
      }
      const message = { ...candidate };
      if (validator.check(message)) return { ok: true, value: message };
      const [first] = validator.errors(message);
      return fail(first?.message ?? 'does not match the schema', first?.field);
    },
  };
}
