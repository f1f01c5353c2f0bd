import { isolatedRedis, startApp, type AppProcess, type IsolatedRedis } from '@skyway/testkit';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); `.ci/run` installs it. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TOKEN = 'demo-page-browser-test-token';
/** Bounds on waiting for the page, not timing assertions. */
const WAIT_MS = 20_000;

const chromiumMissing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is absent (install it with: apt-get install -y chromium)`;
if (chromiumMissing) process.stderr.write(`[demo page browser test] SKIPPED: ${chromiumMissing}\n`);
const describeInChromium = chromiumMissing ? describe.skip : describe;

/**
 * The demo page in a real headless Chromium against a real stack of separate processes (build
 * first): mock-supplier (latency 0), provider-service and main-service with its bundled journeys.
 */
describeInChromium(`demo page in headless Chromium${chromiumMissing ? ` — skipped: ${chromiumMissing}` : ''}`, () => {
  let redis: IsolatedRedis;
  const processes: AppProcess[] = [];
  let main: AppProcess;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;
  /** What the page reported that a user would not see: script errors and CSP violations. */
  let pageProblems: string[];

  beforeAll(async () => {
    redis = await isolatedRedis('demo-page');
    const common = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, LOG_LEVEL: 'warn' };
    const supplier = await startApp('mock-supplier', { env: { LOG_LEVEL: 'warn', SUPPLIER_LATENCY_MS: '0' } });
    processes.push(supplier);
    processes.push(await startApp('provider-service', { env: { ...common, SUPPLIER_URLS: supplier.url }, readyPath: '/health/ready' }));
    main = await startApp('main-service', { env: { ...common, JOURNEY_API_TOKEN: TOKEN }, readyPath: '/health/ready' });
    processes.push(main);
    profile = mkdtempSync(join(tmpdir(), 'skyway-chromium-'));
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(processes.map((app) => app.stop()));
    if (profile) rmSync(profile, { recursive: true, force: true });
    await redis?.cleanup();
  });

  beforeEach(async () => {
    pageProblems = [];
    page = await browser.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) pageProblems.push(`console: ${message.text()}`);
    });
    await page.goto(main.url);
  });

  afterEach(async () => {
    await page.close();
    expect(pageProblems).toEqual([]);
  });

  it('streams a search submitted from the keyboard into the results, ending with the count the API reports', async () => {
    await page.getByLabel('From').fill('cgk');
    await page.getByLabel('To').fill('DPS');
    await page.getByLabel('Passengers').fill('2');
    const accepted = page.waitForResponse((response) => response.url().endsWith('/api/flights/search') && response.request().method() === 'POST');
    const stream = page.waitForRequest((request) => /\/api\/flights\/search\/[\da-f-]+\/stream$/.test(request.url()));
    await page.getByLabel('Passengers').press('Enter');

    const { data } = (await (await accepted).json()) as { data: { search_id: string } };
    expect((await stream).headers()['accept']).toBe('text/event-stream');
    const status = page.getByRole('status').filter({ hasText: /Search complete: \d+ flights? found/ });
    await status.waitFor();

    const snapshot = (await (await fetch(`${main.url}/api/flights/search/${data.search_id}`)).json()) as {
      data: { status: string; total_results: number; results: Array<{ flight_number: string }> };
    };
    expect(snapshot.data.status).toBe('completed');
    expect(snapshot.data.total_results).toBeGreaterThan(0);
    expect(await status.textContent()).toContain(`${snapshot.data.total_results} flight`);
    const rows = page.locator('#results tbody tr');
    expect(await rows.count()).toBe(snapshot.data.total_results);
    const shownFlights = await page.locator('#results tbody .flight-number').allTextContents();
    expect(shownFlights.sort()).toEqual(snapshot.data.results.map((flight) => flight.flight_number).sort());
    expect(await page.locator('#search-error').isHidden()).toBe(true);
  });

  it('shows why a search was refused in plain words, next to each field and in an alert', async () => {
    await page.getByLabel('From').fill('CGK');
    await page.getByLabel('To').fill('CGK');
    await page.getByRole('button', { name: 'Search' }).click();

    const alert = page.getByRole('alert').filter({ hasText: 'The search was not accepted' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('To: Choose a destination other than the origin.');
    expect(await page.getByLabel('To').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#to-error').textContent()).toBe('Choose a destination other than the origin.');
    expect(await page.locator('#results').isHidden()).toBe(true);
  });

  it("translates the API's schema messages field by field (no validator wording reaches the traveller)", async () => {
    await page.getByLabel('From').fill('C1');
    await page.getByLabel('To').fill('DPS');
    await page.getByLabel('Passengers').fill('0');
    await page.getByRole('button', { name: 'Search' }).click();

    const alert = page.getByRole('alert').filter({ hasText: 'The search was not accepted' });
    await alert.waitFor();
    expect(await page.locator('#from-error').textContent()).toBe('Enter a 3-letter airport code, such as CGK.');
    expect(await page.locator('#passengers-error').textContent()).toBe('Choose 1 to 9 passengers.');
    expect(await page.locator('#to-error').textContent()).toBe('');
    expect(await page.locator('#date-error').textContent()).toBe('');
    const text = await alert.textContent();
    expect(text).toContain('From: Enter a 3-letter airport code, such as CGK.');
    expect(text).toContain('Passengers: Choose 1 to 9 passengers.');
    expect(text).not.toMatch(/must|pattern|>=/);
    // Focus moves to the first field to fix.
    expect(await page.locator('#from:focus').count()).toBe(1);
  });

  it('lists the journeys, follows them all over one stream, and shows a segment status changed through the API live', async () => {
    const { journeyIds } = (await (await fetch(`${main.url}/api/journeys`)).json()) as { journeyIds: string[] };
    expect(journeyIds).toContain('JRN-001');
    // Every request of a fresh load (the earlier load may still be opening its stream: leave it first).
    await page.goto('about:blank');
    const requested: string[] = [];
    page.on('request', (request) => requested.push(new URL(request.url()).pathname + new URL(request.url()).search));
    await page.goto(main.url);
    for (const id of journeyIds) await page.locator(`#journey-${id} .live`, { hasText: 'Live' }).waitFor();
    expect((await page.locator('#journeys > li').evaluateAll((cards) => cards.map((card) => card.id))).sort()).toEqual(
      journeyIds.map((id) => `journey-${id}`).sort(),
    );
    expect(requested.filter((path) => path.includes('stream'))).toEqual([`/api/journeys-stream?ids=${[...journeyIds].sort().join(',')}`]);
    const segmentStatus = page.locator('#journey-JRN-001 tr[data-segment="SEG-001"] .segment-status');
    const before = await segmentStatus.textContent();
    const next = before === 'Departed' ? 'Arrived' : 'Departed';

    const response = await fetch(`${main.url}/api/journeys/JRN-001/segments/SEG-001/status`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: next }),
    });
    expect(response.status).toBe(200);
    const { version } = (await response.json()) as { version: number };

    await page.locator('#journey-JRN-001 tr[data-segment="SEG-001"] .segment-status', { hasText: next }).waitFor();
    expect(await page.locator('#journey-JRN-001').getAttribute('data-version')).toBe(String(version));
    expect(await page.locator('#journeys-status').textContent()).toBe(`Journey JRN-001: segment SEG-001 is now ${next}.`);
    // Only that segment changed: the page applied the change event, it did not reload the board.
    expect(await page.locator('#journey-JRN-001 tr[data-segment="SEG-002"] .segment-status').textContent()).toBe('Scheduled');
  });

  it('renders the API reference at /docs under the same CSP', async () => {
    await page.goto(`${main.url}/docs`);
    await page.getByText('Start a flight search').first().waitFor();
    await page.getByText("Set a segment's status").first().waitFor();
  });
});
