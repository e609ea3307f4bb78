// SPDX-License-Identifier: LGPL-2.1-or-later
// vod-page.mjs: the court's published trials in headless chromium, as a
// member of the public would use them.
//
//   node tests/vod-page.mjs ORIGIN CASE [--ready=FILE]
//
// Opens ORIGIN/vod/, finds the catalogue's row of CASE and follows its
// link; on the player page the <video> must play through hls.js and its
// time advance by 1.5 s, and a seek must land. With --ready, then writes
// FILE and waits (30 s at most) for the page to say the recording was
// withdrawn, its player stopped. Every request must stay on ORIGIN.
// Prints a JSON summary; exits 0 on success, 1 with a reason otherwise.
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const origin = process.argv[2];
const caseNumber = process.argv[3];
const readyArg = process.argv.find((arg) => arg.startsWith('--ready='));
const readyFile = readyArg ? readyArg.slice('--ready='.length) : null;

if (!origin || !caseNumber) {
  console.error('usage: node tests/vod-page.mjs ORIGIN CASE [--ready=FILE]');
  process.exit(2);
}

const summary = { ok: false, origin, caseNumber, errors: [], external: [], failed: [] };
let browser = null;
let page = null;

function finish(ok, reason) {
  summary.ok = ok;
  if (reason)
    summary.reason = reason;
  console.log(JSON.stringify(summary));
  process.exitCode = ok ? 0 : 1;
}

async function videoState() {
  return page.evaluate(() => {
    const media = document.getElementById('video');
    return {
      currentTime: media.currentTime, paused: media.paused, readyState: media.readyState,
      duration: media.duration, videoWidth: media.videoWidth,
      src: media.currentSrc || media.src || null,
      error: media.error ? media.error.message || media.error.code : null,
    };
  });
}

async function play() {
  await page.goto(origin + '/vod/', { waitUntil: 'load', timeout: 15000 });
  await page.waitForFunction(() => document.body.dataset.state === 'list', null,
                             { timeout: 10000, polling: 100 });
  summary.catalogue = await page.evaluate(() =>
    [...document.querySelectorAll('#entries tr')].map((row) =>
      [...row.querySelectorAll('td')].map((td) => td.textContent)));
  if (await page.locator('#entries i').count() !== 0)
    throw new Error('a title was taken as markup in the catalogue');
  const link = page.locator('#entries a', { hasText: caseNumber });
  if (await link.count() !== 1)
    throw new Error(`the catalogue has no single row of ${caseNumber}`);
  await Promise.all([page.waitForURL(/\/vod\/p\/\d+\/$/, { timeout: 10000 }), link.click()]);
  summary.page = page.url();

  summary.hlsjs = await page.evaluate(() => !!(window.Hls && window.Hls.isSupported()));
  if (!summary.hlsjs)
    throw new Error('hls.js is not supported in this browser');
  const start = await (await page.waitForFunction(() => {
    const media = document.getElementById('video');
    return !media.paused && media.currentTime > 0 ? media.currentTime : false;
  }, null, { timeout: 20000, polling: 100 })).jsonValue();
  const end = await (await page.waitForFunction((target) => {
    const time = document.getElementById('video').currentTime;
    return time >= target ? time : false;
  }, start + 1.5, { timeout: 15000, polling: 100 })).jsonValue();
  summary.video = { start, end, ...(await videoState()) };
  if (!(summary.video.videoWidth > 0))
    throw new Error('the video plays but has no picture');
  if (!String(summary.video.src).startsWith('blob:'))
    throw new Error('the video is not fed by hls.js (MSE)');

  // Seek back near the start (the time was past 1.5 s): the picture must
  // play on from there.
  await page.evaluate(() => { document.getElementById('video').currentTime = 0.2; });
  summary.seek = await (await page.waitForFunction(() => {
    const media = document.getElementById('video');
    return !media.seeking && media.currentTime >= 0.4 && media.currentTime < 1.3
      ? media.currentTime : false;
  }, null, { timeout: 10000, polling: 50 })).jsonValue();

  summary.shown = await page.evaluate(() => ({
    caseNumber: document.getElementById('case-number').textContent,
    court: document.getElementById('court').textContent,
    title: document.getElementById('title').textContent,
    notice: document.getElementById('notice').textContent,
  }));
  if (await page.locator('#title i').count() !== 0 || !summary.shown.title.includes('<i>'))
    throw new Error(`the player shows the title as '${summary.shown.title}'`);
  if (summary.shown.caseNumber !== caseNumber)
    throw new Error(`the player shows case '${summary.shown.caseNumber}'`);
}

async function withdrawn() {
  writeFileSync(readyFile, summary.page + '\n');
  await page.waitForFunction(() => document.body.dataset.state === 'withdrawn', null,
                             { timeout: 30000, polling: 200 });
  summary.after = {
    notice: await page.evaluate(() => document.getElementById('notice').textContent),
    playerHidden: await page.evaluate(() => document.getElementById('player').hidden),
    ...(await videoState()),
  };
  if (!summary.after.notice.includes('已撤回') || !summary.after.notice.includes('withdrawn'))
    throw new Error(`after the withdrawal the notice reads '${summary.after.notice}'`);
  if (!summary.after.playerHidden || !summary.after.paused)
    throw new Error('after the withdrawal the player still shows or plays');
  // Loaded afresh, the page says the same.
  const response = await page.goto(summary.page, { waitUntil: 'load', timeout: 15000 });
  summary.reloadStatus = response.status();
  await page.waitForFunction(() => document.body.dataset.state === 'withdrawn', null,
                             { timeout: 10000, polling: 100 });
}

const watchdog = setTimeout(() => {
  finish(false, 'timed out');
  process.exit(1);
}, 80000);

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--autoplay-policy=no-user-gesture-required', '--mute-audio',
           ...(process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [])],
  });
  summary.browser = browser.version();
  page = await browser.newPage();
  page.on('pageerror', (error) => summary.errors.push(String(error)));
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !/^(data|blob):/.test(request.url()))
      summary.external.push(request.url());
  });
  page.on('response', (response) => {
    if (response.status() >= 400)
      summary.failed.push(`${response.status()} ${response.url()}`);
  });
  await play();
  if (readyFile)
    await withdrawn();
  if (summary.external.length > 0)
    throw new Error('the page fetched from outside ' + origin);
  if (summary.errors.length > 0)
    throw new Error('the page had errors: ' + summary.errors[0]);
  finish(true);
} catch (error) {
  if (page !== null) {
    try {
      summary.video = summary.video || await videoState();
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
