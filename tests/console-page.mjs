// SPDX-License-Identifier: LGPL-2.1-or-later
// console-page.mjs: the operator console in headless chromium, as a clerk
// and a viewer use it.
//
//   node tests/console-page.mjs URL SCENARIO [options]
//     --user=NAME --password=PASSWORD   log in with an account, or
//     --token=TOKEN                     with the room's token
//     --artifacts=DIR                   where screenshots go
//     --case=TEXT                       the case number to type (clerk, alarm)
//     --kill-pid=PID --camera=NAME      (alarm) the camera's server to kill
//     --local=HH:MM --next=TEXT         (schedule) the slot's start in the court's
//                                       time, and what "next" must show
//     --archive=NAME --state=STATE      (archive) the archive's line and the state
//                                       it must reach: waiting, failing, uploaded
//
// Scenarios:
//   clerk   two successive previews differ, the meters move at 10 frames a
//           second, a hearing is started with the case number as typed
//           (its canonical form shown before confirming), the light and
//           the elapsed time advance, a bookmark, pause with a reason,
//           resume, the stream cut and resumed, the layout switched, stop
//           with confirmation;
//           screenshots at 1366x768, 1024x768 and 768x1024
//   viewer  no controls, and the API refuses a forged start (403)
//   alarm   a camera killed: the banner within 3 s, a beep, acknowledged;
//           then a start over the standing alarm, confirmed
//   schedule a scheduled slot unrecorded past its grace: the banner names
//           the case, now and next are shown; a start clears the banner
//   archive the court archive's line reaches --state; its text is printed
//           (the caller compares it with status) and shown in a screenshot
//   approver the access panel: the oldest pending request granted (mode
//           copy, 5 days), its code shown once, then the grant revoked
//           with a reason; a refusal without a reason is not sent
// Prints a JSON summary; exits 0 on success, 1 with a reason otherwise.
import { chromium } from 'playwright-core';

const [url, scenario] = process.argv.slice(2);
const option = (name) => {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : null;
};
if (!url || !['clerk', 'viewer', 'alarm', 'approver', 'schedule', 'archive'].includes(scenario)) {
  console.error('usage: node tests/console-page.mjs URL clerk|viewer|alarm|approver|schedule|archive [options]');
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

const text = (selector) => page.locator(selector).innerText();

// 20 s: a wait that passes returns at once; two consoles, two daemons and a
// sanitized build on two cores (CI's lanes) once took more than 10 s to show
// a layout switched.
async function waitFor(fn, arg, timeout = 20000) {
  const handle = await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  return handle.jsonValue();
}

async function logIn() {
  await page.goto(url);
  await page.locator('#login').waitFor({ state: 'visible', timeout: 10000 });
  if (option('token')) {
    await page.locator('.token-login summary').click();
    await page.fill('#login-token', option('token'));
    await page.click('#token-button');
  } else {
    await page.fill('#login-user', option('user'));
    await page.fill('#login-password', option('password'));
    await page.click('#login-button');
  }
  await page.locator('#console').waitFor({ state: 'visible', timeout: 10000 });
  await waitFor(() => document.getElementById('link').dataset.link === 'up', null, 10000);
  summary.role = await text('#who-role');
  step('logged-in', summary.role);
}

// SHA-256 of the pixels the <img> shows now, and how many it has shown.
async function pictureHash(id) {
  return page.evaluate(async (id) => {
    const img = document.getElementById(id);
    // The decoded pixels, not the file: the picture must differ.
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d');
    context.drawImage(img, 0, 0);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const digest = await crypto.subtle.digest('SHA-256', pixels);
    return {
      frames: Number(img.dataset.frames || 0), width: img.naturalWidth,
      height: img.naturalHeight,
      sha256: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join(''),
    };
  }, id);
}

async function checkPreview(id) {
  await waitFor((id) => Number(document.getElementById(id).dataset.frames || 0) >= 1
                        && document.getElementById(id).naturalWidth > 0, id, 15000);
  const first = await pictureHash(id);
  const started = Date.now();
  // The page asks twice a second and the recorder makes two pictures a
  // second: out of phase, one picture may be fetched twice. The next
  // picture made must differ, within 3 s (a frozen one never does).
  let second = first;
  while (second.sha256 === first.sha256 && Date.now() - started < 3000) {
    await waitFor(([id, n]) => Number(document.getElementById(id).dataset.frames || 0) > n,
                  [id, second.frames], 5000);
    second = await pictureHash(id);
  }
  const gap = Date.now() - started;
  step('preview', { id, first, second, ms: gap });
  if (first.sha256 === second.sha256)
    throw new Error(`two successive pictures of #${id} are the same`);
  if (first.width !== 320)
    throw new Error(`#${id} is ${first.width} px wide, not 320`);
  return gap;
}

// Level frames in 2 s, and what each meter showed.
async function checkMeters() {
  const start = Number(await page.evaluate(() => document.body.dataset.levels || 0));
  const seen = {};
  const t0 = Date.now();
  while (Date.now() - t0 < 2000) {
    const meters = await page.evaluate(() => [...document.querySelectorAll('.meter')].map((m) => ({
      name: m.dataset.name, peak: m.dataset.peak,
      fill: parseFloat(m.querySelector('.meter-fill').style.width || '0'),
      silent: m.classList.contains('silent'),
    })));
    for (const m of meters) {
      seen[m.name] = seen[m.name] || { peaks: new Set(), fills: new Set(), silent: new Set() };
      seen[m.name].peaks.add(m.peak);
      seen[m.name].fills.add(m.fill);
      seen[m.name].silent.add(m.silent);
    }
    await page.waitForTimeout(50);
  }
  const frames = Number(await page.evaluate(() => document.body.dataset.levels || 0)) - start;
  const shown = Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, {
    peaks: v.peaks.size, fills: [...v.fills].slice(0, 8), silent: [...v.silent],
  }]));
  step('meters', { frames_in_2s: frames, shown });
  if (frames < 18)
    throw new Error(`${frames} level frames in 2 s, fewer than 10 a second`);
  return seen;
}

