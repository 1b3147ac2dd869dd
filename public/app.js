// The page's behaviour: pick or drop images, send each to POST /predict (one request per file, at
// most MAX_CONCURRENT at a time), show the top-5 as labelled bars, and keep a status line from
// GET /readyz. Public API only; no framework, no build step. URLs are relative so the page also
// works behind a reverse proxy that mounts the service under a path.

const TOP_K = 5;
const MAX_CONCURRENT = 4;
const POLL_NOT_READY_MS = 2000;
const POLL_READY_MS = 15000;

const $ = (selector) => {
  const el = document.querySelector(selector);
  if (!el) throw new Error(`missing ${selector}`);
  return el;
};

const statusLine = $('#server-status');
const dropzone = $('#dropzone');
const fileInput = $('#file-input');
const resultsList = $('#results');
const emptyNote = $('#empty-note');
const clearButton = $('#clear-button');
const announcer = $('#announcer');
const cardTemplate = $('#card-template');

/* ---------- server readiness ---------- */

let pollTimer;
// Automatic retries per image after a "not ready" 503; beyond this only the Retry button.
const MAX_AUTO_RETRIES = 3;

const STATUS_TEXT = {
  loading: 'The model is still loading. Images you add now are retried once it is ready.',
  draining: 'The server is shutting down and accepts no new images.',
  failed: 'The model failed to load; the server cannot classify images.',
};

function setStatus(state, text) {
  statusLine.dataset.state = state;
  if (statusLine.textContent !== text) statusLine.textContent = text;
}

let inFlight;

/** One readiness check at a time: callers arriving meanwhile share it, so polls never multiply. */
function checkReadiness() {
  inFlight ??= pollReadiness().finally(() => {
    inFlight = undefined;
  });
  return inFlight;
}

async function pollReadiness() {
  clearTimeout(pollTimer);
  let ready = false;
  try {
    const res = await fetch('readyz', { cache: 'no-store', headers: { accept: 'application/json' } });
    const body = await res.json().catch(() => ({}));
    ready = res.ok;
    if (ready) {
      const model = body.model ? `model ${body.model}` : 'model';
      const engine = body.engine ? ` on ${body.engine}` : '';
      setStatus('ready', `Ready: ${model}${engine}.`);
    } else {
      const state = typeof body.status === 'string' && Object.hasOwn(STATUS_TEXT, body.status) ? body.status : 'loading';
      setStatus(state, STATUS_TEXT[state]);
    }
  } catch {
    setStatus('unreachable', 'Cannot reach the server. Checking again shortly…');
  }
  if (ready) retryWaitingForServer();
  clearTimeout(pollTimer);
  if (!document.hidden) pollTimer = setTimeout(checkReadiness, ready ? POLL_READY_MS : POLL_NOT_READY_MS);
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void checkReadiness();
  else clearTimeout(pollTimer);
});

/* ---------- the queue: one request per file, a few at a time ---------- */

/** @typedef {{ file: File, card: HTMLLIElement, controller?: AbortController, waitingForServer: boolean, autoRetries: number }} Job */

/** @type {Job[]} */
const queue = [];
/** @type {Set<Job>} */
const jobs = new Set();
let running = 0;

function enqueue(job) {
  job.waitingForServer = false;
  setCardState(job.card, 'queued', 'Waiting…');
  queue.push(job);
  pump();
}

function pump() {
  while (running < MAX_CONCURRENT && queue.length > 0) {
    const job = /** @type {Job} */ (queue.shift());
    running += 1;
    void classify(job).finally(() => {
      running -= 1;
      pump();
    });
  }
}

function retryWaitingForServer() {
  for (const job of jobs) {
    if (!job.waitingForServer || job.autoRetries >= MAX_AUTO_RETRIES) continue;
    job.autoRetries += 1;
    enqueue(job);
  }
}

