// SPDX-License-Identifier: LGPL-2.1-or-later
// access-page.mjs: the party's pages (/access/) in headless chromium, as a
// litigant's lawyer uses them with the slip in hand.
//
//   node tests/access-page.mjs URL SCENARIO --code=CODE --id=LAST4
//        --sessions=ID,ID --artifacts=DIR [--foreign=ID] [--pending=ID]
//        [--revoke-url=URL --token=TOKEN --grant=ID]
//
// Scenarios:
//   review  logs in with the code as typed (lower case, spaces), sees
//           exactly --sessions listed (never --foreign), plays the first:
//           currentTime advances, a seek lands, a chapter click jumps to
//           the chapter (a --pending session, whose copy is still being
//           rendered, says so and has nothing to play); no download link
//           anywhere in the page; then the
//           grant is revoked through the control API (POST --revoke-url
//           with the approver's --token) and within 6 s the page says so
//           and the video has stopped and is gone; screenshots
//   copy    the same login and play, then the download links are there and
//           a click on the copy's downloads it (its size and SHA-256 in the
//           summary, for the caller to compare); then the request form as
//           below; screenshots
//   request the public form: filled in and sent, the reference shown
// Prints a JSON summary; exits 0 on success, 1 with a reason otherwise.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [url, scenario] = process.argv.slice(2);
const option = (name) => {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : null;
};
if (!url || !['review', 'copy', 'request'].includes(scenario)) {
  console.error('usage: node tests/access-page.mjs URL review|copy|request [options]');
  process.exit(2);
}

const summary = { ok: false, url, scenario, errors: [], external: [], steps: [] };
let browser = null;
let page = null;

function finish(ok, reason) {
  summary.ok = ok;
  if (reason)
    summary.reason = reason;
  console.log(JSON.stringify(summary));
  process.exitCode = ok ? 0 : 1;
}

function step(name, detail) {
  summary.steps.push(detail === undefined ? name : { [name]: detail });
}

async function waitFor(fn, arg, timeout = 10000) {
  const handle = await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  return handle.jsonValue();
}

const videoState = () => page.evaluate(() => {
  const v = document.getElementById('video');
  return { currentTime: v.currentTime, paused: v.paused, duration: v.duration,
           readyState: v.readyState, src: v.currentSrc || v.getAttribute('src') || '' };
});

async function screenshot(name) {
  const path = `${option('artifacts')}/access-${scenario}-${name}.png`;
  await page.screenshot({ path, fullPage: true });
  (summary.screenshots = summary.screenshots || []).push(path);
}

// The same page on a phone's width: nothing wider than the screen.
async function phoneScreenshot(name) {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await screenshot(`${name}-390`);
  await page.setViewportSize({ width: 1280, height: 900 });
  step('phone-overflow', overflow);
  if (overflow > 2)
    throw new Error(`the page is ${overflow} px wider than a phone's screen`);
}

async function logIn() {
  await page.goto(url);
  await page.locator('#login').waitFor({ state: 'visible', timeout: 10000 });
  await screenshot('login');
  // As a person types it off the slip: lower case, spaces for dashes.
  await page.fill('#login-code', option('code').toLowerCase().replaceAll('-', ' '));
  await page.fill('#login-id', option('id').toLowerCase());
  await page.click('#login-button');
  await page.locator('#grant').waitFor({ state: 'visible', timeout: 10000 });
  const listed = await page.$$eval('#sessions > li', (items) => items.map((i) => i.dataset.session));
  const expected = option('sessions').split(',');
  step('sessions', listed);
  if (listed.join(',') !== expected.join(','))
    throw new Error(`sessions listed ${listed.join(',')}, expected ${expected.join(',')}`);
  if (option('foreign') && listed.includes(option('foreign')))
    throw new Error('another case\'s session is listed');
  // A session whose copy is still being rendered: said so, nothing to play.
  if (option('pending')) {
    const item = page.locator(`#sessions > li[data-session="${option('pending')}"]`);
    const text = await item.innerText();
    const buttons = await item.locator('button.play').count();
    step('pending', { text: text.slice(-40), buttons });
    if (buttons !== 0 || !text.includes('副本制作中'))
      throw new Error(`a copy being rendered shows: ${text}`);
  }
  const facts = await page.locator('#sessions > li').first().innerText();
  for (const text of ['法院', 'Court', '案号', '开始', 'Started'])
    if (!facts.includes(text))
      throw new Error(`the session's facts lack "${text}": ${facts}`);
  step('facts', facts.replace(/\s+/g, ' ').slice(0, 200));
}

