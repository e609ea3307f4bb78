// SPDX-License-Identifier: LGPL-2.1-or-later
// live-page.mjs: the public live page in headless chromium, as a member of
// the public would use it.
//
//   node tests/live-page.mjs URL                    plays it
//   node tests/live-page.mjs URL --expect=off|paused checks what it shows
//
// Playing: the <video> must advance by 3 s of media, the courtroom picture
// must load, the page must show the case number of state.json, and with
// "audio only" switched on the <audio> must advance by 2 s while the video
// stops. Every request must stay on the page's own server. Prints a JSON
// summary; exits 0 on success, 1 with a reason otherwise.
import { chromium } from 'playwright-core';

const url = process.argv[2];
const expectArg = process.argv.find((arg) => arg.startsWith('--expect='));
const expected = expectArg ? expectArg.slice('--expect='.length) : 'live';
const NOTICE = { off: '暂无直播', paused: '庭审直播暂停', live: '正在直播' };

if (!url || !(expected in NOTICE)) {
  console.error('usage: node tests/live-page.mjs URL [--expect=off|paused]');
  process.exit(2);
}

const summary = { ok: false, url, expected, errors: [], external: [], failed: [] };
let browser = null;
let page = null;

function finish(ok, reason) {
  summary.ok = ok;
  if (reason)
    summary.reason = reason;
  console.log(JSON.stringify(summary));
  process.exitCode = ok ? 0 : 1;
}

// Media time of #id once it plays (not paused, currentTime > 0).
async function playingAt(id, timeout) {
  const handle = await page.waitForFunction((id) => {
    const media = document.getElementById(id);
    return !media.paused && media.currentTime > 0 ? media.currentTime : false;
  }, id, { timeout, polling: 100 });
  return handle.jsonValue();
}

async function advances(id, from, seconds, timeout) {
  const handle = await page.waitForFunction(([id, target]) => {
    const time = document.getElementById(id).currentTime;
    return time >= target ? time : false;
  }, [id, from + seconds], { timeout, polling: 100 });
  return handle.jsonValue();
}

async function mediaState(id) {
  return page.evaluate((id) => {
    const media = document.getElementById(id);
    return {
      currentTime: media.currentTime, paused: media.paused, readyState: media.readyState,
      error: media.error ? media.error.message || media.error.code : null,
      videoWidth: media.videoWidth, videoHeight: media.videoHeight,
    };
  }, id);
}

async function checkPlaying() {
  const origin = new URL(url).origin;
  const state = await (await page.request.get(new URL('state.json', page.url()).href)).json();
  summary.state = state.state;

  const videoStart = await playingAt('video', 25000);
  const videoEnd = await advances('video', videoStart, 3, 15000);
  summary.video = { start: videoStart, end: videoEnd, ...(await mediaState('video')) };
  if (!(summary.video.videoWidth > 0))
    throw new Error('the video plays but has no picture size');

  await page.waitForFunction(() => {
    const img = document.getElementById('snapshot');
    return img.complete && img.naturalWidth > 0;
  }, null, { timeout: 15000, polling: 200 });
  summary.snapshot = await page.evaluate(() => {
    const img = document.getElementById('snapshot');
    return { src: img.src, width: img.naturalWidth, height: img.naturalHeight };
  });

  summary.shown = await page.evaluate(() => ({
    title: document.querySelector('h1').textContent,
    caseNumber: document.getElementById('case-number').textContent,
    court: document.getElementById('court').textContent,
    notice: document.getElementById('notice').textContent,
  }));
  if (summary.shown.caseNumber !== state.case_number)
    throw new Error(`the page shows case number '${summary.shown.caseNumber}', ` +
                    `state.json says '${state.case_number}'`);
  if (!summary.shown.title.includes('庭审直播') || !summary.shown.title.includes('Live trial'))
    throw new Error('the title is not "庭审直播 / Live trial"');

  await page.click('#audio-only');
  const audioStart = await playingAt('audio', 20000);
  const audioEnd = await advances('audio', audioStart, 2, 15000);
  summary.audio = { start: audioStart, end: audioEnd, ...(await mediaState('audio')) };
  const video = await mediaState('video');
  if (!video.paused)
    throw new Error('audio only is on but the video still plays');
  if (summary.external.length > 0)
    throw new Error('the page fetched from outside ' + origin);
}

async function checkShows(expected) {
  await page.waitForFunction((expected) => document.body.dataset.state === expected,
                             expected, { timeout: 10000, polling: 100 });
  summary.shown = await page.evaluate(() => ({
    notice: document.getElementById('notice').textContent,
    playerHidden: document.getElementById('player').hidden,
    caseNumber: document.getElementById('case-number').textContent,
  }));
  if (!summary.shown.notice.includes(NOTICE[expected]))
    throw new Error(`the notice reads '${summary.shown.notice}'`);
  if (expected === 'off' && !summary.shown.playerHidden)
    throw new Error('no live hearing, yet the player is shown');
}

const watchdog = setTimeout(() => {
  finish(false, 'timed out');
  process.exit(1);
}, 90000);

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--autoplay-policy=no-user-gesture-required', '--mute-audio',
           ...(process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [])],
  });
  summary.browser = browser.version();
  page = await browser.newPage();
  const origin = new URL(url).origin;
  page.on('pageerror', (error) => summary.errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error')
      summary.errors.push(message.text());
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !/^(data|blob):/.test(request.url()))
      summary.external.push(request.url());
  });
  page.on('response', (response) => {
    if (response.status() >= 400)
      summary.failed.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(url, { waitUntil: 'load', timeout: 15000 });
  summary.codecs = await page.evaluate(() => ({
    mse_h264_aac: window.MediaSource !== undefined &&
      MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E,mp4a.40.2"'),
    native_hls: document.createElement('video').canPlayType('application/vnd.apple.mpegurl'),
  }));
  if (expected === 'live')
    await checkPlaying();
  else
    await checkShows(expected);
  finish(true);
} catch (error) {
  if (page !== null) {
    try {
      summary.video = summary.video || await mediaState('video');
      summary.audio = summary.audio || await mediaState('audio');
      summary.pageState = await page.evaluate(() => document.body.dataset.state);
    } catch (ignored) {
      /* the page is gone: the reason below says why */
    }
  }
  finish(false, String(error && error.message ? error.message.split('\n')[0] : error));
} finally {
  clearTimeout(watchdog);
  if (browser !== null)
    await browser.close();
}
