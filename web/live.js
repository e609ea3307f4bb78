/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* live.js: the public live page. Polls state.json, plays index.m3u8 (or
 * audio.m3u8 in audio-only mode) with hls.js, or natively where hls.js
 * cannot run (Safari on iOS), and refreshes the courtroom picture. Lists
 * the coming public trials of schedule.json and says when the next one
 * starts, in the court's time as the JSON gives it (never the viewer's
 * zone). Every text from the server goes in as textContent. */
'use strict';

(function () {
  const POLL_MS = 3000;
  const SNAPSHOT_MS = 10000;
  const STALL_MS = 15000;   /* no progress while playing: load again */
  const SCHEDULE_MS = 30000;

  const $ = (id) => document.getElementById(id);
  const video = $('video');
  const audio = $('audio');
  const audioOnly = $('audio-only');
  const startButton = $('start');
  const snapshot = $('snapshot');

  /* The page is served at /live/ROOM/ and at /live/: the room's files are
   * beside the first, under ROOM/ from the second. */
  const room = document.querySelector('meta[name="courtrec-room"]').content;
  const roomPath = encodeURIComponent(room) + '/';
  const base = location.pathname.endsWith('/' + roomPath) ? '' : roomPath;

  const NOTICES = {
    live: ['● 正在直播', 'Live now'],
    paused: ['庭审直播暂停', 'Broadcast paused'],
    off: ['暂无直播', 'No live hearing'],
    error: ['无法连接服务器，正在重试…', 'Cannot reach the server, retrying…'],
    unsupported: ['此浏览器无法播放直播，请更换浏览器', 'This browser cannot play the live stream'],
  };

  let state = null;          /* the last state.json */
  let schedule = null;       /* the last schedule.json */
  let current = null;        /* { media, url, hls } being played */
  let lastTime = 0;
  let lastProgressAt = 0;

  function showNotice(key) {
    const [zh, en] = NOTICES[key];
    const notice = $('notice');
    notice.textContent = zh + ' ';
    const span = document.createElement('span');
    span.lang = 'en';
    span.textContent = '/ ' + en;
    notice.appendChild(span);
    document.body.dataset.state = key;
  }

  function setText(id, value) {
    $(id).textContent = value || '—';
  }

  function stopPlayback() {
    if (current === null)
      return;
    if (current.hls)
      current.hls.destroy();
    current.media.pause();
    current.media.removeAttribute('src');
    current.media.load();
    current = null;
    startButton.hidden = true;
  }

  function startMedia(media) {
    const playing = media.play();
    /* Autoplay with sound may be refused until the user taps. */
    if (playing !== undefined)
      playing.then(() => { startButton.hidden = true; })
             .catch(() => { startButton.hidden = false; });
  }

  function play() {
    const wantAudio = audioOnly.checked;
    const media = wantAudio ? audio : video;
    const name = wantAudio ? state.audio : state.video;
    const url = base + name;

    $('audio-box').hidden = !wantAudio;
    video.parentElement.hidden = wantAudio;
    if (current !== null && current.media === media && current.url === url)
      return;
    stopPlayback();
    current = { media, url, hls: null };
    lastTime = 0;
    lastProgressAt = Date.now();

    if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls({ liveDurationInfinity: true });
      current.hls = hls;
      hls.on(window.Hls.Events.MANIFEST_PARSED, () => startMedia(media));
      hls.on(window.Hls.Events.ERROR, (event, data) => {
        /* Fatal (the playlist went away, the output was rebuilt): start
         * over at the next poll if the hearing is still on. */
        if (data.fatal && current !== null && current.hls === hls)
          stopPlayback();
      });
      hls.loadSource(url);
      hls.attachMedia(media);
    } else if (media.canPlayType('application/vnd.apple.mpegurl')) {
      media.src = url;
      startMedia(media);
    } else {
      current = null;
      showNotice('unsupported');
    }
  }

  /* Loads the stream again when it stopped moving on its own. */
  function watchProgress() {
    if (current === null)
      return;
    const media = current.media;
    const now = Date.now();
    if (media.currentTime > lastTime + 0.1) {
      lastTime = media.currentTime;
      lastProgressAt = now;
    } else if (now - lastProgressAt > STALL_MS && (!media.paused || media.ended)) {
      stopPlayback();
    }
  }

  function refreshSnapshot() {
    if (state !== null && state.snapshot)
      snapshot.src = base + state.snapshot + '?t=' + Date.now();
  }

  /* ---- the schedule ---------------------------------------------------- */

  const WEEKDAYS_ZH = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];
  const WEEKDAYS_EN = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct',
                     'Nov', 'Dec'];

  /* "2026-12-04T14:00:00+08:00" -> { date: "2026-12-04", time: "14:00" }:
   * the court's wall clock, read as text so that no browser zone enters. */
  function wallClock(local) {
    const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(local || '');
    return match ? { date: match[1], time: match[2] } : null;
  }

  /* The court's date @days after today, by the court's offset. */
  function courtDate(days) {
    const match = /^([+-])(\d{2}):(\d{2})$/.exec(schedule.utc_offset || '');
    const offset = match ? (match[1] === '-' ? -1 : 1) * (match[2] * 60 + Number(match[3])) : 0;
    const shifted = new Date(Date.now() + offset * 60000 + days * 86400000);
    return shifted.toISOString().slice(0, 10);
  }

  /* [zh, en] naming the day of @date: today, tomorrow, or the date. */
  function dayWords(date) {
    if (date === courtDate(0))
      return ['今天', 'today'];
    if (date === courtDate(1))
      return ['明天', 'tomorrow'];
    const [y, m, d] = date.split('-').map(Number);
    const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
    return [`${m}月${d}日 ${WEEKDAYS_ZH[weekday]}`,
            `${WEEKDAYS_EN[weekday]} ${d} ${MONTHS_EN[m - 1]}`];
  }

  function bilingual(element, zh, en) {
    element.textContent = zh + ' ';
    const span = document.createElement('span');
    span.lang = 'en';
    span.textContent = '/ ' + en;
    element.appendChild(span);
  }

  function hearingOf(caseNumber) {
    if (schedule === null)
      return null;
    if (schedule.current && schedule.current.case === caseNumber)
      return schedule.current;
    return schedule.hearings.find((hearing) => hearing.case === caseNumber) || null;
  }

  /* One line: what is live now, else when the next live trial starts. */
  function renderNextTrial() {
    const line = $('next-trial');
    const onAir = state !== null && (state.state === 'live' || state.state === 'paused') &&
      state.case_number;
    if (onAir) {
      const hearing = hearingOf(state.case_number);
      const title = hearing && hearing.title ? '，' + hearing.title : '';
      const titleEn = hearing && hearing.title ? ' — ' + hearing.title : '';
      if (state.state === 'paused')
        bilingual(line, `直播暂停中：案号 ${state.case_number}${title}`,
                  `Broadcast paused: case ${state.case_number}${titleEn}`);
      else
        bilingual(line, `正在直播：案号 ${state.case_number}${title}`,
                  `Live now: case ${state.case_number}${titleEn}`);
      line.hidden = false;
      return;
    }
    /* A room that reads no calendar knows nothing to announce. */
    if (schedule === null || (!schedule.published && schedule.hearings.length === 0)) {
      line.hidden = true;
      return;
    }
    /* A slot that has begun but is not on air yet comes first. */
    const next = schedule.current || schedule.next;
    const clock = next ? wallClock(next.starts_local) : null;
    if (clock === null) {
      bilingual(line, '近期没有直播安排', 'No live trial scheduled');
    } else {
      const [zh, en] = dayWords(clock.date);
      const title = next.title ? '，' + next.title : '';
      const titleEn = next.title ? ' — ' + next.title : '';
      if (next === schedule.current)
        bilingual(line, `直播即将开始（${zh} ${clock.time} 起），案号 ${next.case}${title}`,
                  `Live trial about to start (from ${clock.time} ${en}), case ${next.case}${titleEn}`);
      else
        bilingual(line, `下一场直播：${zh} ${clock.time}，案号 ${next.case}${title}`,
                  `Next live trial: ${clock.time} ${en}, case ${next.case}${titleEn}`);
    }
    line.hidden = false;
  }

  function cell(row, text) {
    const td = document.createElement('td');
    td.textContent = text || '—';
    row.appendChild(td);
  }

  function renderSchedule() {
    const list = $('schedule-list');
    const rows = [];
    for (const hearing of schedule.hearings) {
      const starts = wallClock(hearing.starts_local);
      const ends = wallClock(hearing.ends_local);
      if (starts === null)
        continue;
      const [zh, en] = dayWords(starts.date);
      const row = document.createElement('tr');
      row.dataset.case = hearing.case;
      if (schedule.current && schedule.current.case === hearing.case &&
          schedule.current.starts === hearing.starts)
        row.className = 'now';
      cell(row, `${starts.date} ${zh} / ${en}`);
      cell(row, ends !== null && ends.date === starts.date ? `${starts.time}–${ends.time}`
                                                            : starts.time);
      cell(row, hearing.case);
      cell(row, hearing.title);
      rows.push(row);
    }
    list.replaceChildren(...rows);
    $('schedule-empty').hidden = rows.length > 0;
    bilingual($('schedule-zone'), `时间均为法院当地时间（${schedule.timezone}）`,
              `Times are the court's local time (${schedule.timezone})`);
    $('schedule').hidden = !schedule.published && rows.length === 0;
  }

  async function pollSchedule() {
    try {
      /* The browser's cache and the ETag make most polls a 304. */
      const response = await fetch(base + 'schedule.json', { cache: 'no-cache' });
      if (!response.ok)
        throw new Error('HTTP ' + response.status);
      const answer = await response.json();
      if (!Array.isArray(answer.hearings))
        throw new Error('not a schedule');
      schedule = answer;
      renderSchedule();
    } catch (error) {
      /* The last schedule stays shown; the live notice says if the server
       * is gone. */
    }
    renderNextTrial();
    setTimeout(pollSchedule, SCHEDULE_MS);
  }

  /* ---- the hearing ------------------------------------------------------ */

  function render() {
    renderNextTrial();
    setText('court', state.court);
    setText('room-name', state.room_name);
    setText('case-number', state.case_number);

    if (state.state === 'off' || !state.video) {
      stopPlayback();
      $('player').hidden = true;
      $('pictures').hidden = true;
      snapshot.removeAttribute('src');
      showNotice('off');
      return;
    }
    showNotice(state.state === 'paused' ? 'paused' : 'live');
    $('player').hidden = false;
    if ($('pictures').hidden) {
      $('pictures').hidden = false;
      refreshSnapshot();
    }
    watchProgress();
    play();
  }

  async function poll() {
    try {
      const response = await fetch(base + 'state.json', { cache: 'no-store' });
      if (!response.ok)
        throw new Error('HTTP ' + response.status);
      state = await response.json();
      render();
    } catch (error) {
      showNotice('error');
    }
    setTimeout(poll, POLL_MS);
  }

  audioOnly.addEventListener('change', () => {
    if (state !== null && state.state !== 'off' && state.video)
      play();
  });
  startButton.addEventListener('click', () => {
    if (current !== null)
      startMedia(current.media);
  });
  snapshot.addEventListener('error', () => { snapshot.removeAttribute('src'); });

  setInterval(refreshSnapshot, SNAPSHOT_MS);
  poll();
  pollSchedule();
})();
