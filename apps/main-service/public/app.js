// Skyway demo page: a plain browser script (no build step, no external network) that uses the
// public API the way any frontend would: POST a search and follow its results over SSE, list the
// journeys and follow their changes over one stream.
'use strict';

(() => {
  /**
   * The board follows its journeys over ONE stream (a browser holds about 6 HTTP/1.1 connections per
   * origin, and every EventSource keeps one); the server takes at most this many journeys per stream
   * (MAX_JOURNEYS_PER_STREAM), so a board beyond it follows the first ones.
   */
  const MAX_LIVE_JOURNEYS = 100;
  const DAY_MS = 86_400_000;

  const $ = (id) => document.getElementById(id);

  /** `el('td', {className: 'x'}, 'text', child)`: text is always set as text, never parsed as HTML. */
  function el(tag, properties = {}, ...children) {
    const element = Object.assign(document.createElement(tag), properties);
    for (const child of children) element.append(child instanceof Node ? child : String(child));
    return element;
  }

  function showError(box, message, details = []) {
    box.replaceChildren(el('p', {}, message));
    if (details.length > 0) box.append(el('ul', {}, ...details.map((detail) => el('li', {}, detail))));
    box.hidden = false;
  }

  function clearError(box) {
    box.hidden = true;
    box.replaceChildren();
  }

  /** The API's JSON error body (`{message, errors?}`), or a message for a body that is not one. */
  async function errorOf(response) {
    try {
      const body = await response.json();
      if (body && typeof body.message === 'string') return { message: body.message, errors: Array.isArray(body.errors) ? body.errors : [] };
    } catch {
      // not JSON: a proxy's error page, or an empty body
    }
    return { message: `The server answered ${response.status} ${response.statusText}`.trim(), errors: [] };
  }

  const sentence = (text) => (/[.!?]$/.test(text) ? text : `${text}.`);

  function retryHint(response) {
    const seconds = Number(response.headers.get('retry-after'));
    return Number.isFinite(seconds) && seconds > 0 ? ` Try again in ${seconds} s.` : '';
  }

  // ---- formatting: times are shown as the airport's local time, which the offset in the data gives

  const localTime = (iso) => iso.slice(11, 16);
  const localDay = (iso) => new Date(`${iso.slice(0, 10)}T00:00:00Z`).toLocaleDateString(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  const duration = (minutes) => `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
  function money(price) {
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency: price.currency }).format(price.amount);
    } catch {
      return `${price.amount} ${price.currency}`;
    }
  }
  const plural = (count, one, many) => `${count} ${count === 1 ? one : many}`;

  // ---- flight search

  const form = $('search-form');
  const searchButton = $('search-button');
  const searchError = $('search-error');
  const searchStatus = $('search-status');
  const resultsTable = $('results');
  const resultsBody = $('results-body');
  const FIELDS = ['from', 'to', 'date', 'passengers'];
  /** The stream of the search on screen; a new search closes it. */
  let searchStream = null;

  const dateInput = $('date');
  const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
  dateInput.min = isoDay(Date.now());
  dateInput.max = isoDay(Date.now() + 365 * DAY_MS);
  dateInput.value = isoDay(Date.now() + 7 * DAY_MS);

  function clearFieldErrors() {
    for (const name of FIELDS) {
      $(name).removeAttribute('aria-invalid');
      $(`${name}-error`).textContent = '';
    }
  }

  /**
   * What the API's validation message for a field means to a traveller (the API speaks to
   * developers: `must match pattern "^[A-Za-z]{3}$"`). Unknown messages are shown as they are.
   */
  function plainWords(field, message) {
    if (field === 'to' && /differ/.test(message)) return 'Choose a destination other than the origin.';
    if (field === 'from' || field === 'to') return 'Enter a 3-letter airport code, such as CGK.';
    if (field === 'date') {
      if (/past/.test(message)) return 'Choose today or a later date.';
      const ahead = /at most (\d+) days/.exec(message);
      if (ahead) return `Choose a date at most ${ahead[1]} days from today.`;
      return 'Choose a date from the calendar.';
    }
    if (field === 'passengers') return `Choose ${$('passengers').min} to ${$('passengers').max} passengers.`;
    return sentence(message);
  }

  /** Field errors next to their fields (and announced with the alert); the others in the alert. */
  function showFieldErrors(message, errors) {
    const others = [];
    const shown = new Set();
    for (const { field, message: text } of errors) {
      if (FIELDS.includes(field)) {
        // One message per field, however many rules it broke.
        if (shown.has(field)) continue;
        shown.add(field);
        const words = plainWords(field, text);
        $(field).setAttribute('aria-invalid', 'true');
        $(`${field}-error`).textContent = words;
        others.push(`${document.querySelector(`label[for="${field}"]`).textContent}: ${words}`);
      } else {
        others.push(field && field !== 'body' ? `${field}: ${text}` : text);
      }
    }
    showError(searchError, message, others);
    const firstInvalid = FIELDS.find((name) => $(name).getAttribute('aria-invalid') === 'true');
    if (firstInvalid) $(firstInvalid).focus();
  }

  function renderResults(results) {
    const sorted = [...results].sort((a, b) => a.price.amount - b.price.amount);
    resultsBody.replaceChildren(
      ...sorted.map((flight) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row' }, el('span', { className: 'flight-number' }, flight.flight_number), el('span', { className: 'airline' }, flight.airline)),
          el('td', {}, el('time', { className: 'clock', dateTime: flight.departure_time }, localTime(flight.departure_time)), el('span', { className: 'day' }, `${flight.from} · ${localDay(flight.departure_time)}`)),
          el('td', {}, el('time', { className: 'clock', dateTime: flight.arrival_time }, localTime(flight.arrival_time)), el('span', { className: 'day' }, `${flight.to} · ${localDay(flight.arrival_time)}`)),
          el('td', {}, duration(flight.duration_minutes)),
          el('td', {}, flight.stops === 0 ? 'Direct' : plural(flight.stops, 'stop', 'stops')),
          el('td', {}, String(flight.seats_available)),
          el('td', {}, flight.provider),
          el('td', { className: 'numeric price' }, money(flight.price)),
        ),
      ),
    );
    resultsTable.hidden = false;
  }

  function setSearching(busy) {
    resultsTable.setAttribute('aria-busy', String(busy));
    searchButton.disabled = busy;
    searchButton.textContent = busy ? 'Searching…' : 'Search';
  }

  function endSearch() {
    if (searchStream) searchStream.close();
    searchStream = null;
    setSearching(false);
  }

  /** One search event (SPEC §3): cumulative results while processing, then the outcome. */
  function onSearchEvent(event) {
    if (event.status === 'failed') {
      endSearch();
      searchStatus.textContent = 'The search failed.';
      showError(searchError, event.error ? event.error.message : 'The search failed.');
      return;
    }
    if (Array.isArray(event.results)) renderResults(event.results);
    if (event.status === 'processing') {
      searchStatus.textContent = `Searching… ${plural(event.results.length, 'flight', 'flights')} so far.`;
    } else if (typeof event.total_results === 'number') {
      endSearch();
      searchStatus.textContent = `Search complete: ${plural(event.total_results, 'flight', 'flights')} found.`;
    }
  }

  /** The stream was refused (not an SSE answer): show the search as it is now, and why there is no live view. */
  async function onStreamRefused(searchId) {
    endSearch();
    try {
      const response = await fetch(`/api/flights/search/${encodeURIComponent(searchId)}`);
      if (!response.ok) {
        const { message } = await errorOf(response);
        showError(searchError, `Live results are unavailable: ${message}`);
        return;
      }
      const { data } = await response.json();
      if (data.status === 'failed') return onSearchEvent(data);
      if (Array.isArray(data.results)) renderResults(data.results);
      searchStatus.textContent =
        data.status === 'completed'
          ? `Search complete: ${plural(data.total_results ?? data.results.length, 'flight', 'flights')} found.`
          : `Still searching (${plural((data.results ?? []).length, 'flight', 'flights')} so far); live updates are unavailable, search again to refresh.`;
    } catch {
      showError(searchError, 'Live results are unavailable: the server cannot be reached.');
    }
  }

  function followSearch(searchId, streamUrl) {
    const stream = new EventSource(streamUrl);
    searchStream = stream;
    stream.onmessage = (message) => {
      if (stream !== searchStream) return;
      try {
        onSearchEvent(JSON.parse(message.data));
      } catch {
        endSearch();
        showError(searchError, 'The server sent an event this page does not understand.');
      }
    };
    stream.onerror = () => {
      if (stream !== searchStream) return;
      // CONNECTING: the browser reconnects by itself and resumes after the last event (Last-Event-ID).
      if (stream.readyState === EventSource.CONNECTING) searchStatus.textContent = 'Connection lost; reconnecting…';
      else void onStreamRefused(searchId);
    };
    stream.onopen = () => {
      if (stream === searchStream) clearError(searchError);
    };
  }

  form.addEventListener('submit', async (submitEvent) => {
    submitEvent.preventDefault();
    endSearch();
    clearError(searchError);
    clearFieldErrors();
    resultsBody.replaceChildren();
    resultsTable.hidden = true;
    const body = {
      from: $('from').value.trim(),
      to: $('to').value.trim(),
      date: dateInput.value,
      passengers: Number($('passengers').value),
    };
    setSearching(true);
    searchStatus.textContent = `Searching ${body.from.toUpperCase()} → ${body.to.toUpperCase()} on ${body.date}…`;
    let response;
    try {
      response = await fetch('/api/flights/search', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    } catch {
      setSearching(false);
      searchStatus.textContent = 'No search running.';
      showError(searchError, 'The server cannot be reached. Check that Skyway is running, then try again.');
      return;
    }
    if (response.status !== 202) {
      setSearching(false);
      searchStatus.textContent = 'No search running.';
      const { message, errors } = await errorOf(response);
      if (response.status === 400) showFieldErrors(errors.length > 0 ? 'The search was not accepted:' : `The search was not accepted: ${message}`, errors);
      else showError(searchError, sentence(message) + retryHint(response));
      return;
    }
    const { data } = await response.json();
    followSearch(data.search_id, response.headers.get('location') ?? `/api/flights/search/${data.search_id}/stream`);
  });

  // ---- journey board

  const board = $('journeys');
  const journeysStatus = $('journeys-status');
  const journeysError = $('journeys-error');
  /** journeyId → { journey, card, followed, liveText } */
  const cards = new Map();
  /** The board's one stream, over the followed journeys. */
  let boardStream = null;

  const announce = (text) => {
    journeysStatus.textContent = text;
  };

  function statusBadge(status) {
    return el('span', { className: `badge status-${status}` }, status);
  }

  function segmentRow(segment) {
    const row = el(
      'tr',
      {},
      el('th', { scope: 'row' }, segment.segmentId),
      el('td', {}, `${segment.flightNumber} · ${segment.carrier}`),
      el('td', {}, `${segment.origin} → ${segment.destination}`),
      el('td', {}, el('time', { dateTime: segment.departureTime }, new Date(segment.departureTime).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }))),
      el('td', { className: 'segment-status' }, statusBadge(segment.status)),
    );
    row.dataset.segment = segment.segmentId;
    return row;
  }

  function renderJourney(journeyId) {
    const entry = cards.get(journeyId);
    const { journey } = entry;
    const headingId = `journey-${journeyId}-heading`;
    const liveState = el('span', { className: `live ${entry.followed ? 'on' : 'off'}` }, entry.liveText ?? (entry.followed ? 'Live' : 'Not followed'));
    entry.card.replaceChildren(
      el(
        'div',
        { className: 'journey-head' },
        el('h3', { id: headingId, tabIndex: -1 }, `${journey.id} · ${journey.passengerName}`),
        el('span', { className: 'journey-status' }, statusBadge(journey.status)),
        liveState,
      ),
      el(
        'table',
        { className: 'segments' },
        el('caption', { className: 'visually-hidden' }, `Segments of journey ${journey.id}`),
        el('thead', {}, el('tr', {}, ...['Segment', 'Flight', 'Route', 'Departs', 'Status'].map((label) => el('th', { scope: 'col' }, label)))),
        el('tbody', {}, ...journey.segments.map(segmentRow)),
      ),
    );
    entry.card.setAttribute('aria-labelledby', headingId);
    entry.card.dataset.version = String(journey.version);
  }

  function highlight(element) {
    element.classList.remove('changed');
    void element.offsetWidth; // restart the animation
    element.classList.add('changed');
  }

  /** One committed change (a JourneyChangeEvent): applied once, in version order. */
  function applyChange(entry, event) {
    const { journey } = entry;
    if (event.version <= journey.version) return;
    for (const change of event.changes) {
      if (change.type === 'segmentStatus') {
        const segment = journey.segments.find((candidate) => candidate.segmentId === change.segmentId);
        if (!segment) continue;
        segment.status = change.status;
        const cell = entry.card.querySelector(`tr[data-segment="${CSS.escape(change.segmentId)}"] .segment-status`);
        if (cell) {
          cell.replaceChildren(statusBadge(change.status));
          highlight(cell);
        }
        announce(`Journey ${journey.id}: segment ${change.segmentId} is now ${change.status}.`);
      } else if (change.type === 'journeyStatus') {
        journey.status = change.status;
        const cell = entry.card.querySelector('.journey-status');
        if (cell) {
          cell.replaceChildren(statusBadge(change.status));
          highlight(cell);
        }
        announce(`Journey ${journey.id} is now ${change.status}.`);
      }
    }
    journey.version = event.version;
    entry.card.dataset.version = String(event.version);
  }

  function setLiveText(entry, text) {
    entry.liveText = text;
    const badge = entry.card.querySelector('.live');
    if (badge) badge.textContent = text;
  }

  function setBoardLiveText(text) {
    for (const entry of cards.values()) if (entry.followed) setLiveText(entry, text);
  }

  /** Follows the first MAX_LIVE_JOURNEYS journeys of the board over one stream. */
  function followBoard() {
    if (boardStream) boardStream.close();
    const followed = [...cards.keys()].slice(0, MAX_LIVE_JOURNEYS);
    if (followed.length === 0) return;
    const stream = new EventSource(`/api/journeys-stream?ids=${followed.map(encodeURIComponent).join(',')}`);
    boardStream = stream;
    for (const journeyId of followed) {
      const entry = cards.get(journeyId);
      entry.followed = true;
      entry.liveText = 'Connecting…';
      renderJourney(journeyId);
    }
    // Each journey as it is now: on connect and after every reconnect, so nothing is missed.
    stream.addEventListener('journey', (message) => {
      let journey;
      try {
        journey = JSON.parse(message.data);
      } catch {
        return setBoardLiveText('Unreadable update');
      }
      const entry = cards.get(journey.id);
      if (!entry) return;
      entry.journey = journey;
      entry.liveText = 'Live';
      renderJourney(journey.id);
    });
    stream.addEventListener('change', (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return setBoardLiveText('Unreadable update');
      }
      const entry = cards.get(event.journeyId);
      if (entry) applyChange(entry, event);
    });
    stream.onerror = () => {
      if (stream !== boardStream) return;
      if (stream.readyState === EventSource.CONNECTING) return setBoardLiveText('Reconnecting…');
      // Refused (e.g. a journey gone, or too many streams): stop, and offer to try again.
      stream.close();
      boardStream = null;
      setBoardLiveText('Live updates stopped');
      const retry = el('button', { type: 'button', className: 'secondary' }, 'Follow live again');
      retry.addEventListener('click', () => {
        clearError(journeysError);
        followBoard();
      });
      showError(journeysError, 'Live updates of the journeys stopped.');
      journeysError.append(retry);
    };
  }

  async function loadJourneys() {
    clearError(journeysError);
    announce('Loading journeys…');
    try {
      const response = await fetch('/api/journeys');
      if (!response.ok) throw new Error(sentence((await errorOf(response)).message) + retryHint(response));
      const { journeyIds } = await response.json();
      const journeys = await Promise.all(
        [...journeyIds].sort().map(async (journeyId) => {
          const reply = await fetch(`/api/journeys/${encodeURIComponent(journeyId)}`);
          // Deleted or expired between the list and the read: leave it out.
          if (reply.status === 404) return null;
          if (!reply.ok) throw new Error(sentence((await errorOf(reply)).message) + retryHint(reply));
          return reply.json();
        }),
      );
      board.replaceChildren();
      for (const journey of journeys.filter(Boolean)) {
        const card = el('li', { className: 'journey', id: `journey-${journey.id}` });
        cards.set(journey.id, { journey, card, followed: false, liveText: null });
        board.append(card);
        renderJourney(journey.id);
      }
      announce(cards.size === 0 ? 'No journeys yet.' : `${plural(cards.size, 'journey', 'journeys')}; statuses update live.`);
      followBoard();
    } catch (error) {
      announce('Journeys could not be loaded.');
      const retry = el('button', { type: 'button', className: 'secondary' }, 'Retry');
      retry.addEventListener('click', () => void loadJourneys());
      showError(journeysError, `Journeys could not be loaded: ${error instanceof TypeError ? 'the server cannot be reached' : error.message}`);
      journeysError.append(retry);
    }
  }

  void loadJourneys();
})();
