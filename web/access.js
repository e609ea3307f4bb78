/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* access.js: the party's pages. Logs in with the access code, lists the
 * granted hearings, plays a hearing's copy with hls.js (its markers as a
 * chapter list to jump to), offers the downloads in mode copy only, and
 * polls the grant's state so that a revoked or expired grant stops the
 * player within seconds. The public request form is the same page at
 * /access/request. */
'use strict';

(function () {
  const POLL_MS = 3000;
  const API = '/access/api/';

  const $ = (id) => document.getElementById(id);
  const video = $('video');
  const pageName = document.querySelector('meta[name="courtrec-access-page"]').content;

  let me = null;            /* the last /access/api/me */
  let current = null;       /* { session, hls, started, watched, lastTime } */
  let pollTimer = null;

  /* An element with Chinese text and its English beside it. */
  function bilingual(tag, zh, en, className) {
    const element = document.createElement(tag);
    if (className)
      element.className = className;
    element.append(zh + ' ');
    const span = document.createElement('span');
    span.lang = 'en';
    span.textContent = '/ ' + en;
    element.append(span);
    return element;
  }

  function setBilingual(element, zh, en) {
    element.replaceChildren(...bilingual('span', zh, en).childNodes);
  }

  function showNotice(zh, en, kind) {
    const notice = $('notice');
    if (zh === null) {
      notice.hidden = true;
      return;
    }
    setBilingual(notice, zh, en);
    notice.dataset.kind = kind || 'info';
    notice.hidden = false;
  }

  function showView(view) {
    document.body.dataset.view = view;
    $('login').hidden = view !== 'login';
    $('grant').hidden = view !== 'grant';
    $('request').hidden = view !== 'request';
  }

  /* UTC ISO text shown in the court's local time. */
  function localTime(text) {
    if (!text)
      return '—';
    const date = new Date(text);
    return isNaN(date) ? text : date.toLocaleString('zh-CN', { hour12: false });
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined)
      return '—';
    const s = Math.round(seconds);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h > 0 ? h + ':' + String(m).padStart(2, '0') : String(m)) + ':' +
           String(r).padStart(2, '0');
  }

  /* keepalive: the end of a playback is sent even as the page closes. */
  async function post(path, body, keepalive) {
    return fetch(API + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      keepalive: keepalive === true,
    });
  }

  async function errorMessage(response) {
    try {
      const body = await response.json();
      return body.error && body.error.message ? body.error.message : 'HTTP ' + response.status;
    } catch (e) {
      return 'HTTP ' + response.status;
    }
  }

  /* --- playback events --------------------------------------------------- */

  function sendPlayback(session, event, seconds) {
    post('playback', { session, event, seconds: Math.max(0, Math.round(seconds * 10) / 10) }, true)
      .catch(() => {});
  }

  function endPlayback() {
    if (current !== null && current.started) {
      sendPlayback(current.session.id, 'end', current.watched);
      current.started = false;
      current.watched = 0;
    }
  }

  video.addEventListener('playing', () => {
    if (current !== null && !current.started) {
      current.started = true;
      current.lastTime = video.currentTime;
      sendPlayback(current.session.id, 'start', 0);
    }
  });
  video.addEventListener('timeupdate', () => {
    if (current === null)
      return;
    const delta = video.currentTime - current.lastTime;
    /* Seconds watched, not seconds skipped by a seek. */
    if (delta > 0 && delta < 2)
      current.watched += delta;
    current.lastTime = video.currentTime;
  });
  video.addEventListener('seeked', () => {
    if (current !== null)
      current.lastTime = video.currentTime;
  });
  video.addEventListener('pause', endPlayback);
  video.addEventListener('ended', endPlayback);
  window.addEventListener('pagehide', endPlayback);

  /* --- the player -------------------------------------------------------- */

  function stopPlayer() {
    endPlayback();
    if (current !== null && current.hls)
      current.hls.destroy();
    current = null;
    video.pause();
    video.removeAttribute('src');
    video.load();
    document.body.dataset.playing = '';
  }

  function sessionBase(session) {
    return '/access/s/' + encodeURIComponent(session.id) + '/';
  }

  async function loadChapters(session) {
    const list = $('chapters');
    list.replaceChildren();
    $('no-chapters').hidden = true;
    let chapters = [];
    try {
      const response = await fetch(sessionBase(session) + 'chapters.json', { cache: 'no-store' });
      if (response.ok)
        chapters = await response.json();
    } catch (e) {
      chapters = [];
    }
    if (!Array.isArray(chapters) || chapters.length === 0) {
      $('no-chapters').hidden = false;
      return;
    }
    for (const chapter of chapters) {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'chapter';
      button.dataset.offset = String(chapter.offset);
      const at = document.createElement('span');
      at.className = 'at';
      at.textContent = duration(chapter.offset);
      button.append(at, ' ', String(chapter.text || ''));
      button.addEventListener('click', () => {
        video.currentTime = Number(chapter.offset);
        video.play().catch(() => {});
      });
      item.append(button);
      list.append(item);
    }
  }

  function showDownloads(session) {
    const list = $('download-list');
    list.replaceChildren();
    /* Mode review: no link at all, not a hidden one. */
    if (me === null || me.mode !== 'copy') {
      $('downloads').hidden = true;
      return;
    }
    const files = [
      ['copy.mp4', '录像副本 (MP4)', 'Copy (MP4)'],
      ['copy.mp4.manifest.json', '签名清单', 'Signed manifest'],
      ['copy.mp4.manifest.sig', '签名', 'Signature'],
    ];
    for (const [name, zh, en] of files) {
      const item = document.createElement('li');
      const link = bilingual('a', zh, en, 'download');
      link.href = sessionBase(session) + name;
      link.setAttribute('download', '');
      link.dataset.file = name;
      item.append(link);
      list.append(item);
    }
    $('downloads').hidden = false;
  }

  function play(session) {
    stopPlayer();
    $('player').hidden = false;
    $('player-title').textContent = (session.title || session.case || '') + ' · ' +
                                    localTime(session.started);
    const url = sessionBase(session) + 'hls/index.m3u8';
    current = { session, hls: null, started: false, watched: 0, lastTime: 0 };
    document.body.dataset.playing = String(session.id);
    for (const item of document.querySelectorAll('#sessions > li')) {
      if (item.dataset.session === String(session.id))
        item.setAttribute('aria-current', 'true');
      else
        item.removeAttribute('aria-current');
    }
    if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls({ enableWorker: false });
      current.hls = hls;
      hls.on(window.Hls.Events.MANIFEST_PARSED, () => { video.play().catch(() => {}); });
      hls.on(window.Hls.Events.ERROR, (event, data) => {
        /* A 403 is the grant ending: ask at once rather than at the next poll. */
        if (data.response && data.response.code === 403)
          poll();
        else if (data.fatal && current !== null && current.hls === hls)
          showNotice('播放出错，请重试', 'Playback failed; try again', 'error');
      });
      hls.loadSource(url);
      hls.attachMedia(video);
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = url;
      video.play().catch(() => {});
    } else {
      showNotice('此浏览器无法播放，请更换浏览器', 'This browser cannot play the recording', 'error');
    }
    loadChapters(session);
    showDownloads(session);
  }

  /* --- the grant --------------------------------------------------------- */

  function fact(list, zh, en, value) {
    const row = document.createElement('div');
    const term = bilingual('dt', zh, en);
    const description = document.createElement('dd');
    description.textContent = value;
    row.append(term, description);
    list.append(row);
  }

  function renderSessions() {
    const list = $('sessions');
    list.replaceChildren();
    for (const session of me.sessions) {
      const item = document.createElement('li');
      item.className = 'session card';
      item.dataset.session = String(session.id);
      const facts = document.createElement('dl');
      facts.className = 'facts';
      fact(facts, '法院', 'Court', session.court || '—');
      fact(facts, '法庭', 'Courtroom', session.room || '—');
      fact(facts, '案号', 'Case', session.case || '—');
      fact(facts, '庭审', 'Hearing', session.title || '—');
      fact(facts, '开始', 'Started', localTime(session.started));
      fact(facts, '结束', 'Stopped', localTime(session.stopped));
      fact(facts, '录制时长', 'Recorded', duration(session.recorded_seconds));
      fact(facts, '休庭时长', 'Paused', duration(session.paused_seconds));
      item.append(facts);
      if (session.pauses && session.pauses.length > 0) {
        const pauses = document.createElement('ul');
        pauses.className = 'pauses';
        for (const pause of session.pauses) {
          const line = document.createElement('li');
          line.textContent = localTime(pause.start) + ' – ' + localTime(pause.end) +
                             ' (' + duration(pause.seconds) + ')' +
                             (pause.reason ? ' · ' + pause.reason : '');
          pauses.append(line);
        }
        item.append(bilingual('p', '休庭', 'Pauses', 'small'), pauses);
      }
      if (session.copy === 'ready') {
        const button = bilingual('button', '播放', 'Play', 'play');
        button.type = 'button';
        button.addEventListener('click', () => play(session));
        item.append(button);
      } else {
        item.append(bilingual('p', '副本制作中，请稍候…', 'The copy is being prepared…', 'small pending'));
      }
      list.append(item);
    }
  }

  function renderGrant() {
    $('grant-case').textContent = me.case;
    $('grant-requester').textContent = me.requester;
    setBilingual($('grant-mode'), me.mode === 'copy' ? '查阅并复制' : '仅在线查阅',
                 me.mode === 'copy' ? 'Review and download' : 'Review only');
    $('grant-expires').textContent = localTime(me.expires);
    document.body.dataset.mode = me.mode;
    document.body.dataset.grantState = me.state;
    renderSessions();
  }

  function ended(state) {
    stopPlayer();
    $('player').hidden = true;
    $('sessions').replaceChildren();
    document.body.dataset.grantState = state;
    if (state === 'revoked')
      showNotice('查阅授权已被撤销，播放已停止', 'Access has been revoked; playback stopped', 'error');
    else if (state === 'expired')
      showNotice('查阅授权已过期', 'Access has expired', 'error');
    else
      showNotice('登录已失效，请重新输入查阅码', 'Your login has ended; enter the code again', 'error');
    if (state === 'logged-out') {
      me = null;
      showView('login');
    }
  }

  async function poll() {
    clearTimeout(pollTimer);
    pollTimer = null;
    if (me === null)
      return;
    try {
      const response = await fetch(API + 'state', { cache: 'no-store' });
      if (response.status === 401) {
        ended('logged-out');
        return;
      }
      if (response.ok) {
        const state = await response.json();
        if (state.state === 'revoked' || state.state === 'expired') {
          ended(state.state);
          return;
        }
        /* Copies rendered meanwhile become playable. */
        if (state.state !== me.state)
          await loadMe();
      }
    } catch (e) {
      /* The network: try again at the next poll. */
    }
    if (me !== null)
      pollTimer = setTimeout(poll, POLL_MS);
  }

  async function loadMe() {
    const response = await fetch(API + 'me', { cache: 'no-store' });
    if (response.status === 401) {
      me = null;
      showView('login');
      return false;
    }
    if (!response.ok) {
      showNotice('无法连接服务器', 'Cannot reach the server', 'error');
      return false;
    }
    me = await response.json();
    showView('grant');
    if (me.state === 'revoked' || me.state === 'expired') {
      ended(me.state);
      return true;
    }
    showNotice(null);
    renderGrant();
    if (pollTimer === null)
      pollTimer = setTimeout(poll, POLL_MS);
    return true;
  }

  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = $('login-error');
    error.hidden = true;
    $('login-button').disabled = true;
    try {
      const response = await post('login', {
        code: $('login-code').value.trim(),
        id_last4: $('login-id').value.trim(),
      });
      if (response.ok) {
        $('login-code').value = '';
        $('login-id').value = '';
        await loadMe();
      } else if (response.status === 429) {
        const wait = response.headers.get('Retry-After') || '?';
        setBilingual(error, '尝试次数过多，请 ' + wait + ' 秒后再试',
                     'Too many attempts; try again in ' + wait + ' s');
        error.hidden = false;
      } else if (response.status === 401) {
        setBilingual(error, '查阅码或身份证件号码不正确，或授权已结束',
                     'Wrong code or identity number, or the access has ended');
        error.hidden = false;
      } else {
        setBilingual(error, '登录失败', await errorMessage(response));
        error.hidden = false;
      }
    } catch (e) {
      setBilingual(error, '无法连接服务器', 'Cannot reach the server');
      error.hidden = false;
    }
    $('login-button').disabled = false;
  });

  $('logout').addEventListener('click', async () => {
    stopPlayer();
    await post('logout', {}).catch(() => {});
    clearTimeout(pollTimer);
    pollTimer = null;
    me = null;
    showNotice(null);
    showView('login');
  });

  /* --- the request form -------------------------------------------------- */

  $('request-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = $('request-error');
    error.hidden = true;
    $('request-button').disabled = true;
    try {
      const response = await post('request', {
        name: $('request-name').value.trim(),
        role: $('request-role').value,
        identity: $('request-identity').value.trim(),
        case: $('request-case').value.trim(),
        sessions: $('request-sessions').value.trim(),
        purpose: $('request-purpose').value.trim(),
        contact: $('request-contact').value.trim(),
      });
      if (response.ok) {
        const body = await response.json();
        $('request-form').hidden = true;
        const done = $('request-done');
        setBilingual(done, '申请已收到，编号 ' + body.reference + '。法院审核后将通知您。',
                     'Request received, reference ' + body.reference +
                     '. The court will contact you after review.');
        done.dataset.reference = body.reference;
        done.hidden = false;
      } else {
        setBilingual(error, '提交失败', await errorMessage(response));
        error.hidden = false;
      }
    } catch (e) {
      setBilingual(error, '无法连接服务器', 'Cannot reach the server');
      error.hidden = false;
    }
    $('request-button').disabled = false;
  });

  if (pageName === 'request')
    showView('request');
  else
    loadMe().catch(() => showView('login'));
})();