async function classify(job) {
  if (!jobs.has(job)) return; // cleared while queued
  const controller = new AbortController();
  job.controller = controller;
  setCardState(job.card, 'working', 'Classifying…');
  const started = performance.now();
  let res;
  let body;
  try {
    res = await fetch(`predict?topk=${TOP_K}`, {
      method: 'POST',
      // The raw bytes as the body; the server sniffs the real format, so an unknown type is fine.
      headers: { 'content-type': job.file.type.startsWith('image/') ? job.file.type : 'application/octet-stream', accept: 'application/json' },
      body: job.file,
      signal: controller.signal,
    });
    body = await res.json().catch(() => undefined);
  } catch (err) {
    if (controller.signal.aborted) return;
    showProblem(job, 'Could not reach the server', `The request failed (${err instanceof Error ? err.message : String(err)}). Check that the server is running, then retry.`, true);
    void checkReadiness();
    return;
  }
  const roundTripMs = performance.now() - started;
  if (!jobs.has(job)) return;
  if (res.ok && body && body.success === true && Array.isArray(body.predictions)) {
    showPredictions(job, body, roundTripMs);
  } else {
    showApiError(job, res, body);
  }
}

/* ---------- rendering ---------- */

const humanLabel = (label) => label.replaceAll('_', ' ');

function percent(p) {
  const pct = p * 100;
  if (pct > 0 && pct < 0.1) return '<0.1%';
  return `${pct.toFixed(1)}%`;
}

const megabytes = (bytes) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