async function screenshots(dir) {
  const sizes = [[1366, 768], [1024, 768], [768, 1024]];
  summary.screenshots = [];
  for (const [width, height] of sizes) {
    await page.setViewportSize({ width, height });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(400);
    const path = `${dir}/console-${width}x${height}.png`;
    await page.screenshot({ path });
    summary.screenshots.push(path);
  }
  await page.setViewportSize({ width: 1366, height: 768 });
}

async function confirm(expectAlarms) {
  const dialog = page.locator('#confirm-dialog');
  await dialog.waitFor({ state: 'visible', timeout: 5000 });
  const box = await page.locator('#confirm-alarm-box').isVisible();
  if (expectAlarms !== undefined && box !== expectAlarms)
    throw new Error(`the confirmation ${box ? 'lists' : 'does not list'} alarms`);
  if (box) {
    if (!(await page.locator('#confirm-ok').isDisabled()))
      throw new Error('confirm is possible before the alarms are acknowledged');
    await page.check('#confirm-alarms');
  }
  const shown = await text('#confirm-text');
  await page.click('#confirm-ok');
  await dialog.waitFor({ state: 'hidden', timeout: 5000 });
  return shown;
}

async function lightIs(state, timeout = 10000) {
  await waitFor((s) => document.getElementById('light').dataset.state === s, state, timeout);
}

async function eventShown(kind, contains, timeout = 10000) {
  return waitFor(([k, c]) => {
    for (const li of document.querySelectorAll('#events li'))
      if (li.dataset.kind === k && (!c || li.textContent.includes(c)))
        return li.textContent;
    return false;
  }, [kind, contains], timeout);
}

async function startHearing(typed, expectAlarms) {
  await page.fill('#start-case', typed);
  const canonical = await waitFor(() => {
    const out = document.getElementById('case-canonical');
    return out.dataset.valid === 'yes' ? out.textContent : false;
  }, null, 5000);
  await page.click('#start-button');
  const confirmed = await confirm(expectAlarms);
  await lightIs('recording');
  const shownCase = await text('#case');
  step('started', { typed, canonical, confirmed, case: shownCase });
  if (!canonical.includes(shownCase) || !confirmed.includes(shownCase))
    throw new Error(`the canonical form shown (${canonical}) is not the case recorded (${shownCase})`);
  summary.case = shownCase;
  summary.session = Number(await text('#session'));
  return shownCase;
}

