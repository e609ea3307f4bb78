// SPDX-License-Identifier: LGPL-2.1-or-later
// console-access.js: the approver's panel of the operator console:
// litigants' pending requests, granted with a mode and an expiry or
// refused with a reason, and grants revoked. Shown to approvers (and the
// room's token); the daemon checks the role of every call again. Uses
// console.js's api() and auth. Every text from the index goes in as
// textContent, never as HTML.
'use strict';

const ACCESS_ROLES = ['approver', 'admin'];
const ACCESS_REFRESH_MS = 10000;
let accessTimer = null;
let accessSlipUrl = null;

function accessCell(row, text) {
  const td = document.createElement('td');
  td.textContent = text == null ? '—' : String(text);
  row.append(td);
  return td;
}

function accessButton(label, en, onClick) {
  const button = document.createElement('button');
  button.type = 'button';
  button.append(`${label} `, span(en));
  button.addEventListener('click', onClick);
  return button;
}

function accessInput(attrs) {
  const input = document.createElement('input');
  Object.assign(input, attrs);
  return input;
}

function accessError(message) {
  $('access-error').textContent = message || '';
}

// The code is shown once, with the slip to print; it is kept nowhere.
function showGranted(reply) {
  if (accessSlipUrl)
    URL.revokeObjectURL(accessSlipUrl);
  accessSlipUrl = URL.createObjectURL(new Blob([reply.slip_html], { type: 'text/html' }));
  $('access-code').textContent = reply.code;
  $('access-granted-id').textContent = `G${reply.grant}`;
  const link = $('access-slip');
  link.href = accessSlipUrl;
  link.download = `slip-G${reply.grant}.html`;
  $('access-granted').hidden = false;
}

async function accessAct(path, body) {
  accessError('');
  try {
    const reply = await api('POST', path, body);
    await refreshAccess();
    return reply;
  } catch (e) {
    accessError(`${e.status || ''} ${e.message}`);
    return null;
  }
}

function decisionCell(row, request) {
  const td = document.createElement('td');
  td.className = 'access-decide';
  const grant = request.grant;
  if (request.state === 'pending') {
    const mode = document.createElement('select');
    mode.className = 'access-mode';
    for (const [value, zh] of [['review', '仅观看 review'], ['copy', '可下载 copy']]) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = zh;
      mode.append(option);
    }
    const days = accessInput({ type: 'number', min: 1, max: 90, value: 3,
                               className: 'access-days', title: 'days 天数' });
    const reason = accessInput({ maxLength: 500, className: 'access-reason',
                                 placeholder: '不予准许的理由 reason to refuse' });
    td.append(mode, days,
              accessButton('准许', 'Grant', async () => {
                const reply = await accessAct('/api/v1/access/grant',
                                              { request: String(request.id), mode: mode.value,
                                                days: String(days.value) });
                if (reply)
                  showGranted(reply);
              }),
              reason,
              accessButton('不予准许', 'Refuse', () => {
                if (!reason.value.trim()) {
                  accessError('不予准许须写明理由 A refusal needs a reason');
                  return;
                }
                accessAct('/api/v1/access/refuse', { request: String(request.id),
                                                     reason: reason.value.trim() });
              }));
  } else if (grant && (grant.state === 'ready' || grant.state === 'pending')) {
    const reason = accessInput({ maxLength: 500, className: 'access-reason',
                                 placeholder: '撤销理由 reason to revoke' });
    td.append(reason, accessButton('撤销', 'Revoke', () => {
      if (!reason.value.trim()) {
        accessError('撤销须写明理由 A revocation needs a reason');
        return;
      }
      accessAct('/api/v1/access/revoke', { grant: String(grant.id), reason: reason.value.trim() });
    }));
  } else {
    td.textContent = request.reason || (grant && grant.revoke_reason) || '—';
  }
  row.append(td);
}

function renderAccess(requests) {
  const body = $('access-requests');
  body.replaceChildren();
  // Pending first, then the newest.
  const sorted = [...requests].sort((a, b) =>
    (a.state === 'pending' ? 0 : 1) - (b.state === 'pending' ? 0 : 1) || b.id - a.id);
  for (const request of sorted) {
    const row = document.createElement('tr');
    row.dataset.request = request.id;
    row.dataset.state = request.state;
    accessCell(row, `R${request.id}`);
    accessCell(row, request.case);
    accessCell(row, request.requester);
    accessCell(row, request.role);
    accessCell(row, request.sessions);
    accessCell(row, request.purpose);
    accessCell(row, request.source);
    const grant = request.grant;
    accessCell(row, grant ? `G${grant.id} ${grant.mode} ${grant.state} → ${grant.expires}`
                          : request.state);
    decisionCell(row, request);
    body.append(row);
  }
  $('access-none').hidden = requests.length > 0;
}

async function refreshAccess() {
  try {
    const reply = await api('GET', '/api/v1/access/requests');
    renderAccess(reply.requests || []);
  } catch (e) {
    accessError(`${e.status || ''} ${e.message}`);
  }
}

// Called by console.js once the caller's role is known.
function startAccessPanel(role) {
  const shown = ACCESS_ROLES.includes(role);
  $('access-panel').hidden = !shown;
  if (accessTimer)
    clearInterval(accessTimer);
  accessTimer = null;
  if (!shown)
    return;
  refreshAccess();
  accessTimer = setInterval(refreshAccess, ACCESS_REFRESH_MS);
}

$('access-refresh').addEventListener('click', refreshAccess);
$('access-granted-close').addEventListener('click', () => {
  $('access-granted').hidden = true;
  $('access-code').textContent = '';
  if (accessSlipUrl)
    URL.revokeObjectURL(accessSlipUrl);
  accessSlipUrl = null;
});
