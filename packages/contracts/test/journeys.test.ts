import { Journey, NewJourney, UpdateJourneyStatusBody, UpdateSegmentStatusBody, compileValidator, journeyChangeCodec } from '../src';

/** The original .NET service's seed shape: camelCase, two segments. */
const originalSeedJourney = {
  id: 'JRN-001',
  passengerName: 'John Smith',
  passengerEmail: 'john.smith@example.com',
  bookingDate: '2024-01-15T10:30:00Z',
  status: 'Confirmed',
  totalPrice: 850.5,
  segments: [
    {
      segmentId: 'SEG-001', origin: 'JFK', destination: 'LAX', departureTime: '2024-02-01T08:00:00Z',
      arrivalTime: '2024-02-01T11:30:00Z', flightNumber: 'AA100', carrier: 'American Airlines', status: 'Scheduled', price: 425.25,
    },
    {
      segmentId: 'SEG-002', origin: 'LAX', destination: 'SFO', departureTime: '2024-02-01T14:00:00Z',
      arrivalTime: '2024-02-01T15:30:00Z', flightNumber: 'UA200', carrier: 'United Airlines', status: 'Scheduled', price: 425.25,
    },
  ],
  metadata: { source: 'web', loyaltyTier: 'Gold' },
};

describe('journey schemas', () => {
  const newJourney = compileValidator(NewJourney);
  const journey = compileValidator(Journey);

  it('accept the original seed shape, with a version once stored', () => {
    expect(newJourney.errors(originalSeedJourney)).toEqual([]);
    expect(journey.errors({ ...originalSeedJourney, version: 1 })).toEqual([]);
  });

  it.each([
    ['an unknown journey status', { status: 'Boarded' }, 'status'],
    ['an id with a colon', { id: 'JRN:1' }, 'id'],
    ['an id with a hash tag brace', { id: 'JRN{1}' }, 'id'],
    ['a 65-character id', { id: 'J'.repeat(65) }, 'id'],
    ['a price as a string', { totalPrice: '850.50' }, 'totalPrice'],
    ['an unknown field', { loyalty: 'Gold' }, 'loyalty'],
    ['a client-chosen version', { version: 7 }, 'version'],
  ])('reject %s', (_case, change, field) => {
    expect(newJourney.errors({ ...originalSeedJourney, ...change }).map((error) => error.field)).toContain(field);
  });

  it('rejects a segment with an unknown status, naming its path', () => {
    const [first, second] = originalSeedJourney.segments;
    const body = { ...originalSeedJourney, segments: [first, { ...second, status: 'Landed' }] };
    expect(newJourney.errors(body).map((error) => error.field)).toContain('segments.1.status');
  });

  it('status bodies accept every documented status and nothing else', () => {
    const segment = compileValidator(UpdateSegmentStatusBody);
    const journeyStatus = compileValidator(UpdateJourneyStatusBody);
    for (const status of ['Scheduled', 'CheckInOpen', 'Boarding', 'Departed', 'Arrived', 'Delayed', 'Cancelled', 'Diverted']) {
      expect(segment.check({ status })).toBe(true);
    }
    for (const status of ['Pending', 'Confirmed', 'CheckedIn', 'InProgress', 'Completed', 'Cancelled']) {
      expect(journeyStatus.check({ status })).toBe(true);
    }
    expect(segment.check({ status: 'departed' })).toBe(false);
    expect(segment.check({ status: 'Departed', extra: 1 })).toBe(false);
    expect(journeyStatus.check({ status: 'Departed' })).toBe(false);
  });
});

describe('journeyChangeCodec', () => {
  const event = {
    journeyId: 'JRN-001',
    version: 3,
    changes: [{ type: 'segmentStatus' as const, segmentId: 'SEG-001', status: 'Departed' as const, previousStatus: 'Boarding' as const }],
    committedAt: '2024-02-01T08:05:00.000Z',
    actor: 'auth0|alice',
    requestId: '0b6f0a58-6f44-4d36-9a0c-7d5cb4b1c0de',
  };

  it('round-trips a change event through flat XADD fields, with its actor and request id', () => {
    const fields = journeyChangeCodec.encode(event);
    expect(fields).toEqual([
      'journeyId', 'JRN-001', 'version', '3', 'changes', JSON.stringify(event.changes), 'committedAt', event.committedAt,
      'actor', 'auth0|alice', 'requestId', event.requestId,
    ]);
    expect(journeyChangeCodec.decode(fields)).toEqual({ ok: true, value: event });
  });

  it('refuses an entry with an unknown status or no changes, without throwing', () => {
    const withStatus = (status: string) => journeyChangeCodec.encode({ ...event, changes: [{ ...event.changes[0], status } as never] });
    expect(journeyChangeCodec.decode(withStatus('Landed'))).toMatchObject({ ok: false, error: { kind: 'malformed-entry' } });
    expect(journeyChangeCodec.decode(journeyChangeCodec.encode({ ...event, changes: [] as never }))).toMatchObject({ ok: false });
  });
});
