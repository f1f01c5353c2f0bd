import { exampleFlightResult, type FlightResult, type NewJourney, type SegmentStatus } from '@skyway/contracts';

/** The original challenge's status cycle for SEG-001…SEG-020. */
export const STATUS_CYCLE: readonly SegmentStatus[] = ['Departed', 'Boarding', 'Delayed', 'Cancelled'];

/** `SEG-001`, `SEG-002`, … as the challenge numbers its segments. */
export function segmentId(n: number): string {
  return `SEG-${String(n).padStart(3, '0')}`;
}

/** A journey like the challenge's JRN-TEST-001: `segments` segments, all Scheduled. */
export function sampleJourney(id: string, segments = 20): NewJourney {
  return {
    id,
    passengerName: 'Test Passenger',
    passengerEmail: 'test@example.com',
    bookingDate: '2024-01-15T10:30:00Z',
    status: 'Confirmed',
    totalPrice: 100 * segments,
    segments: Array.from({ length: segments }, (_, i) => ({
      segmentId: segmentId(i + 1),
      origin: 'JFK',
      destination: 'LAX',
      departureTime: '2024-02-01T08:00:00Z',
      arrivalTime: '2024-02-01T11:30:00Z',
      flightNumber: `TS${100 + i}`,
      carrier: 'Test Air',
      status: 'Scheduled' as const,
      price: 100,
    })),
    metadata: { source: 'test' },
  };
}

/** The contract's example flight as `provider` answers it, with the id `<provider>:<id>` a provider gives it. */
export function sampleFlight(id: string, provider = 'alpha', overrides: Partial<FlightResult> = {}): FlightResult {
  return { ...exampleFlightResult, id: `${provider}:${id}`, provider, ...overrides };
}
