/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vod.js: the court's published trials. At /vod/ the catalogue (from
 * /vod/api/catalogue); at /vod/p/ID/ the player: the copy's HLS with
 * hls.js (natively where hls.js cannot run), its chapters, and a check of
 * the publication every few seconds, so that a withdrawn one stops and
 * says so. */
'use strict';

(function () {
  const CHECK_MS = 3000;
  const $ = (id) => document.getElementById(id);
  const match = location.pathname.match(/^\/vod\/p\/([1-9][0-9]{0,17})\/$/);

  const NOTICES = {
    empty: ['暂无公开的庭审录像', 'No recorded trial is published'],
    list: ['已公开的庭审录像', 'Published recorded trials'],
    playing: ['庭审录像', 'Recorded trial'],
    withdrawn: ['该录像已撤回或不再公开', 'This recording has been withdrawn or is no longer public'],
    error: ['无法连接服务器，正在重试…', 'Cannot reach the server, retrying…'],
    unsupported: ['此浏览器无法播放该录像，请更换浏览器', 'This browser cannot play the recording'],
  };

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

  function length(seconds) {
    const s = Math.round(seconds || 0);
    const two = (n) => String(n).padStart(2, '0');
    return Math.floor(s / 3600) + ':' + two(Math.floor(s / 60) % 60) + ':' + two(s % 60);
  }

  function cell(row, text) {
    const td = document.createElement('td');
    td.textContent = text || '—';
    row.appendChild(td);
    return td;
  }

  async function showCatalogue() {
    try {
      const response = await fetch('/vod/api/catalogue', { cache: 'no-store' });
      if (!response.ok)
        throw new Error('HTTP ' + response.status);
      const catalogue = await response.json();
      const body = $('entries');
      body.replaceChildren();
      for (const entry of catalogue.publications) {
        const row = document.createElement('tr');
        row.dataset.id = entry.id;
        cell(row, entry.date);
        cell(row, entry.court);
        const link = document.createElement('a');
        link.href = entry.page;
        link.textContent = entry.case;
        cell(row, '').replaceChildren(link);
        cell(row, entry.title);
        cell(row, length(entry.duration_seconds));
        body.appendChild(row);
      }
      $('catalogue').hidden = catalogue.publications.length === 0;
      showNotice(catalogue.publications.length === 0 ? 'empty' : 'list');
    } catch (error) {
      showNotice('error');
      setTimeout(showCatalogue, CHECK_MS);
    }
  }

  let hls = null;
  let withdrawn = false;
  const video = $('video');

  function stop() {
    if (hls !== null) {
      hls.destroy();
      hls = null;
    }
    video.pause();
    video.removeAttribute('src');
    video.load();
    $('start').hidden = true;
  }

  function startVideo() {
    const playing = video.play();
    if (playing !== undefined)
      playing.then(() => { $('start').hidden = true; })
             .catch(() => { $('start').hidden = false; });
  }

  function play(entry) {
    if (window.Hls && window.Hls.isSupported()) {
      hls = new window.Hls();
      hls.on(window.Hls.Events.MANIFEST_PARSED, startVideo);
      hls.loadSource(entry.playlist);
      hls.attachMedia(video);
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = entry.playlist;
      startVideo();
    } else {
      showNotice('unsupported');
    }
  }

  async function showChapters(entry) {
    try {
      const response = await fetch(entry.chapters, { cache: 'no-store' });
      if (!response.ok)
        return;
      const chapters = await response.json();
      const list = $('chapters');
      list.replaceChildren();
      for (const chapter of chapters) {
        const item = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = length(chapter.offset) + ' ' + chapter.text;
        button.addEventListener('click', () => {
          video.currentTime = chapter.offset;
          startVideo();
        });
        item.appendChild(button);
        list.appendChild(item);
      }
      $('chapters-box').hidden = chapters.length === 0;
    } catch (error) {
      /* The chapters are a help, not the recording. */
    }
  }

  function showWithdrawn() {
    withdrawn = true;
    stop();
    $('player').hidden = true;
    showNotice('withdrawn');
  }

  /* 404: withdrawn (or forbidden, or never published): stop at once. */
  async function check(first) {
    if (withdrawn)
      return;
    try {
      const response = await fetch('/vod/api/p/' + match[1], { cache: 'no-store' });
      if (response.status === 404) {
        showWithdrawn();
        return;
      }
      if (!response.ok)
        throw new Error('HTTP ' + response.status);
      const entry = await response.json();
      if (first) {
        $('court').textContent = entry.court || '—';
        $('case-number').textContent = entry.case || '—';
        $('title').textContent = entry.title || '—';
        $('date').textContent = entry.date || '—';
        document.title = (entry.case || '') + ' — 庭审录像 / Recorded trial';
        $('player').hidden = false;
        showNotice('playing');
        play(entry);
        showChapters(entry);
      }
    } catch (error) {
      if (first) {
        showNotice('error');
        setTimeout(() => check(true), CHECK_MS);
        return;
      }
    }
    setTimeout(() => check(false), CHECK_MS);
  }

  $('start').addEventListener('click', startVideo);
  if (match)
    check(true);
  else
    showCatalogue();
})();
