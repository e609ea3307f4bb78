#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what courtrec needs to build, run its demo and run its tests on
# Debian 12. Used by `make demo`, `make check` and .ci/run alike, so a fresh
# machine and CI install exactly the same set (clang and its libFuzzer
# runtime build the fuzz targets of tests/fuzz/; prometheus brings the
# server and promtool that judge /metrics and the shipped alert rules;
# ceph-mon, ceph-osd, radosgw and ceph-common are the single-node object
# store that tests/ceph/start-ceph.sh starts for the archive's tests;
# iproute2's ip makes the network namespace in which test-field-unit cuts
# a field unit's network).
# Safe to run again.
set -eu
cd "$(dirname "$0")/.."

# The test-only Node.js packages of package.json (playwright-core).
npm_install() {
	if [ ! -d node_modules/playwright-core ]; then
		npm install --no-audit --no-fund --loglevel=error
	fi
}

PACKAGES="
build-essential pkg-config
libglib2.0-dev libsoup-3.0-dev libjson-glib-dev libsqlite3-dev libsystemd-dev
libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
libavformat-dev libavcodec-dev libavutil-dev libsodium-dev libyajl-dev libqrencode-dev libical-dev
libcsv-dev
gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
gstreamer1.0-x gstreamer1.0-alsa gstreamer1.0-pulseaudio
fonts-noto-cjk python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-rtsp-server-1.0
ffmpeg sqlite3 curl procps systemd strace tesseract-ocr tesseract-ocr-chi-sim e2fsprogs
zbar-tools
nginx libnginx-mod-rtmp libnginx-mod-stream openssl
librtmp-dev libgnutls28-dev libcurl4-gnutls-dev chromium
clang libclang-rt-14-dev
prometheus
ceph-mon ceph-osd radosgw ceph-common
iproute2
"

missing=""
# Node.js runs the browser tests (playwright-core drives chromium); a
# machine without it gets Debian's.
command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	npm_install
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
npm_install
