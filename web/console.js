// SPDX-License-Identifier: LGPL-2.1-or-later
// console.js: the operator console. Everything it shows comes from the
// control API: the event stream (/api/v1/live: status, levels 10 times a
// second, alarms, the session's events), the previews (/api/v1/preview/,
// asked for again once each has loaded, twice a second at most) and the
// session's commands (POST). Logged in by cookie (POST /api/v1/login; the
// cookie is HttpOnly, the CSRF token from /api/v1/whoami goes in a header
// of every POST) or, on an install without accounts, with the room's token.
'use strict';

const PREVIEW_INTERVAL_MS = 500;
const STREAM_STALE_MS = 5000;
const RECONNECT_MS = 2000;
const PEAK_HOLD_MS = 1500;
const METER_FLOOR_DB = -60;
const BEEP_EVERY_MS = 2000;

const STATE_TEXT = {
  recording: ['录音中', 'REC'],
  paused: ['暂停', 'PAUSED'],
  standby: ['待机', 'STANDBY'],
};
const INPUT_TEXT = {
  live: ['正常', 'live'], connecting: ['连接中', 'connecting'], lost: ['信号中断', 'lost'],
};
const ALARM_TEXT = {
  'input-lost': '信号中断 input lost',
  'microphone-silent': '话筒无声 microphone silent',
  'disk-low': '磁盘将满 disk low',
  'disk-full': '磁盘已满 disk full',
  'disk-stall': '磁盘写入停滞 disk stalled',
  'seal-unavailable': '无法签封 cannot seal',
  'scheduled-not-recording': '排期庭审未录制 scheduled hearing not recording',
  'hearing-overrun': '庭审超时占用下一庭 hearing overruns into the next',
  'schedule-stale': '排期无法更新 schedule cannot be read',
  'coverage-shortfall': '录制率不足 recording shortfall',
};
const EVENT_TEXT = {
  start: '开始 start', stop: '结束 stop', pause: '暂停 pause', resume: '继续 resume',
  marker: '标记 marker', layout: '布局 layout', alarm: '告警 alarm',
  'input-lost': '信号中断 input lost', 'input-back': '信号恢复 input back',
  'microphone-silent': '话筒无声 microphone silent',
  'microphone-sound': '话筒恢复 microphone sound',
  'alarms-confirmed': '知悉告警后开始 started over alarms',
  'stream-cut': '切断直播 stream cut', 'stream-resume': '恢复直播 stream resumed',
  'on-air': '开始直播 on air', 'off-air': '停止直播 off air', seal: '签封 sealed',
  gap: '录制中断 gap', 'hearing-boundary': '排期交接 slot boundary',
};
// Roles rank viewer < clerk < approver < admin: the controls are a clerk's.
const ROLES_WITH_CONTROLS = ['clerk', 'approver', 'admin'];

const $ = (id) => document.getElementById(id);

const auth = { mode: null, csrf: null, token: null, user: null, role: null };
let hello = null;
let status = null;
let clockOffsetMs = 0;          // the recorder's clock minus ours
let streamAbort = null;
let acknowledged = new Set();   // alarm keys the clerk has acknowledged
let audio = null;
let lastBeep = 0;
const peaks = new Map();        // microphone -> { db, at }
const previewLoops = new Map(); // picture name -> running

// ---- the API -------------------------------------------------------------

function headers(json) {
  const h = {};
  if (json)
    h['Content-Type'] = 'application/json';
  if (auth.mode === 'token')
    h.Authorization = `Bearer ${auth.token}`;
  else if (auth.csrf)
    h['X-CSRF-Token'] = auth.csrf;
  return h;
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method, credentials: 'same-origin', cache: 'no-store',
    headers: headers(body !== undefined),
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  let reply = null;
  try {
    reply = await response.json();
  } catch (e) {
    reply = null;
  }
  if (!response.ok) {
    const error = reply && reply.error ? reply.error : {};
    throw new ApiError(response.status, error.code || String(response.status),
                       error.message || response.statusText);
  }
  return reply;
}

// ---- logging in ------------------------------------------------------------

function showLogin(message) {
  $('login').hidden = false;
  $('console').hidden = true;
  $('who').hidden = true;
  $('login-error').textContent = message || '';
  stopStream();
}