const ms = (n) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`);

function setCardState(card, state, text) {
  card.dataset.state = state;
  card.setAttribute('aria-busy', String(state === 'queued' || state === 'working'));
  const status = card.querySelector('.card-status');
  status.hidden = !(state === 'queued' || state === 'working');
  card.querySelector('.card-status-text').textContent = text;
  if (state === 'queued' || state === 'working') {
    card.querySelector('.problem').hidden = true;
    card.querySelector('.predictions').hidden = true;
    card.querySelector('.timing').hidden = true;
  }
}

function showPredictions(job, body, roundTripMs) {
  const { card, file } = job;
  setCardState(card, 'done', '');
  const list = card.querySelector('.predictions');
  list.replaceChildren();
  list.setAttribute('aria-label', `Top ${body.predictions.length} for ${file.name}`);
  for (const p of body.predictions) {
    const item = document.createElement('li');
    item.className = 'prediction';
    item.dataset.label = p.label;
    const label = document.createElement('span');
    label.className = 'prediction-label';
    label.textContent = humanLabel(p.label);
    const value = document.createElement('span');
    value.className = 'prediction-value';
    value.textContent = percent(p.probability);
    // The bar repeats the text value for sighted users; assistive tech reads the text.
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.setAttribute('aria-hidden', 'true');
    const fill = document.createElement('span');
    fill.className = 'bar-fill';
    fill.style.width = `${Math.max(0, Math.min(100, p.probability * 100)).toFixed(2)}%`;
    bar.append(fill);
    item.append(label, value, bar);
    list.append(item);
  }
  list.hidden = false;

  const timing = card.querySelector('.timing');
  const server = typeof body.timings?.total_ms === 'number' ? `Server time ${ms(body.timings.total_ms)}` : 'Server time unknown';
  const size = body.image ? ` · ${String(body.image.format ?? '').toUpperCase()} ${body.image.width}×${body.image.height}` : '';
  timing.textContent = `${server} · round trip ${ms(roundTripMs)}${size}`;
  timing.title = 'Server time: timings.total_ms reported by the server. Round trip: measured in this browser, upload included.';
  timing.hidden = false;

  const best = body.predictions[0];
  announce(best ? `${file.name}: ${humanLabel(best.label)}, ${percent(best.probability)}.` : `${file.name}: no predictions.`);
}

/** Titles by HTTP status; the API's own code and message follow as the detail. */
const PROBLEM_TITLES = {
  400: 'The server refused the request',
  401: 'This server needs an API key',
  404: 'The server has no /predict route',
  413: 'Too big',
  415: 'Not an image the server can read',
  422: 'This image cannot be classified',
  504: 'The server took too long',
};

function showApiError(job, res, body) {
  const error = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : undefined;
  const code = typeof error?.code === 'string' ? error.code : `http_${res.status}`;
  const message = typeof error?.message === 'string' ? error.message : res.statusText || 'no details';
  let detail = `${message} (${code})`;
  if (res.status === 503) {
    const busy = code === 'queue_full';
    job.waitingForServer = !busy;
    const title = busy ? 'The server is busy' : 'The server is not ready yet';
    const hint = busy ? 'Retry in a moment.' : 'This image is retried automatically when the server is ready, or retry now.';
    showProblem(job, title, `${detail}. ${hint}`, true);
    if (!busy) void checkReadiness();
    return;
  }
  const retryable = res.status >= 500;
  if (res.status === 413) detail = `This file is ${megabytes(job.file.size)}. ${detail}`;
  const title = PROBLEM_TITLES[res.status] ?? (retryable ? 'The server failed' : `Refused (HTTP ${res.status})`);
  showProblem(job, title, detail, retryable);
}

function showProblem(job, title, detail, retryable) {
  const { card, file } = job;
  setCardState(card, 'error', '');
  card.querySelector('.problem-title').textContent = title;
  card.querySelector('.problem-detail').textContent = detail;
  card.querySelector('.retry-button').hidden = !retryable;
  card.querySelector('.problem').hidden = false;
  announce(`${file.name}: ${title}.`);
}

function announce(text) {
  const line = document.createElement('p');
  line.textContent = text;
  announcer.append(line);
  // Keep the live region short; only additions are read out.
  while (announcer.childElementCount > 10) announcer.firstElementChild?.remove();
}

function addFiles(files) {
  for (const file of files) {
    const card = /** @type {HTMLLIElement} */ (cardTemplate.content.firstElementChild.cloneNode(true));
    card.querySelector('.file-name').textContent = file.name;
    const img = card.querySelector('.thumb');
    img.alt = `Preview of ${file.name}`;
    const url = URL.createObjectURL(file);
    // A decoded image stays on screen after its object URL is revoked.
    const release = () => URL.revokeObjectURL(url);
    img.addEventListener('load', release, { once: true });
    img.addEventListener('error', () => {
      release();
      card.querySelector('.thumb-frame').classList.add('no-preview');
      img.alt = '';
    }, { once: true });
    img.src = url;
    /** @type {Job} */
    const job = { file, card, waitingForServer: false, autoRetries: 0 };
    jobs.add(job);
    card.querySelector('.retry-button').addEventListener('click', () => {
      job.autoRetries = 0;
      enqueue(job);
    });
    resultsList.prepend(card);
    enqueue(job);
  }
  updateEmpty();
}

function clearResults() {
  for (const job of jobs) job.controller?.abort();
  jobs.clear();
  queue.length = 0;
  resultsList.replaceChildren();
  announcer.replaceChildren();
  updateEmpty();
  fileInput.focus();
}

function updateEmpty() {
  const empty = jobs.size === 0;
  emptyNote.hidden = !empty;
  clearButton.hidden = empty;
}

/* ---------- input: picker and drag and drop ---------- */

fileInput.addEventListener('change', () => {
  if (fileInput.files && fileInput.files.length > 0) addFiles([...fileInput.files]);
  fileInput.value = ''; // choosing the same file again fires change again
});

clearButton.addEventListener('click', clearResults);

// The whole page accepts drops, so a near miss never makes the browser open the image itself.
let dragDepth = 0;
const carriesFiles = (event) => event.dataTransfer?.types.includes('Files') ?? false;
document.addEventListener('dragenter', (event) => {
  if (!carriesFiles(event)) return;
  event.preventDefault();
  dragDepth += 1;
  dropzone.classList.add('dragging');
});
document.addEventListener('dragover', (event) => {
  if (!carriesFiles(event)) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = 'copy';
});
document.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) dropzone.classList.remove('dragging');
});
document.addEventListener('drop', (event) => {
  if (!carriesFiles(event)) return;
  event.preventDefault();
  dragDepth = 0;
  dropzone.classList.remove('dragging');
  const files = [...(event.dataTransfer?.files ?? [])];
  if (files.length > 0) addFiles(files);
});

updateEmpty();
void checkReadiness();