async function playFirst() {
  await page.locator('#sessions > li').first().locator('button.play').click();
  await page.locator('#player').waitFor({ state: 'visible', timeout: 5000 });
  const first = await waitFor(() => {
    const v = document.getElementById('video');
    return !v.paused && v.currentTime > 0.3 ? v.currentTime : false;
  }, null, 15000);
  await page.waitForTimeout(1000);
  const later = (await videoState()).currentTime;
  step('advancing', { first, later });
  if (!(later > first + 0.4))
    throw new Error(`currentTime did not advance: ${first} then ${later}`);

  // A seek, as the scrubber does it.
  const duration = (await videoState()).duration;
  const target = Math.max(0.5, Math.min(duration - 1.5, 1.2));
  await page.evaluate((t) => { document.getElementById('video').currentTime = t; }, target);
  const landed = await waitFor((t) => {
    const v = document.getElementById('video');
    return !v.seeking && Math.abs(v.currentTime - t) < 0.6 ? v.currentTime : false;
  }, target, 8000);
  step('seeked', { target, landed, duration });

  // The markers, as chapters: a click jumps there.
  await page.locator('#chapters button.chapter').first().waitFor({ timeout: 5000 });
  const chapters = await page.$$eval('#chapters button.chapter',
                                     (b) => b.map((x) => ({ offset: Number(x.dataset.offset),
                                                            text: x.textContent })));
  step('chapters', chapters);
  const last = chapters.length - 1;
  if (chapters.length < 1 || !chapters[last].text.includes('证人出庭'))
    throw new Error(`chapters: ${JSON.stringify(chapters)}`);
  await page.evaluate(() => { document.getElementById('video').currentTime = 0; });
  await page.locator('#chapters button.chapter').nth(last).click();
  const jumped = await waitFor((t) => {
    const v = document.getElementById('video');
    return !v.seeking && v.currentTime >= t - 0.3 && v.currentTime < t + 1.5 ? v.currentTime : false;
  }, chapters[last].offset, 8000);
  step('chapter-click', { offset: chapters[last].offset, jumped });
  await screenshot('playing');
  await phoneScreenshot('playing');
}

async function noDownloads() {
  const links = await page.$$eval('a', (as) => as.map((a) => a.getAttribute('href') || '')
                                                 .filter((h) => /copy\.mp4|manifest/.test(h)));
  const downloadAttr = await page.$$eval('a[download]', (as) => as.length);
  step('review-links', { links, downloadAttr });
  if (links.length > 0 || downloadAttr > 0)
    throw new Error(`review mode offers downloads: ${links.join(', ')}`);
}