function startConsole() {
  $('login').hidden = true;
  $('console').hidden = false;
  $('who').hidden = false;
  $('who-user').textContent = auth.user || '';
  $('who-role').textContent = auth.role || '';
  document.body.dataset.role = auth.role || '';
  $('controls').hidden = !ROLES_WITH_CONTROLS.includes(auth.role);
  if (typeof startAccessPanel === 'function')
    startAccessPanel(auth.role);   // console-access.js
  openStream();
}

async function whoami() {
  try {
    const me = await api('GET', '/api/v1/whoami');
    auth.mode = 'cookie';
    auth.user = me.user;
    auth.role = me.role;
    auth.csrf = me.csrf;
    return true;
  } catch (e) {
    return false;
  }
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await api('POST', '/api/v1/login',
              { user: $('login-user').value, password: $('login-password').value });
    $('login-password').value = '';
    if (!(await whoami()))
      throw new Error('登录后无法取得身份 no identity after logging in');
    startConsole();
  } catch (e) {
    $('login-error').textContent = e.status === 401 || e.status === 403
      ? '用户名或密码错误 Wrong user or password' : `登录失败 Login failed: ${e.message}`;
  }
});

$('token-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  auth.mode = 'token';
  auth.token = $('login-token').value.trim();
  try {
    await api('GET', '/api/v1/status');
  } catch (e) {
    auth.mode = null;
    $('login-error').textContent = `令牌无效 The token is not valid: ${e.message}`;
    return;
  }
  $('login-token').value = '';
  // The room's token acts as the administrator (as for the CLI).
  auth.user = '令牌 token';
  auth.role = 'admin';
  startConsole();
});

$('logout').addEventListener('click', async () => {
  if (auth.mode === 'cookie') {
    try {
      await api('POST', '/api/v1/logout', {});
    } catch (e) {
      // Gone already: the login form is what follows either way.
    }
  }
  Object.assign(auth, { mode: null, csrf: null, token: null, user: null, role: null });
  showLogin();
});

// ---- the event stream ------------------------------------------------------

function setLink(state) {
  const texts = { connecting: ['连接中', 'Connecting'], up: ['已连接', 'Connected'],
                  down: ['连接中断，正在重连', 'Disconnected, reconnecting'] };
  const [zh, en] = texts[state];
  const link = $('link');
  link.dataset.link = state;
  link.replaceChildren(`${zh} `, span(en));
}

function stopStream() {
  if (streamAbort)
    streamAbort.abort();
  streamAbort = null;
}

// fetch rather than EventSource: it carries the token header as well as
// the cookie, and a stream silent for STREAM_STALE_MS is dropped and made
// again (a level frame comes every 100 ms).
async function openStream() {
  stopStream();
  const controller = new AbortController();
  streamAbort = controller;
  let stale = null;
  const resetStale = () => {
    clearTimeout(stale);
    stale = setTimeout(() => controller.abort(), STREAM_STALE_MS);
  };
  try {
    resetStale();
    const response = await fetch('/api/v1/live', {
      credentials: 'same-origin', cache: 'no-store', headers: headers(false),
      signal: controller.signal,
    });
    if (response.status === 401 || response.status === 403) {
      clearTimeout(stale);
      showLogin('登录已过期 The login has expired');
      return;
    }
    if (!response.ok)
      throw new Error(`HTTP ${response.status}`);
    setLink('up');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done)
        break;
      resetStale();
      buffered += value;
      let end;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        dispatch(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
      }
    }
  } catch (e) {
    // Aborted or cut: made again below.
  }
  clearTimeout(stale);
  if (streamAbort !== controller)
    return;                     // logged out or replaced meanwhile
  setLink('down');
  setTimeout(() => {
    if (streamAbort === controller)
      openStream();
  }, RECONNECT_MS);
}

function dispatch(block) {
  let name = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:'))
      name = line.slice(6).trim();
    else if (line.startsWith('data:'))
      data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length === 0)
    return;
  let payload;
  try {
    payload = JSON.parse(data.join('\n'));
  } catch (e) {
    return;
  }
  switch (name) {
  case 'hello': onHello(payload); break;
  case 'status': onStatus(payload); break;
  case 'levels': onLevels(payload.microphones || []); break;
  case 'alarm': onAlarmChange(payload); break;
  case 'event': onEvent(payload); break;
  default: break;
  }
}

// ---- what it shows -----------------------------------------------------------

function span(text, lang = 'en') {
  const s = document.createElement('span');
  s.lang = lang;
  s.textContent = text;
  return s;
}