async function clerk() {
  await logIn();
  await checkPreview('preview-composed');
  const cameras = await page.evaluate(() => [...document.querySelectorAll('.camera img')].map((i) => i.id));
  for (const id of cameras)
    await checkPreview(id);
  const seen = await checkMeters();
  summary.meters = Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, v.peaks.size]));

  await startHearing(option('case') || '(2026)浙1022刑初123号');
  const light = await text('#light-state');
  if (!light.includes('录音中') || !light.includes('REC'))
    throw new Error(`the light says "${light}"`);
  const e1 = await text('#elapsed');
  await page.waitForTimeout(2200);
  const e2 = await text('#elapsed');
  step('elapsed', [e1, e2]);
  if (!(e2 > e1))
    throw new Error(`the elapsed time did not advance: ${e1} then ${e2}`);
  await eventShown('start');

  if (option('artifacts'))
    await screenshots(option('artifacts'));

  const bookmark = page.locator('#bookmarks .bookmark').first();
  const mark = await bookmark.innerText();
  await bookmark.click();
  step('bookmark', await eventShown('marker', mark));
  summary.bookmark = mark;

  await page.selectOption('#pause-reason', 'recess');
  await page.click('#pause-button');
  await lightIs('paused');
  step('paused', await text('#light-state'));
  await eventShown('pause', 'recess');

  await page.click('#resume-button');
  await lightIs('recording');
  await eventShown('resume');

  // The built-in HLS of a case approved for broadcast: cut, then resumed.
  await waitFor(() => [...document.querySelectorAll('#streams li')]
    .some((li) => li.dataset.state === 'live'), null, 15000);
  await page.click('#cut-button');
  await eventShown('stream-cut');
  await waitFor(() => document.getElementById('streams').textContent.includes('已切断'));
  await page.click('#uncut-button');
  step('streams', await eventShown('stream-resume'));

  await page.selectOption('#layout', 'single');
  await page.click('#layout-button');
  await waitFor(() => document.getElementById('layout-shown').textContent === 'single');
  step('layout', await eventShown('layout'));

  await page.click('#stop-button');
  await confirm(false);
  await lightIs('standby');
  step('stopped', await eventShown('stop'));
}

async function approver() {
  await logIn();
  await page.locator('#access-panel').waitFor({ state: 'visible', timeout: 10000 });
  const row = page.locator('#access-requests tr[data-state="pending"]').last();
  await row.waitFor({ state: 'visible', timeout: 10000 });
  const id = await row.getAttribute('data-request');
  step('pending', id);
  // A refusal without a reason stays in the page.
  await row.locator('button', { hasText: '不予准许' }).click();
  const said = await text('#access-error');
  if (!said.includes('reason'))
    throw new Error(`a refusal without a reason said "${said}"`);
  await row.locator('select.access-mode').selectOption('copy');
  await row.locator('input.access-days').fill('5');
  await row.locator('button', { hasText: '准许' }).first().click();
  await page.locator('#access-granted').waitFor({ state: 'visible', timeout: 10000 });
  summary.code = (await text('#access-code')).trim();
  summary.grant = (await text('#access-granted-id')).trim();
  step('granted', summary.grant);
  if (!/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4,5}){5}$/.test(summary.code))
    throw new Error(`the code shown is "${summary.code}"`);
  summary.slip = await page.locator('#access-slip').getAttribute('download');
  await page.click('#access-granted-close');
  if ((await text('#access-code')) !== '')
    throw new Error('the code stays on the page once handed over');
  const granted = page.locator(`#access-requests tr[data-request="${id}"]`);
  await waitFor((id) => {
    const tr = document.querySelector(`#access-requests tr[data-request="${id}"]`);
    return tr && tr.dataset.state === 'granted';
  }, id);
  await granted.locator('input.access-reason').fill('申请人撤回 withdrawn');
  await granted.locator('button', { hasText: '撤销' }).click();
  await waitFor((id) => {
    const tr = document.querySelector(`#access-requests tr[data-request="${id}"]`);
    return tr && tr.innerText.includes('revoked');
  }, id);
  step('revoked', id);
  summary.request = Number(id);
  await page.screenshot({ path: `${option('artifacts') || '.'}/console-access.png`,
                          fullPage: true });
}

async function viewer() {
  await logIn();
  const controls = await page.locator('#controls').isVisible();
  const startVisible = await page.locator('#start-button').isVisible();
  const accessPanel = await page.locator('#access-panel').isVisible();
  step('controls', { controls, start: startVisible, access: accessPanel });
  if (controls || startVisible)
    throw new Error('a viewer is shown the controls');
  if (accessPanel)
    throw new Error('a viewer is shown the access requests');
  await checkPreview('preview-composed');
  // The controls forged: the page's own CSRF token, the viewer's cookie.
  summary.forged = await page.evaluate(async () => {
    const me = await (await fetch('/api/v1/whoami')).json();
    const tries = {};
    for (const [path, body] of [['/api/v1/session/start', { case: '（2026）浙1022刑初9号' }],
                                ['/api/v1/session/markers', { text: 'forged' }],
                                ['/api/v1/session/stop', {}]]) {
      const r = await fetch(path, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf },
        body: JSON.stringify(body),
      });
      tries[path] = r.status;
    }
    return tries;
  });
  step('forged', summary.forged);
  for (const [path, code] of Object.entries(summary.forged))
    if (code !== 403)
      throw new Error(`a viewer's POST ${path} was answered ${code}, not 403`);
}