async function revokeAndWatch() {
  // All of the copy buffered, so that only the page's polling of the
  // grant's state can stop it, not a segment refused on the way.
  await page.evaluate(() => document.getElementById('video').play());
  const buffered = await waitFor(() => {
    const v = document.getElementById('video');
    const n = v.buffered.length;
    return n > 0 && v.buffered.end(n - 1) >= v.duration - 0.2 ? v.buffered.end(n - 1) : false;
  }, null, 10000);
  step('buffered', buffered);
  const response = await fetch(option('revoke-url'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${option('token')}` },
    body: JSON.stringify({ grant: option('grant'), reason: '申请人撤回 / withdrawn' }),
  });
  if (response.status !== 200)
    throw new Error(`revoke: HTTP ${response.status} ${await response.text()}`);
  const revokedAt = Date.now();
  await waitFor(() => document.body.dataset.grantState === 'revoked', null, 6000);
  const stopped = await waitFor(() => {
    const v = document.getElementById('video');
    // Nothing loaded any more: no picture to play on from a buffer.
    return v.paused && v.readyState === 0 ? true : false;
  }, null, 2000);
  const seconds = (Date.now() - revokedAt) / 1000;
  const notice = await page.locator('#notice').innerText();
  // Stays stopped: nothing plays on from a buffer.
  await page.waitForTimeout(1000);
  const after = await videoState();
  step('revoked', { seconds, notice, stopped, after });
  if (!notice.includes('撤销') || !notice.includes('revoked'))
    throw new Error(`the notice says: ${notice}`);
  if (!after.paused || after.readyState !== 0 || after.currentTime !== 0)
    throw new Error(`the video plays on after the revocation: ${JSON.stringify(after)}`);
  if ((await page.locator('#sessions > li').count()) !== 0)
    throw new Error('the sessions are still listed after the revocation');
  summary.revoked_seconds = seconds;
  await screenshot('revoked');
}

async function download() {
  // Paused first: the end of the playback is in the chain.
  await page.evaluate(() => document.getElementById('video').pause());
  const link = page.locator('#download-list a[data-file="copy.mp4"]');
  await link.waitFor({ state: 'visible', timeout: 5000 });
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }),
                                    link.click()]);
  const path = `${option('artifacts')}/access-download.mp4`;
  await file.saveAs(path);
  const bytes = readFileSync(path);
  summary.download = { path, name: file.suggestedFilename(), bytes: statSync(path).size,
                       sha256: createHash('sha256').update(bytes).digest('hex') };
  step('downloaded', summary.download);
  await screenshot('downloads');
}

async function review() {
  await logIn();
  await playFirst();
  await noDownloads();
  await revokeAndWatch();
}

async function copy() {
  await logIn();
  await playFirst();
  await download();
  // The public form, in the same browser (one launch fewer).
  await request(new URL('request', url).href);
}

async function request(formUrl) {
  await page.goto(typeof formUrl === 'string' ? formUrl : url);
  await page.locator('#request').waitFor({ state: 'visible', timeout: 10000 });
  await page.fill('#request-name', '钱七');
  await page.selectOption('#request-role', 'agent');
  await page.fill('#request-identity', '330102198501013333');
  await page.fill('#request-case', option('case') || '（2026）浙1022民初88号');
  await page.fill('#request-purpose', '代理上诉 / appeal');
  await page.fill('#request-contact', '13900000000');
  await screenshot('form');
  await page.click('#request-button');
  await page.locator('#request-done').waitFor({ state: 'visible', timeout: 10000 });
  summary.reference = await page.locator('#request-done').getAttribute('data-reference');
  step('received', await page.locator('#request-done').innerText());
  await screenshot('received');
}

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--autoplay-policy=no-user-gesture-required', '--mute-audio', '--no-sandbox'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 },
                                             locale: 'zh-CN', acceptDownloads: true });
  page = await context.newPage();
  const origin = new URL(url).origin;
  page.on('pageerror', (e) => summary.errors.push(String(e)));
  // A refused request (the 401 before the login, the 403 after the
  // revocation) is the browser's "Failed to load resource" line.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      summary.errors.push(m.text());
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'))
      summary.external.push(u);
  });
  await ({ review, copy, request })[scenario]();
  if (summary.external.length > 0)
    finish(false, `requests left the appliance: ${summary.external.join(', ')}`);
  else if (summary.errors.length > 0)
    finish(false, `the page reported errors: ${summary.errors.join('; ')}`);
  else
    finish(true);
} catch (e) {
  if (page)
    summary.video = await videoState().catch(() => null);
  finish(false, String(e && e.stack ? e.stack : e));
} finally {
  if (browser)
    await browser.close();
}