function onHello(h) {
  hello = h;
  $('court').textContent = h.court;
  $('room-name').textContent = h.room_name;
  document.title = `${h.room_name} 庭审录音录像控制台 Recording console`;

  const cameras = $('cameras');
  cameras.replaceChildren();
  for (const camera of h.cameras) {
    const figure = document.createElement('figure');
    figure.className = 'camera';
    figure.dataset.name = camera.name;
    const img = document.createElement('img');
    img.id = `preview-${camera.name}`;
    img.alt = camera.label;
    img.width = 320;
    img.height = 180;
    const caption = document.createElement('figcaption');
    const label = document.createElement('span');
    label.textContent = `${camera.label} `;
    const state = document.createElement('span');
    state.className = 'input-state';
    state.dataset.state = 'connecting';
    caption.append(label, state);
    figure.append(img, caption);
    cameras.append(figure);
  }

  const meters = $('meters');
  meters.replaceChildren();
  for (const microphone of h.microphones) {
    const meter = document.createElement('div');
    meter.className = 'meter';
    meter.dataset.name = microphone.name;
    meter.innerHTML = '<span class="meter-label"></span>'
      + '<span class="meter-bar"><span class="meter-fill"></span><span class="meter-peak"></span></span>'
      + '<span class="meter-value">—</span>'
      + '<span class="meter-flag clip">削波 <span lang="en">CLIP</span></span>'
      + '<span class="meter-flag silent">无声 <span lang="en">SILENT</span></span>';
    meter.querySelector('.meter-label').textContent = microphone.label;
    meters.append(meter);
  }

  const bookmarks = $('bookmarks');
  bookmarks.replaceChildren();
  for (const text of h.bookmarks) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'bookmark';
    button.textContent = text;
    button.addEventListener('click', () => addMarker(text));
    bookmarks.append(button);
  }

  startPreview('composed', $('preview-composed'));
  for (const camera of h.cameras)
    startPreview(camera.name, $(`preview-${camera.name}`));
}

function formatElapsed(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const pad = (n) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}

function formatDuration(seconds) {
  if (seconds === null || seconds === undefined)
    return '未知 unknown';
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor(seconds / 60) % 60;
  return `${hours} 小时 ${minutes} 分 (${hours} h ${minutes} min)`;
}

function onStatus(s) {
  status = s;
  if (s.now)
    clockOffsetMs = Date.parse(s.now) - Date.now();
  const state = s.state in STATE_TEXT ? s.state : 'standby';
  document.body.dataset.state = state;
  const [zh, en] = STATE_TEXT[state];
  $('light-state').replaceChildren(`${zh} `, span(en));
  $('light').dataset.state = state;

  const session = s.session;
  $('case').textContent = session ? session.case : '—';
  $('title').textContent = session && session.title ? session.title : '—';
  $('session').textContent = session ? String(session.id) : '—';
  $('pause-reason-shown').textContent = session && session.pause_reason ? session.pause_reason : '—';
  $('disk').textContent = s.disk ? (s.disk.full ? '磁盘已满 disk full'
                                                 : formatDuration(s.disk.seconds_left)) : '—';
  $('layout-shown').textContent = s.layout || '—';
  if (s.layout && document.activeElement !== $('layout'))
    $('layout').value = s.layout;

  for (const input of s.inputs || []) {
    const figure = document.querySelector(`.camera[data-name="${CSS.escape(input.name)}"]`);
    if (!figure)
      continue;
    const badge = figure.querySelector('.input-state');
    const [izh, ien] = INPUT_TEXT[input.state] || [input.state, input.state];
    badge.dataset.state = input.state;
    badge.replaceChildren(`${izh} `, span(ien));
    figure.dataset.state = input.state;
  }

  const streams = $('streams');
  streams.replaceChildren();
  const list = s.streams || [];
  if (list.length === 0) {
    const li = document.createElement('li');
    li.className = 'none';
    li.append('无 ', span('None'));
    streams.append(li);
  }
  for (const stream of list) {
    const li = document.createElement('li');
    li.dataset.state = stream.state || '';
    li.textContent = `${stream.name}: ${stream.state || '?'}${stream.cut ? ' (已切断 cut)' : ''}`;
    streams.append(li);
  }

  // The controls that make sense now.
  const idle = state === 'standby';
  $('start-button').disabled = !idle;
  $('pause-button').disabled = state !== 'recording';
  $('resume-button').disabled = state !== 'paused';
  $('stop-button').disabled = idle;
  $('marker-button').disabled = idle;
  for (const button of document.querySelectorAll('.bookmark'))
    button.disabled = idle;

  showAlarms(s.alarms || []);
  showSchedule(s.schedule, s.alarms || []);
  if (typeof showArchive === 'function')
    showArchive(s.archive);   // console-archive.js
  tick();
}

