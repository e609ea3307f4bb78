/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* live.js: the public live page. Polls state.json, plays index.m3u8 (or
 * audio.m3u8 in audio-only mode) with hls.js, or natively where hls.js
 * cannot run (Safari on iOS), and refreshes the courtroom picture. */
'use strict';

(function () {
  const POLL_MS = 3000;
  const SNAPSHOT_MS = 10000;
  const STALL_MS = 15000;   /* no progress while playing: load again */

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

  function render() {
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
})();
