import { Type, type Static } from '@sinclair/typebox';

/** One rejected input field, as listed in a 4xx envelope. */
export const FieldError = Type.Object(
  {
    field: Type.String({ description: 'Dotted path of the offending field, e.g. `date` or `body`' }),
    message: Type.String(),
  },
  { $id: 'FieldError', additionalProperties: false },
);
export type FieldError = Static<typeof FieldError>;

/** The flight search API's error envelope (snake_case API, see the flight search brief). */
export const ErrorEnvelope = Type.Object(
  {
    success: Type.Literal(false),
    message: Type.String(),
    errors: Type.Optional(Type.Array(FieldError)),
  },
  { $id: 'ErrorEnvelope', additionalProperties: false },
);
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;