// "14:00" of "2026-12-03T14:00:00+08:00", the court's own clock; with the
// date ("12-04 09:00") when @withDate.
function localTime(iso, withDate) {
  if (typeof iso !== 'string' || iso.length < 16)
    return '?';
  return withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

function describeHearing(h, withDate) {
  const title = h.title ? ` ${h.title}` : '';
  return `${localTime(h.starts_local, withDate)}–${localTime(h.ends_local, false)} ${h.case}${title}`;
}

// The calendar's slot now and the next one; the banner while the slot's
// hearing stands unrecorded (the recorder's own alarm says so).
function showSchedule(schedule, alarms) {
  const current = schedule ? schedule.current : null;
  const next = schedule ? schedule.next : null;
  const shownNow = $('schedule-current');
  shownNow.textContent = current ? describeHearing(current, false) : '—';
  shownNow.dataset.recording = current && current.recording ? 'yes' : 'no';
  $('schedule-next').textContent = next ? describeHearing(next, true) : '—';
  const missed = alarms.find((a) => a.alarm === 'scheduled-not-recording');
  const banner = $('schedule-banner');
  banner.hidden = !missed;
  $('schedule-banner-text').textContent = !missed ? ''
    : current && current.uid === missed.label
      ? `${describeHearing(current, false)} — 请开始录制或登记未开庭 start recording, or mark it not held`
      : missed.message || '';
}

function tick() {
  if (!status || !status.session || !status.session.started) {
    $('elapsed').textContent = '--:--:--';
    return;
  }
  const now = Date.now() + clockOffsetMs;
  $('elapsed').textContent = formatElapsed(now - Date.parse(status.session.started));
}
setInterval(tick, 250);

function dbToFraction(db) {
  if (db === null || db === undefined)
    return 0;
  return Math.min(1, Math.max(0, (db - METER_FLOOR_DB) / -METER_FLOOR_DB));
}

function onLevels(microphones) {
  const now = performance.now();
  // How many frames came, for whoever checks their rate.
  document.body.dataset.levels = String(Number(document.body.dataset.levels || 0) + 1);
  for (const level of microphones) {
    const meter = document.querySelector(`.meter[data-name="${CSS.escape(level.name)}"]`);
    if (!meter)
      continue;
    const peak = level.peak_dbfs;
    let hold = peaks.get(level.name);
    if (!hold || (peak !== null && peak >= hold.db) || now - hold.at > PEAK_HOLD_MS) {
      hold = { db: peak === null ? -Infinity : peak, at: now };
      peaks.set(level.name, hold);
    }
    meter.querySelector('.meter-fill').style.width = `${(dbToFraction(level.rms_dbfs) * 100).toFixed(1)}%`;
    meter.querySelector('.meter-peak').style.left = `${(dbToFraction(Number.isFinite(hold.db) ? hold.db : null) * 100).toFixed(1)}%`;
    meter.querySelector('.meter-value').textContent =
      peak === null ? '—' : `${peak.toFixed(1)} dBFS`;
    meter.dataset.peak = peak === null ? '' : String(peak);
    meter.classList.toggle('clipping', !!level.clipping);
    meter.classList.toggle('silent', !!level.silent);
  }
}

function alarmKey(alarm) {
  return `${alarm.alarm}|${alarm.input}`;
}

function showAlarms(alarms) {
  const banner = $('alarm-banner');
  const list = $('alarm-list');
  list.replaceChildren();
  const keys = new Set(alarms.map(alarmKey));
  // An alarm that cleared and comes back is new again.
  acknowledged = new Set([...acknowledged].filter((k) => keys.has(k)));
  for (const alarm of alarms) {
    const li = document.createElement('li');
    li.textContent = `${ALARM_TEXT[alarm.alarm] || alarm.alarm}: ${alarm.label || alarm.input} — ${alarm.message || ''}`;
    list.append(li);
  }
  banner.hidden = alarms.length === 0;
  const unacknowledged = alarms.filter((a) => !acknowledged.has(alarmKey(a)));
  banner.dataset.acknowledged = unacknowledged.length === 0 ? 'yes' : 'no';
  if (unacknowledged.length > 0 && performance.now() - lastBeep > BEEP_EVERY_MS)
    beep();
}

function onAlarmChange(change) {
  if (change.action === 'raised')
    acknowledged.delete(alarmKey(change));
  if (status) {
    const alarms = (status.alarms || []).filter((a) => alarmKey(a) !== alarmKey(change));
    if (change.action === 'raised')
      alarms.push(change);
    status.alarms = alarms;
    showAlarms(alarms);
  }
}

// A beep through WebAudio, every BEEP_EVERY_MS while an alarm stands
// unacknowledged (checked with each status, once a second).
function beep() {
  lastBeep = performance.now();
  try {
    if (!audio)
      audio = new AudioContext();
    if (audio.state === 'suspended')
      audio.resume();
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = 'square';
    oscillator.frequency.value = 880;
    gain.gain.value = 0.15;
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.25);
    document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
  } catch (e) {
    // No sound device: the banner still shows.
  }
}

