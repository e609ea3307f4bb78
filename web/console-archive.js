// SPDX-License-Identifier: LGPL-2.1-or-later
// console-archive.js: the court archive's upload queue on the operator
// console, one line per [archive NAME] of status's "archive": what waits
// (items, bytes, how long the oldest has waited), the failures by reason,
// the last verified upload and whether the upload window is open. A clerk
// sees here that the room's recordings are not yet in the archive, and why,
// long before the upload-overdue alarm. console.js calls showArchive() with
// every status; every text goes in as textContent, never as HTML.
'use strict';

Object.assign(ALARM_TEXT, {
  'archive-unavailable': '档案库无法使用 archive unavailable',
  'upload-overdue': '上传档案逾期 archive upload overdue',
});

// recorder/uploader.c's reasons (reason_of).
const ARCHIVE_REASON_TEXT = {
  unreachable: '无法连接 unreachable',
  refused: '被拒绝 refused',
  'no-bucket': '无此存储桶 no such bucket',
  unknown: '无应答 no answer',
  local: '本地读取失败 local file',
  invalid: '无效 invalid',
};

function archiveBytes(bytes) {
  if (bytes >= 1024 * 1024 * 1024)
    return `${(bytes / (1024 * 1024 * 1024)).toFixed(1)} GB`;
  if (bytes >= 1024 * 1024)
    return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${Math.ceil(bytes / 1024)} kB`;
}

function archiveAge(seconds) {
  if (seconds < 60)
    return `${seconds} 秒 (${seconds} s)`;
  if (seconds < 3600)
    return `${Math.floor(seconds / 60)} 分 (${Math.floor(seconds / 60)} min)`;
  return formatDuration(seconds);   // console.js
}

function describeArchive(a) {
  const parts = [];
  if (a.queue_length === 0)
    parts.push('已全部上传 all uploaded');
  else
    parts.push(`待上传 ${a.queue_length} 项 waiting, ${archiveBytes(a.queue_bytes)}, ` +
               `最早已等 oldest waiting ${archiveAge(a.oldest_age_seconds)}`);
  const failures = Object.entries(a.failures || {}).filter(([, n]) => n > 0);
  if (failures.length > 0)
    parts.push('失败 failures: ' +
               failures.map(([reason, n]) => `${ARCHIVE_REASON_TEXT[reason] || reason} ${n}`)
                 .join(', '));
  parts.push(`上次成功 last success: ${a.last_success ? localTime(a.last_success, true) + ' UTC' : '无 never'}`);
  if (a.window_open === false)
    parts.push('上传时段未到 outside the upload window');
  return `${a.name}: ${parts.join('; ')}`;
}

function showArchive(archives) {
  const list = $('archives');
  const panel = $('archive-panel');
  list.replaceChildren();
  panel.hidden = !archives || archives.length === 0;
  for (const a of archives || []) {
    const li = document.createElement('li');
    const failing = Object.values(a.failures || {}).some((n) => n > 0);
    li.dataset.state = a.queue_length === 0 ? 'uploaded' : failing ? 'failing' : 'waiting';
    li.dataset.name = a.name;
    li.textContent = describeArchive(a);
    if (a.last_error && a.queue_length > 0) {
      const why = document.createElement('div');
      why.className = 'archive-error';
      why.textContent = a.last_error;
      li.append(why);
    }
    list.append(li);
  }
}