async function alarm() {
  await logIn();
  const camera = option('camera');
  await waitFor((name) => {
    const f = document.querySelector(`.camera[data-name="${name}"]`);
    return f && f.dataset.state === 'live';
  }, camera, 20000);
  if (await page.locator('#alarm-banner').isVisible())
    throw new Error('an alarm stands before the camera is killed');
  const killed = Date.now();
  process.kill(Number(option('kill-pid')), 'SIGKILL');
  await page.locator('#alarm-banner').waitFor({ state: 'visible', timeout: 10000 });
  const took = Date.now() - killed;
  const banner = await text('#alarm-banner');
  summary.banner_ms = took;
  step('banner', { ms: took, text: banner });
  if (took > 3000)
    throw new Error(`the banner came ${took} ms after the camera died, later than 3 s`);
  await waitFor(() => Number(document.body.dataset.beeps || 0) >= 1, null, 5000);
  await page.click('#alarm-ack');
  await waitFor(() => document.getElementById('alarm-banner').dataset.acknowledged === 'yes');
  step('acknowledged', true);
  await waitFor((name) => document.querySelector(`.camera[data-name="${name}"]`).dataset.state === 'lost',
                camera, 5000);
  await startHearing(option('case') || '(2026)浙1022民初7号', true);
  await eventShown('alarms-confirmed');
  step('confirmed-event', true);
  if (option('artifacts')) {
    await page.screenshot({ path: `${option('artifacts')}/console-alarm-1366x768.png` });
    summary.screenshots = [`${option('artifacts')}/console-alarm-1366x768.png`];
  }
}

// A scheduled slot passed its grace unrecorded: the banner names the
// hearing (--case), now and next are shown; a start clears the banner.
async function schedule() {
  await logIn();
  const want = option('case');
  const banner = await waitFor(() => {
    const b = document.getElementById('schedule-banner');
    return b.hidden ? false : b.textContent;
  }, null, 15000);
  step('banner', banner);
  if (!banner.includes(want))
    throw new Error(`the banner does not name ${want}: ${banner}`);
  const now = await text('#schedule-current');
  const next = await text('#schedule-next');
  step('schedule', { now, next });
  if (!now.includes(want) || !now.includes(option('local')))
    throw new Error(`"now" shows "${now}", not ${want} at ${option('local')}`);
  if (!next.includes(option('next')))
    throw new Error(`"next" shows "${next}", not ${option('next')}`);
  if (option('artifacts'))
    await page.screenshot({ path: `${option('artifacts')}/console-schedule-1366x768.png` });
  await startHearing(want, true);
  await waitFor(() => document.getElementById('schedule-banner').hidden, null, 5000);
  step('banner-cleared', true);
}

// The court archive's line of --archive reaches --state.
async function archive() {
  await logIn();
  const line = await waitFor(([name, state]) => {
    const li = [...document.querySelectorAll('#archives li')].find((l) => l.dataset.name === name);
    return li && li.dataset.state === state && !document.getElementById('archive-panel').hidden
      ? li.innerText : false;
  }, [option('archive'), option('state')], 20000);
  step('archive', line);
  if (option('artifacts'))
    await page.screenshot({ path: `${option('artifacts')}/console-archive-${option('state')}-1366x768.png` });
}

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--autoplay-policy=no-user-gesture-required', '--mute-audio', '--no-sandbox'],
  });
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 },
                                             locale: 'zh-CN' });
  page = await context.newPage();
  const origin = new URL(url).origin;
  page.on('pageerror', (e) => summary.errors.push(String(e)));
  // A refused request is the browser's "Failed to load resource" line:
  // answers the scenario judges itself (a 404 whoami without accounts, a
  // 403 on purpose), not an error of the page.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      summary.errors.push(m.text());
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'))
      summary.external.push(u);
  });
  await ({ clerk, viewer, alarm, approver, schedule, archive })[scenario]();
  if (summary.external.length > 0)
    finish(false, `requests left the appliance: ${summary.external.join(', ')}`);
  else if (summary.errors.length > 0)
    finish(false, `the page reported errors: ${summary.errors.join('; ')}`);
  else
    finish(true);
} catch (e) {
  // What the page itself said last, for the reason.
  if (page)
    summary.page_error = await page.evaluate(() => {
      const shown = document.getElementById('control-error');
      return shown ? shown.textContent : null;
    }).catch(() => null);
  finish(false, String(e && e.stack ? e.stack : e));
} finally {
  if (browser)
    await browser.close();
}
