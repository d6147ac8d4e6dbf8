// The longshore dashboard: plain browser JavaScript, no build step and nothing from the internet,
// so that `longshore monitor` serves it as is on a machine with no network. Everything shown is
// built with textContent (never innerHTML): task names, logs and errors come from containers.
/* global document, window, location, WebSocket, fetch, requestAnimationFrame, setTimeout, setInterval */
'use strict';

(() => {
  const FINAL = new Set(['SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED']);
  const MAX_ROWS = 500;
  // Logs of tasks nobody looks at are kept bounded: a chatty container must not fill the tab.
  const MAX_LOG_CHARS = 512 * 1024;
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 15_000;

  /** @type {Map<string, any>} */
  const tasks = new Map();
  /** @type {Map<string, any>} */
  const workers = new Map();
  /**
   * The monitor's answer to /api/session: whether login is on, who is logged in, and the CSRF
   * token that every state-changing request sends in X-CSRF-Token (another site's page cannot
   * read it, so it cannot send it).
   */
  let session = { login: false, user: null, csrfToken: null };
  /** A 401 means the session ended (expired, logged out elsewhere, the monitor restarted). */
  const toLogin = () => location.assign('/login');
  /** fetch, sending the CSRF token with writes; a 401 goes to the login page. */
  async function api(path, init = {}) {
    const method = (init.method || 'GET').toUpperCase();
    const headers = { accept: 'application/json', ...(init.headers || {}) };
    if (method !== 'GET' && method !== 'HEAD' && session.csrfToken)
      headers['X-CSRF-Token'] = session.csrfToken;
    const response = await fetch(path, { ...init, headers, credentials: 'same-origin' });
    if (response.status === 401 && session.login) toLogin();
    return response;
  }

  /** Log text received over the WebSocket, per task id (what the API had is merged in on open). */
  const liveLogs = new Map();

  /**
   * Sets a node's text only when it changed: the page re-renders every second (runtimes, heartbeat
   * ages), and replacing an unchanged text would drop the reader's selection in it.
   */
  const setText = (node, text) => {
    if (node.textContent !== text) node.textContent = text;
  };
  /** What a container was last rendered from, so that an unchanged one is left alone. */
  const rendered = new WeakMap();
  const changed = (node, signature) => {
    if (rendered.get(node) === signature) return false;
    rendered.set(node, signature);
    return true;
  };

  const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
  const el = (tag, props = {}, children = []) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === 'text') node.textContent = value;
      else if (key === 'class') node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) node.append(child);
    return node;
  };

  // ---- formatting --------------------------------------------------------------------------

  const shortId = (id) => (id.length > 12 ? `${id.slice(0, 8)}…` : id);
  const dash = (value) => (value === null || value === undefined || value === '' ? '—' : String(value));

  function formatTime(iso) {
    if (!iso) return '—';
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    const sameDay = date.toDateString() === new Date().toDateString();
    return sameDay ? date.toLocaleTimeString() : date.toLocaleString();
  }

  /** "3 s ago": a heartbeat's age says more than its clock time. */
  function ago(iso) {
    const ms = Date.now() - Date.parse(iso || '');
    if (!Number.isFinite(ms)) return '—';
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return `${s} s ago`;
    return s < 5400 ? `${Math.round(s / 60)} min ago` : formatTime(iso);
  }

  function formatSeconds(seconds) {
    if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
    if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
    const m = Math.floor(seconds / 60);
    const s = Math.round(seconds % 60);
    return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
  }

  /** The runtime, or for a running task the time since it started (ticks every second). */
  function runtimeOf(task) {
    if (task.runtime !== null && task.runtime !== undefined) return formatSeconds(task.runtime);
    if (task.started && !FINAL.has(task.state)) {
      return `${formatSeconds((Date.now() - new Date(task.started).getTime()) / 1000)}…`;
    }
    return '—';
  }

  function formatValue(value) {
    if (value === null || value === undefined) return '—';
    if (typeof value === 'string') return value;
    try {
      // Short values on one line; long ones indented, to be read.
      const flat = JSON.stringify(value);
      return flat.length <= 80 ? flat : JSON.stringify(value, null, 2);
    } catch {
      return String(value);
    }
  }

  function stateBadge(state, testid) {
    const props = { class: `state state-${String(state || 'UNKNOWN').toLowerCase()}`, text: dash(state) };
    if (testid) props['data-testid'] = testid;
    return el('span', props);
  }

  // ---- rendering, batched to one frame however many events arrive ----------------------------

  let renderQueued = false;
  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      render();
    });
  }

  function render() {
    renderWorkers();
    const id = currentTaskId();
    if (id === null) renderTasks();
    else renderTask(id);
  }

  function renderWorkers() {
    const list = [...workers.values()].sort(
      (a, b) => Number(b.online) - Number(a.online) || String(a.hostname).localeCompare(b.hostname),
    );
    const cards = list.map((w) => {
      const load = Array.isArray(w.loadavg) ? w.loadavg.map((n) => Number(n).toFixed(2)).join(' ') : '—';
      const software = [w.swIdent, w.swVer].filter(Boolean).join(' ');
      return el('article', { class: `worker ${w.online ? 'online' : 'offline'}`, 'data-testid': 'worker' }, [
        el('header', {}, [
          el('span', { class: 'dot', title: w.online ? 'online' : 'offline' }),
          el('span', { class: 'hostname', 'data-testid': 'worker-hostname', text: dash(w.hostname) }),
        ]),
        el('dl', {}, [
          el('dt', { text: 'status' }),
          el('dd', { 'data-testid': 'worker-status', text: w.online ? 'online' : 'offline' }),
          el('dt', { text: 'active' }),
          el('dd', { 'data-testid': 'worker-active', text: dash(w.active) }),
          el('dt', { text: 'processed' }),
          el('dd', { 'data-testid': 'worker-processed', text: dash(w.processed) }),
          el('dt', { text: 'load' }),
          el('dd', { text: load }),
          el('dt', { text: 'heartbeat' }),
          el('dd', { title: dash(w.lastHeartbeat), text: ago(w.lastHeartbeat) }),
          el('dt', { text: 'software' }),
          el('dd', { text: software ? `${software} (pid ${dash(w.pid)})` : '—' }),
        ]),
      ]);
    });
    $('workers').replaceChildren(...cards);
    $('workers-empty').hidden = list.length > 0;
    const online = list.filter((w) => w.online).length;
    $('worker-count').textContent = list.length ? `${online} online / ${list.length}` : '';
  }

  function filters() {
    return {
      state: $('filter-state').value,
      user: $('filter-user').value.trim().toLowerCase(),
      group: $('filter-group').value.trim().toLowerCase(),
      text: $('filter-text').value.trim().toLowerCase(),
    };
  }

  function matches(task, f) {
    if (f.state && task.state !== f.state) return false;
    if (f.user && String(task.user ?? '').toLowerCase() !== f.user) return false;
    if (f.group && String(task.group ?? '').toLowerCase() !== f.group) return false;
    if (f.text) {
      const hay = [task.id, task.name, task.image, task.worker, task.queue, task.user, task.group]
        .map((v) => String(v ?? '').toLowerCase())
        .join(' ');
      if (!hay.includes(f.text)) return false;
    }
    return true;
  }

  const timeOf = (task) => Date.parse(task.created || task.received || task.started || '') || 0;

  function renderTasks() {
    const f = filters();
    const all = [...tasks.values()].filter((t) => matches(t, f)).sort((a, b) => timeOf(b) - timeOf(a));
    const shown = all.slice(0, MAX_ROWS);
    const rows = shown.map((t) =>
      el('tr', { 'data-testid': 'task-row', 'data-task-id': t.id, 'data-state': t.state }, [
        el('td', {}, [
          el('a', { href: `#/task/${encodeURIComponent(t.id)}`, title: t.id, text: shortId(t.id) }),
        ]),
        el('td', {}, [stateBadge(t.state, 'row-state')]),
        el('td', { class: 'image', text: dash(t.image ?? t.name) }),
        el('td', { class: 'num', text: runtimeOf(t) }),
        el('td', { text: dash(t.user) }),
        el('td', { text: dash(t.group) }),
        el('td', { text: dash(t.worker) }),
        el('td', { text: formatTime(t.received || t.created) }),
      ]),
    );
    $('tasks-body').replaceChildren(...rows);
    $('tasks-empty').hidden = shown.length > 0;
    $('task-count').textContent =
      all.length > shown.length ? `${shown.length} of ${all.length}` : `${all.length} / ${tasks.size}`;
  }

  function renderTask(id) {
    const task = tasks.get(id);
    setText($('task-id'), id);
    const state = $('task-state');
    setText(state, task ? task.state : 'unknown');
    state.className = `state state-${task ? String(task.state).toLowerCase() : 'unknown'}`;
    state.dataset.state = task ? task.state : '';
    const cancel = $('cancel');
    cancel.disabled = !task || FINAL.has(task.state) || cancelling.has(id);
    setText(cancel, cancelling.has(id) ? 'Cancelling…' : 'Cancel');
    renderProgress(task);
    renderDetails(task);
    renderLog(id);
  }

  function renderProgress(task) {
    const bar = $('progress-bar');
    const fill = $('progress-fill');
    const text = $('progress-text');
    const p = task && task.progress;
    let percent = 0;
    let label = 'no progress reported';
    if (p && Number(p.total) > 0) {
      percent = Math.max(0, Math.min(100, (100 * Number(p.current)) / Number(p.total)));
      label = `${p.current} / ${p.total} (${Math.round(percent)} %)${p.message ? ` — ${p.message}` : ''}`;
    } else if (p && p.message) {
      label = String(p.message);
    }
    // A finished task's bar is full: the last report need not have said total.
    if (task && task.state === 'SUCCESS') percent = 100;
    bar.setAttribute('aria-valuenow', String(Math.round(percent)));
    bar.dataset.current = p ? String(p.current ?? '') : '';
    bar.dataset.total = p ? String(p.total ?? '') : '';
    bar.dataset.state = task ? task.state : '';
    fill.style.width = `${percent}%`;
    setText(text, label);
  }

  function renderDetails(task) {
    const rows = task
      ? [
          ['name', task.name],
          ['image', task.image],
          ['state', task.state],
          ['worker', task.worker],
          ['queue', task.queue],
          ['user', task.user],
          ['group', task.group],
          ['created', formatTime(task.created)],
          ['received', formatTime(task.received)],
          ['started', formatTime(task.started)],
          ['ended', formatTime(task.ended)],
          ['runtime', runtimeOf(task)],
          ['exit code', task.exitCode],
          ['args', task.args],
          ['kwargs', task.kwargs],
          ['result', task.result],
          ['error', task.error],
        ]
      : [['', 'This task is not known to the monitor (yet).']];
    const list = $('task-details');
    if (!changed(list, JSON.stringify(rows))) return;
    const nodes = [];
    for (const [key, value] of rows) {
      const text = formatValue(value);
      const dd = el('dd', { 'data-field': key }, [
        text.includes('\n') ? el('pre', { text }) : document.createTextNode(text),
      ]);
      if (key === 'error' && value) dd.className = 'error';
      nodes.push(el('dt', { text: key }), dd);
    }
    list.replaceChildren(...nodes);
  }

  function renderLog(id) {
    const pre = $('task-log');
    const entries = liveLogs.get(id) ?? [];
    if (!changed(pre, `${id} ${logVersions.get(id) ?? 0}`)) return;
    // Stay at the bottom while the log grows, unless the reader scrolled up.
    const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 24;
    pre.replaceChildren(
      ...entries.map((e) => (e.stream === 'stderr' ? el('span', { class: 'stderr', text: e.text }) : e.text)),
    );
    if (entries.length === 0) pre.append(el('span', { class: 'muted', text: '(no output yet)' }));
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  }

  // ---- state updates -------------------------------------------------------------------------

  /** Bumped on every change of a task's log, so that the view re-renders only new text. */
  const logVersions = new Map();
  const bumpLog = (id) => logVersions.set(id, (logVersions.get(id) ?? 0) + 1);

  function appendLog(id, stream, text) {
    bumpLog(id);
    const entries = liveLogs.get(id) ?? [];
    const last = entries[entries.length - 1];
    if (last && last.stream === stream) last.text += text;
    else entries.push({ stream, text });
    let size = entries.reduce((n, e) => n + e.text.length, 0);
    while (size > MAX_LOG_CHARS && entries.length > 0) {
      const first = entries[0];
      const cut = Math.min(first.text.length, size - MAX_LOG_CHARS);
      first.text = first.text.slice(cut);
      size -= cut;
      if (first.text === '') entries.shift();
    }
    liveLogs.set(id, entries);
  }

  /**
   * The API's log is everything stored until it answered; lines that came over the WebSocket
   * meanwhile may be in it too. Keep the stored log, then whatever of the live text it lacks
   * (the longest overlap of its end with the live text's start is not repeated).
   */
  function mergeLog(id, stored, liveSince) {
    const live = liveSince.map((e) => e.text).join('');
    let overlap = Math.min(stored.length, live.length);
    while (overlap > 0 && !stored.endsWith(live.slice(0, overlap))) overlap--;
    const entries = [];
    if (stored) entries.push({ stream: 'stdout', text: stored });
    liveLogs.set(id, entries);
    bumpLog(id);
    let skip = overlap;
    for (const e of liveSince) {
      const cut = Math.min(skip, e.text.length);
      skip -= cut;
      if (e.text.length > cut) appendLog(id, e.stream, e.text.slice(cut));
    }
  }

  function onMessage(message) {
    switch (message.type) {
      case 'snapshot':
        tasks.clear();
        for (const t of message.tasks ?? []) tasks.set(t.id, t);
        workers.clear();
        for (const w of message.workers ?? []) workers.set(w.hostname, w);
        // What was missed while disconnected: the open task's log is fetched again.
        if (currentTaskId() !== null) loadTask(currentTaskId());
        break;
      case 'task':
        tasks.set(message.task.id, message.task);
        break;
      case 'worker':
        workers.set(message.worker.hostname, message.worker);
        break;
      case 'log':
        appendLog(message.id, message.stream, String(message.text ?? ''));
        if (loading.has(message.id))
          loading.get(message.id).push({ stream: message.stream, text: message.text });
        break;
      default:
        return;
    }
    scheduleRender();
  }

  // ---- the WebSocket, reconnected with backoff -----------------------------------------------

  let backoff = BACKOFF_MIN_MS;
  let retryTimer = null;

  function setConnection(state, text) {
    const badge = $('connection');
    badge.dataset.state = state;
    badge.textContent = text;
  }

  function connect() {
    retryTimer = null;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(`${scheme}//${location.host}/ws`);
    setConnection('connecting', 'connecting…');
    socket.addEventListener('open', () => {
      backoff = BACKOFF_MIN_MS;
      setConnection('open', 'live');
    });
    socket.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return; // not ours; nothing to show
      }
      onMessage(message);
    });
    socket.addEventListener('close', () => {
      if (retryTimer !== null) return;
      // Jitter, so that many open tabs do not all come back at the same instant.
      const delay = Math.round(backoff * (0.75 + Math.random() * 0.5));
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      setConnection('closed', `disconnected — retrying in ${(delay / 1000).toFixed(1)} s`);
      retryTimer = setTimeout(reconnect, delay);
    });
    // An error is followed by close, which schedules the retry.
  }

  /** Before reconnecting, the session is checked: a refused upgrade says nothing of why. */
  async function reconnect() {
    try {
      const response = await fetch('/api/session', { credentials: 'same-origin' });
      if (response.status === 401) {
        toLogin();
        return;
      }
      if (response.ok) session = await response.json();
    } catch {
      // the monitor is away: connect() fails and retries later
    }
    connect();
  }

  // ---- the task view: hash route #/task/<id> -------------------------------------------------

  /** Ids whose stored record and log are being fetched, with the live log that arrived meanwhile. */
  const loading = new Map();
  const cancelling = new Set();

  function currentTaskId() {
    const match = /^#\/task\/(.+)$/.exec(location.hash);
    return match ? decodeURIComponent(match[1]) : null;
  }

  function notice(text, kind = 'info') {
    const box = $('task-notice');
    box.hidden = !text;
    box.textContent = text || '';
    box.className = `notice ${kind}`;
  }

  async function loadTask(id) {
    loading.set(id, []);
    try {
      const response = await api(`/api/tasks/${encodeURIComponent(id)}`);
      if (response.status === 404) {
        if (currentTaskId() === id && !tasks.has(id))
          notice('The monitor has no record of this task.', 'warn');
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const record = await response.json();
      const { log, ...task } = record;
      // A WebSocket update newer than this answer wins.
      if (!tasks.has(id) || FINAL.has(task.state)) tasks.set(id, task);
      mergeLog(id, typeof log === 'string' ? log : '', loading.get(id) ?? []);
    } catch (error) {
      if (currentTaskId() === id) notice(`Could not load the task: ${error.message}`, 'warn');
    } finally {
      loading.delete(id);
      scheduleRender();
    }
  }

  async function cancelTask(id) {
    cancelling.add(id);
    notice('');
    scheduleRender();
    try {
      const response = await api(`/api/tasks/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
      const body = await response.json().catch(() => ({}));
      if (!response.ok || body.ok !== true) {
        throw new Error(body.error || `HTTP ${response.status}`);
      }
      notice('Cancel requested; the worker stops the container.', 'info');
    } catch (error) {
      notice(`Could not cancel: ${error.message}`, 'warn');
    } finally {
      cancelling.delete(id);
      scheduleRender();
    }
  }

  function route() {
    const id = currentTaskId();
    $('list-view').hidden = id !== null;
    $('task-view').hidden = id === null;
    notice('');
    if (id !== null) {
      $('task-log').replaceChildren();
      rendered.delete($('task-log'));
      loadTask(id);
    }
    render();
  }

  // ---- wiring --------------------------------------------------------------------------------

  $('filters').addEventListener('input', scheduleRender);
  $('filters').addEventListener('change', scheduleRender);
  $('filters').addEventListener('submit', (event) => event.preventDefault());
  // A whole row opens its task, not only the id's link.
  $('tasks-body').addEventListener('click', (event) => {
    const row = event.target.closest('tr[data-task-id]');
    if (row && !event.target.closest('a')) location.hash = `#/task/${encodeURIComponent(row.dataset.taskId)}`;
  });
  $('cancel').addEventListener('click', () => {
    const id = currentTaskId();
    if (id !== null) cancelTask(id);
  });
  window.addEventListener('hashchange', route);
  // Running tasks' runtimes and heartbeat ages tick.
  setInterval(scheduleRender, 1000);

  $('logout').addEventListener('click', async () => {
    await api('/logout', { method: 'POST' }).catch(() => undefined);
    toLogin();
  });

  async function start() {
    let response;
    try {
      response = await fetch('/api/session', { credentials: 'same-origin' });
    } catch {
      response = undefined;
    }
    if (response && response.status === 401) {
      toLogin();
      return;
    }
    if (response && response.ok) session = await response.json();
    if (session.login) {
      const user = $('user');
      user.hidden = false;
      user.textContent = session.user || 'token';
      $('logout').hidden = false;
    }
    route();
    connect();
  }
  start();
})();