$('alarm-ack').addEventListener('click', () => {
  for (const alarm of (status && status.alarms) || [])
    acknowledged.add(alarmKey(alarm));
  $('alarm-banner').dataset.acknowledged = 'yes';
});

function onEvent(event) {
  const list = $('events');
  if (list.querySelector(`li[data-id="${event.id}"]`))
    return;
  if (status && status.session && event.session_id !== status.session.id && list.children.length > 0
      && Number(list.firstElementChild.dataset.session) !== event.session_id)
    list.replaceChildren();     // a new session: its own list
  const li = document.createElement('li');
  li.dataset.id = String(event.id);
  li.dataset.session = String(event.session_id);
  li.dataset.kind = event.kind;
  li.className = `event ${event.class}`;
  const time = document.createElement('time');
  time.dateTime = event.at;
  time.textContent = new Date(event.at).toLocaleTimeString('zh-CN', { hour12: false });
  const kind = document.createElement('span');
  kind.className = 'kind';
  kind.textContent = EVENT_TEXT[event.kind] || event.kind;
  const detail = document.createElement('span');
  detail.className = 'detail';
  detail.textContent = describeDetail(event);
  li.append(time, ' ', kind, ' ', detail);
  list.prepend(li);
  while (list.children.length > 200)
    list.lastElementChild.remove();
}

// What an event says, then who did it (the detail's "by", when a person
// did).
function describeDetail(event) {
  const d = event.detail;
  if (d === null || d === undefined)
    return '';
  if (typeof d === 'string')
    return d;
  let what = '';
  if (event.kind === 'start')
    what = [d.case, d.title].filter(Boolean).join(' ');
  else if (d.text)
    what = d.text;
  else if (d.reason)
    what = d.reason;
  else if (d.label || d.input)
    what = `${d.label || d.input}${d.message ? ` — ${d.message}` : ''}`;
  else if (d.alarms)
    what = d.alarms;
  else if (d.layout)
    what = d.layout;
  return d.by ? `${what}（${d.by}）` : what;
}

// ---- previews ----------------------------------------------------------------

// One picture at a time per preview, the next asked for once the last has
// loaded and PREVIEW_INTERVAL_MS has passed: a slow link gets fewer, the
// recorder queues none.
function startPreview(name, img) {
  if (previewLoops.get(name))
    return;
  previewLoops.set(name, true);
  let url = null;
  const loop = async () => {
    const started = performance.now();
    if (auth.mode && !document.hidden) {
      try {
        const response = await fetch(`/api/v1/preview/${encodeURIComponent(name)}.jpg`, {
          credentials: 'same-origin', cache: 'no-store', headers: headers(false),
        });
        if (response.ok) {
          const blob = await response.blob();
          const next = URL.createObjectURL(blob);
          await new Promise((resolve) => {
            img.onload = resolve;
            img.onerror = resolve;
            img.src = next;
          });
          if (url)
            URL.revokeObjectURL(url);
          url = next;
          img.dataset.frames = String(Number(img.dataset.frames || 0) + 1);
        }
      } catch (e) {
        // The recorder restarts or the link is down: try again shortly.
      }
    }
    const wait = Math.max(0, PREVIEW_INTERVAL_MS - (performance.now() - started));
    setTimeout(loop, wait);
  };
  loop();
}

// ---- the controls ------------------------------------------------------------

function showError(error) {
  $('control-error').textContent = error
    ? `${error.status === 403 ? '无此权限 Not allowed' : '失败 Failed'}: ${error.message}` : '';
}

