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
    config/courtrec.conf.example > "$room/demo.conf"

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
  Recordings go to $(pwd)/$room/storage/recordings/DATE/ (Matroska, H.264 + AAC),
  indexed in $(pwd)/$room/storage/index.db. Play one with: ffplay FILE
  Approved hearings are live at http://$public/live/ (the public page, HLS).
  The party signs in at http://$public/access/ with the slip's code and 1234 (the
  last 4 of the identity number) to watch and download their watermarked copy;
  published hearings are at http://$public/vod/.

  Ctrl-C stops the demo (the open recording is finished cleanly).

MSG
exec "$build/courtrecd" -c "$conf"
