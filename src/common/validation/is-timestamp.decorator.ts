import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';

/**
 * RFC 3339 section 5.6: a full-date, or a date-time with seconds and an offset. ISO 8601
 * also has week dates (2030-W01-1), ordinal dates (2030-123), basic forms (20300101) and
 * reduced precision (2030-01-01T10), which `new Date()` cannot read: they were 500s.
 */
const RFC_3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(?:\.\d{1,9})?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d))?$/;

/** The instant `text` names, or undefined when it is not RFC 3339 or not a real calendar day. */
export function parseTimestamp(text: string): Date | undefined {
  const match = RFC_3339.exec(text);
  if (!match) return undefined;
  const [year, month, day] = match.slice(1, 4).map(Number) as [number, number, number];
  // Date.parse rolls 2030-02-30 over to March 2nd: the day must exist in its month.
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  // A leap second (:60) is read as the next second, as PostgreSQL does.
  const time = Date.parse(text.replace(/:60(?=[.Zz+-]|$)/, ':59'));
  if (Number.isNaN(time)) return undefined;
  return new Date(match[5] === '60' ? time + 1000 : time);
}

/**
 * A timestamp in a request: an RFC 3339 date-time (`2030-01-01T00:00:00Z`) or full-date
 * (`2030-01-01`, midnight UTC), handed to the handler as a `Date`. Anything else is 422.
 */
export function IsTimestamp(): PropertyDecorator {
  return (target, key) => {
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? (parseTimestamp(value) ?? value) : value,
    )(target, key);
    ValidateBy({
      name: 'isTimestamp',
      validator: {
        validate: (value: unknown) => value instanceof Date,
        defaultMessage: () =>
          'must be an RFC 3339 date-time such as 2030-01-01T00:00:00Z, or a date such as 2030-01-01',
      },
    })(target, key);
  };
}
