// SPDX-License-Identifier: LGPL-2.1-or-later
// live-schedule-page.mjs: the public schedule of the live page in headless
// chromium, as a member of the public reads it.
//
//   node tests/live-schedule-page.mjs URL SPEC
//
// SPEC is JSON: {"line": [TEXT...], "rows": [CASE...], "absent": [TEXT...],
// "cells": [TEXT...]}, or {"hidden": true}: once schedule.json has been
// read, neither the line nor the list shows (a room with no calendar). The page must come to show a "next live trial" line
// holding every "line" text and exactly the schedule rows of "rows" (their
// case numbers, in order); then no "absent" text may be anywhere in the
// page (its text nor its markup), every "cells" text must be the whole
// text of some cell (a title with markup shows as text), and no script may
// have run but the page's own. Runs with the browser in America/New_York
// so that a time shown in the viewer's zone would be wrong. Prints a JSON
// summary; exits 0 on success, 1 with a reason otherwise.
import { chromium } from 'playwright-core';

const url = process.argv[2];
let spec = null;
try {
  spec = JSON.parse(process.argv[3]);
} catch (error) {
  spec = null;
}
if (!url || spec === null) {
  console.error('usage: node tests/live-schedule-page.mjs URL SPEC');
  process.exit(2);
}
const line = spec.line || [];
const rows = spec.rows || [];
const absent = spec.absent || [];
const cells = spec.cells || [];

const summary = { ok: false, url, errors: [] };
let browser = null;
let page = null;

function finish(ok, reason) {
  summary.ok = ok;
  if (reason)
    summary.reason = reason;
  console.log(JSON.stringify(summary));
  process.exitCode = ok ? 0 : 1;
}

// The line and the rows as SPEC wants them, nothing hidden, no script run.
async function checkShown() {
  try {
    await page.waitForFunction(([line, rows]) => {
      const shown = document.getElementById('next-trial');
      const listed = [...document.querySelectorAll('#schedule-list tr')]
        .map((tr) => tr.dataset.case);
      return !shown.hidden && line.every((text) => shown.textContent.includes(text)) &&
        !document.getElementById('schedule').hidden &&
        JSON.stringify(listed) === JSON.stringify(rows);
    }, [line, rows], { timeout: 20000, polling: 200 });
  } finally {
    summary.shown = await page.evaluate(() => ({
      line: document.getElementById('next-trial').textContent,
      notice: document.getElementById('notice').textContent,
      rows: [...document.querySelectorAll('#schedule-list tr')]
        .map((tr) => [...tr.cells].map((td) => td.textContent)),
      zone: document.getElementById('schedule-zone').textContent,
    }));
  }

  const text = await page.evaluate(() => document.body.innerText);
  const markup = await page.content();
  for (const word of absent) {
    if (text.includes(word) || markup.includes(word))
      throw new Error(`the page shows '${word}'`);
  }
  const cellTexts = await page.evaluate(() =>
    [...document.querySelectorAll('#schedule-list td')].map((td) => td.textContent));
  for (const wanted of cells) {
    if (!cellTexts.includes(wanted))
      throw new Error(`no cell reads '${wanted}'`);
  }
  summary.scripts = await page.evaluate(() => document.scripts.length);
  if (summary.scripts !== 2)
    throw new Error(`${summary.scripts} scripts in the page, not its own 2`);
  summary.injected = await page.evaluate(() => window.__injected);
  if (summary.injected !== 0)
    throw new Error('a title ran as script');
  if (summary.errors.length > 0)
    throw new Error('the page threw: ' + summary.errors[0]);
}

const watchdog = setTimeout(() => {
  finish(false, 'timed out');
  process.exit(1);
}, 60000);

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--mute-audio',
           ...(process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [])],
  });
  const context = await browser.newContext({ timezoneId: 'America/New_York', locale: 'en-US' });
  page = await context.newPage();
  page.on('pageerror', (error) => summary.errors.push(String(error)));
  await page.addInitScript(() => { window.__injected = 0; });
  const scheduleRead = page.waitForResponse((response) =>
    new URL(response.url()).pathname.endsWith('/schedule.json'), { timeout: 15000 })
    .catch(() => null);
  await page.goto(url, { waitUntil: 'load', timeout: 15000 });
  if (spec.hidden) {
    const response = await scheduleRead;
    summary.status = response !== null ? response.status() : 0;
    await page.waitForFunction(() => document.body.dataset.state !== 'loading', null,
                               { timeout: 15000, polling: 100 });
    await page.waitForTimeout(500);
    summary.shown = await page.evaluate(() => ({
      lineHidden: document.getElementById('next-trial').hidden,
      scheduleHidden: document.getElementById('schedule').hidden,
      line: document.getElementById('next-trial').textContent,
    }));
    if (summary.status !== 200)
      throw new Error(`schedule.json answered ${summary.status}`);
    if (!summary.shown.lineHidden || !summary.shown.scheduleHidden)
      throw new Error('a room without a calendar shows a schedule');
  } else {
    await checkShown();
  }
  finish(true);
} catch (error) {
  finish(false, String(error && error.message ? error.message.split('\n')[0] : error));
} finally {
  clearTimeout(watchdog);
  if (browser !== null)
    await browser.close();
}
