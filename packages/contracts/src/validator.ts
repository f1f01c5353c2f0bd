import type { Static, TSchema } from '@sinclair/typebox';
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FieldError } from './envelope';

/**
 * One Ajv instance with the same formats Fastify validates HTTP bodies with (ajv-formats), so a
 * stream entry and an HTTP body are held to identical rules.
 */
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));

export interface SchemaValidator<T> {
  check(value: unknown): value is T;
  /** Field errors of the last failed check, with dotted paths (`segments.0.status`). */
  errors(value: unknown): FieldError[];
}

export function toFieldError(error: ErrorObject): FieldError {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return { field: path ? `${path}.${extra}` : extra, message: 'is not an allowed field' };
  }
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return { field: path ? `${path}.${missing}` : missing, message: 'is required' };
  }
  return { field: path || 'body', message: error.message ?? 'is invalid' };
}

export function compileValidator<S extends TSchema>(schema: S): SchemaValidator<Static<S>> {
  const validate = ajv.compile<Static<S>>(schema);
  return {
    check: (value): value is Static<S> => validate(value),
    errors(value) {
      return validate(value) ? [] : (validate.errors ?? []).map(toFieldError);
    },
  };
}
