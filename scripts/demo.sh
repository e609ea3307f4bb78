#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs a demo courtroom on built-in test sources: the example config with its
# storage in ./demo-room/. Ctrl-C stops it cleanly.
set -eu
cd "$(dirname "$0")/.."
build=${BUILD:-build}
room=demo-room
mkdir -p "$room"
# The example, with the storage and the token kept beside this checkout.
sed -e 's|^dir = .*|dir = storage|' \
    -e 's|^token_file = .*|token_file = storage/api-token|' \
    -e 's|^#calendar = .*|calendar = hearings.ics|' \
    config/courtrec.conf.example > "$room/demo.conf"
# The day's calendar (docs/schedule.md): the demo's public hearing from the
# start of this minute for 30 minutes, a closed one straight after it, and
# tomorrow's public hearing that /live/ announces once it is approved.
slot() { date -u -d "@$(( $(date +%s) / 60 * 60 + $1 ))" +%Y%m%dT%H%M%SZ; }
cat > "$room/hearings.ics" <<ICS
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//courtrec//demo//ZH
BEGIN:VEVENT
UID:demo-1@courtrec
DTSTAMP:$(slot 0)
DTSTART:$(slot 0)
DTEND:$(slot 1800)
SUMMARY:演示庭审
X-COURTREC-CASE:（2026）浙1022民初123号
LOCATION:demo
CLASS:PUBLIC
END:VEVENT
BEGIN:VEVENT
UID:demo-2@courtrec
DTSTAMP:$(slot 0)
DTSTART:$(slot 1800)
DTEND:$(slot 3600)
SUMMARY:调解
X-COURTREC-CASE:（2026）浙1022民初124号
LOCATION:demo
CLASS:PRIVATE
END:VEVENT
BEGIN:VEVENT
UID:demo-3@courtrec
DTSTAMP:$(slot 0)
DTSTART:$(slot 86400)
DTEND:$(slot 90000)
SUMMARY:继续开庭
X-COURTREC-CASE:（2026）浙1022民初123号
LOCATION:demo
CLASS:PUBLIC
END:VEVENT
END:VCALENDAR
ICS

conf="$room/demo.conf"
# [api] listen comes first in the example, [public] listen second.
listen=$(sed -n 's/^listen = //p' "$conf" | sed -n 1p)
public=$(sed -n 's/^listen = //p' "$conf" | sed -n 2p)
cat <<MSG

  courtrec demo courtroom: 3 cameras (审判长 原告 被告) and 2 microphones,
  all built-in test sources, composed at 1280x720, API on http://$listen/api/v1/

  In another terminal, from $(pwd):
    $build/courtrec -c $conf broadcast approve --case '（2026）浙1022民初123号' --by 审判长
    $build/courtrec -c $conf start --case '（2026）浙1022民初123号' --title '演示庭审'
    $build/courtrec -c $conf mark '原告陈述'
    $build/courtrec -c $conf pause --reason recess
    $build/courtrec -c $conf resume
    $build/courtrec -c $conf status
    $build/courtrec -c $conf stream cut        # the public sees "庭审直播暂停"
    $build/courtrec -c $conf stream resume
    $build/courtrec -c $conf stop
    $build/courtrec -c $conf sessions
    echo 330102199001011234 | $build/courtrec -c $conf access request \
        --case '（2026）浙1022民初123号' --name 张三 --role party --id-number-stdin --purpose 复制
    $build/courtrec -c $conf access grant --request R1 --mode copy --slip slip.html
    $build/courtrec -c $conf publish 1 --title '演示庭审'
    $build/courtrec -c $conf schedule          # today's hearings from hearings.ics
    $build/courtrec coverage -c $conf --from "$(date +%F)" --to "$(date +%F)"
  Recordings go to $(pwd)/$room/storage/recordings/DATE/ (Matroska, H.264 + AAC),
  indexed in $(pwd)/$room/storage/index.db. Play one with: ffplay FILE
  Approved hearings are live at http://$public/live/ (the public page, HLS).
  The party signs in at http://$public/access/ with the slip's code and 1234 (the
  last 4 of the identity number) to watch and download their watermarked copy;
  published hearings are at http://$public/vod/.
  The calendar ($room/hearings.ics) schedules the demo hearing from this
  minute: not started within 2 minutes, status shows the
  scheduled-not-recording alarm; coverage reports the day's recording rate.

  Ctrl-C stops the demo (the open recording is finished cleanly).

MSG
exec "$build/courtrecd" -c "$conf"
