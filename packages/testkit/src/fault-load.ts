import { SEGMENT_STATUSES, type JourneyChangeEvent, type JourneyHistory, type SegmentStatus } from '@skyway/contracts';
import { segmentId } from './fixtures';

/** A journey update the API acknowledged with a 2xx: it must be in the journey's history afterwards. */
export interface AcknowledgedUpdate {
  readonly journeyId: string;
  readonly segmentId: string;
  readonly status: SegmentStatus;
  readonly version: number;
}

/** Whether a journey's change events hold `update` as the change of the version it was acknowledged with. */
export function isInHistory(changes: readonly JourneyChangeEvent[], update: AcknowledgedUpdate): boolean {
  const event = changes.find((candidate) => candidate.version === update.version);
  return event?.changes.some((change) => change.type === 'segmentStatus' && change.segmentId === update.segmentId && change.status === update.status) ?? false;
}

/** What the clients of a load saw, by answer: `200`, `503`, … or `error:<name>` for no HTTP answer. */
export type AnswerCounts = Map<string, number>;

const count = (answers: AnswerCounts, answer: string): void => void answers.set(answer, (answers.get(answer) ?? 0) + 1);

/** A 503 or 429 must say when to retry. */
function checkRetryAfter(response: Response, problems: string[]): void {
  if ((response.status === 503 || response.status === 429) && !/^\d+$/.test(response.headers.get('retry-after') ?? '')) {
    problems.push(`${response.status} without Retry-After from ${response.url}`);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Spreads requests over the replicas, round robin. */
class Replicas {
  private next = 0;
  constructor(private readonly urls: readonly string[]) {}
  pick(): string {
    this.next = (this.next + 1) % this.urls.length;
    return this.urls[this.next] as string;
  }
}

interface LoadOptions {
  /** Base URLs of the main-service replicas: requests go to each in turn. */
  readonly replicas: readonly string[];
  /** Bounds each request, so a stuck one shows as `error:TimeoutError` instead of stalling the load. */
  readonly requestTimeoutMs?: number;
}

/**
 * Closed-loop journey writers through the HTTP API: each writer updates the hot journey or a random
 * cold one, a random segment to a random status, and records what was acknowledged.
 */
export class JourneyWriteLoad {
  readonly acknowledged: AcknowledgedUpdate[] = [];
  readonly answers: AnswerCounts = new Map();
  /** Answers that break the API's contract (a 5xx other than 503, a 503 without Retry-After). */
  readonly problems: string[] = [];
  private running = false;
  private writers: Promise<void>[] = [];
  private readonly replicas: Replicas;

  constructor(
    private readonly options: LoadOptions & {
      readonly token: string;
      readonly hotJourney: string;
      readonly coldJourneys: readonly string[];
      readonly segments: number;
      /** Share of updates that go to the hot journey. */
      readonly hotShare?: number;
      /** Each writer's pause between updates (keeps the hot journey's history within its stream's MAXLEN). */
      readonly pauseMs?: number;
    },
  ) {
    this.replicas = new Replicas(options.replicas);
  }

  get journeys(): string[] {
    return [this.options.hotJourney, ...this.options.coldJourneys];
  }

  start(writers: number): void {
    this.running = true;
    this.writers = Array.from({ length: writers }, () => this.write());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.writers);
  }

  private async write(): Promise<void> {
    const { hotJourney, coldJourneys, segments, token, hotShare = 0.5, pauseMs = 0, requestTimeoutMs = 10_000 } = this.options;
    while (this.running) {
      await sleep(pauseMs);
      const journeyId = Math.random() < hotShare ? hotJourney : (coldJourneys[Math.floor(Math.random() * coldJourneys.length)] as string);
      const segment = segmentId(1 + Math.floor(Math.random() * segments));
      const status = SEGMENT_STATUSES[Math.floor(Math.random() * SEGMENT_STATUSES.length)] as SegmentStatus;
      try {
        const response = await fetch(`${this.replicas.pick()}/api/journeys/${journeyId}/segments/${segment}/status`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ status }),
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        count(this.answers, String(response.status));
        checkRetryAfter(response, this.problems);
        const body = (await response.json()) as { version?: number };
        if (response.status === 200 && typeof body.version === 'number') {
          this.acknowledged.push({ journeyId, segmentId: segment, status, version: body.version });
        } else if (response.status >= 500 && response.status !== 503) {
          this.problems.push(`PUT ${journeyId}/${segment}: ${response.status} ${JSON.stringify(body)}`);
        }
        if (response.status === 503) await sleep(50);
      } catch (error) {
        count(this.answers, `error:${(error as Error).name}`);
        await sleep(50);
      }
    }
  }

  /**
   * Every journey's history from one replica, checked against what was acknowledged: each history
   * runs from version 1 to the journey's version without a gap, and each acknowledged update is the
   * change event of the version it was acknowledged with. Returns the discrepancies (none is a pass).
   */
  async verify(replica: string): Promise<string[]> {
    const discrepancies: string[] = [];
    const acknowledgedByJourney = new Map<string, AcknowledgedUpdate[]>();
    for (const update of this.acknowledged) acknowledgedByJourney.set(update.journeyId, [...(acknowledgedByJourney.get(update.journeyId) ?? []), update]);
    for (const journeyId of this.journeys) {
      const response = await fetch(`${replica}/api/journeys/${journeyId}/history`, { headers: { authorization: `Bearer ${this.options.token}` } });
      if (response.status !== 200) {
        discrepancies.push(`${journeyId}: history answered ${response.status}`);
        continue;
      }
      const history = (await response.json()) as JourneyHistory;
      if (!history.complete) discrepancies.push(`${journeyId}: history has a gap or was trimmed`);
      const versions = history.changes.map((event) => event.version);
      if (versions.some((version, i) => version !== i + 1)) discrepancies.push(`${journeyId}: versions are not 1…${versions.length} in order`);
      for (const update of acknowledgedByJourney.get(journeyId) ?? []) {
        if (!isInHistory(history.changes, update)) discrepancies.push(`${journeyId}: acknowledged v${update.version} (${update.segmentId} → ${update.status}) is missing`);
      }
    }
    return discrepancies;
  }
}

/** Open-loop searches through the HTTP API at a steady rate; records every search that was accepted (202). */
export class SearchLoad {
  readonly accepted: string[] = [];
  readonly answers: AnswerCounts = new Map();
  readonly problems: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly replicas: Replicas;

  constructor(private readonly options: LoadOptions & { readonly body: unknown }) {
    this.replicas = new Replicas(options.replicas);
  }

  start(perSecond: number): void {
    this.timer = setInterval(() => {
      const request = this.submit().finally(() => this.inFlight.delete(request));
      this.inFlight.add(request);
    }, 1_000 / perSecond);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
  }

  private async submit(): Promise<void> {
    try {
      const response = await fetch(`${this.replicas.pick()}/api/flights/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(this.options.body),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000),
      });
      count(this.answers, String(response.status));
      checkRetryAfter(response, this.problems);
      const body = (await response.json()) as { data?: { search_id?: string } };
      if (response.status === 202 && body.data?.search_id) this.accepted.push(body.data.search_id);
      else if (response.status >= 500 && response.status !== 503) this.problems.push(`POST search: ${response.status} ${JSON.stringify(body)}`);
    } catch (error) {
      count(this.answers, `error:${(error as Error).name}`);
    }
  }
}