async function command(path, body) {
  try {
    const reply = await api('POST', path, body === undefined ? {} : body);
    showError(null);
    if (reply && reply.status)
      onStatus(reply.status);
    return reply;
  } catch (e) {
    if (e.status === 401)
      showLogin('登录已过期，请重新登录 The login has expired: log in again');
    else
      showError(e);
    return null;
  }
}

// Resolves true when the clerk confirms. @alarms, when given and not
// empty, must be acknowledged with the check box first.
function confirmDialog(title, text, alarms) {
  const dialog = $('confirm-dialog');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  const box = $('confirm-alarm-box');
  const check = $('confirm-alarms');
  const ok = $('confirm-ok');
  box.hidden = !alarms || alarms.length === 0;
  check.checked = false;
  $('confirm-alarm-list').replaceChildren(...(alarms || []).map((alarm) => {
    const li = document.createElement('li');
    li.textContent = `${ALARM_TEXT[alarm.alarm] || alarm.alarm}: ${alarm.label || alarm.input}`;
    return li;
  }));
  ok.disabled = !box.hidden;
  check.onchange = () => { ok.disabled = !check.checked; };
  return new Promise((resolve) => {
    dialog.onclose = () => resolve(dialog.returnValue === 'ok');
    dialog.returnValue = '';
    dialog.showModal();
  });
}

let canonicalFor = null;
let canonicalTimer = null;

async function checkCase() {
  const typed = $('start-case').value.trim();
  const output = $('case-canonical');
  if (typed === '') {
    output.textContent = '';
    output.dataset.valid = '';
    canonicalFor = null;
    return null;
  }
  try {
    const reply = await api('POST', '/api/v1/case-number', { case: typed });
    if ($('start-case').value.trim() !== typed)
      return null;              // typed on meanwhile
    output.textContent = `规范案号 Canonical: ${reply.canonical}`;
    output.dataset.valid = 'yes';
    canonicalFor = { typed, canonical: reply.canonical };
    return reply.canonical;
  } catch (e) {
    output.textContent = `案号有误 Not a case number: ${e.message}`;
    output.dataset.valid = 'no';
    canonicalFor = null;
    return null;
  }
}

$('start-case').addEventListener('input', () => {
  clearTimeout(canonicalTimer);
  canonicalTimer = setTimeout(checkCase, 250);
});

$('start-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const typed = $('start-case').value.trim();
  const canonical = canonicalFor && canonicalFor.typed === typed ? canonicalFor.canonical
                                                                   : await checkCase();
  if (!canonical)
    return;
  const alarms = (status && status.alarms) || [];
  const title = $('start-title').value.trim();
  const ok = await confirmDialog('开始录制 Start recording',
                                 `案号 Case: ${canonical}${title ? `　案由 Title: ${title}` : ''}`,
                                 alarms);
  if (!ok)
    return;
  const body = { case: typed };
  if (title)
    body.title = title;
  if (alarms.length > 0)
    body.alarms_confirmed = 'yes';
  const reply = await command('/api/v1/session/start', body);
  if (reply) {
    $('start-case').value = '';
    $('start-title').value = '';
    $('case-canonical').textContent = '';
  }
});

$('pause-button').addEventListener('click', () =>
  command('/api/v1/session/pause', { reason: $('pause-reason').value }));
$('resume-button').addEventListener('click', () => command('/api/v1/session/resume'));
$('stop-button').addEventListener('click', async () => {
  const session = status && status.session;
  const ok = await confirmDialog('结束录制 Stop recording',
                                 session ? `案号 Case: ${session.case}　已录 Elapsed: ${$('elapsed').textContent}` : '');
  if (ok)
    command('/api/v1/session/stop');
});

async function addMarker(text) {
  const reply = await command('/api/v1/session/markers', { text });
  if (reply)
    $('marker-text').value = '';
}
$('marker-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('marker-text').value.trim();
  if (text)
    addMarker(text);
});
$('layout-button').addEventListener('click', () =>
  command('/api/v1/layout', { layout: $('layout').value }));
$('cut-button').addEventListener('click', () => command('/api/v1/stream/cut', {}));
$('uncut-button').addEventListener('click', () => command('/api/v1/stream/resume', {}));

// ---- start ---------------------------------------------------------------------

(async () => {
  if (await whoami())
    startConsole();
  else
    showLogin();
})();
