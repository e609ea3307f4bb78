#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/stream-reader.py: arrival times of the flashes of a live RTMP stream.

  python3 bench/stream-reader.py URL OUT_DIR SECONDS SWITCH_CMD SWITCH_BACK_CMD

Used by bench/stream-latency.sh. Reads URL with ffmpeg (-fflags nobuffer
-flags low_delay, one decoder thread, every decoded frame scaled to 32x18
grey and written to a pipe at once: -flush_packets 1), and stamps each
frame's arrival on CLOCK_MONOTONIC, the clock GStreamer's system clock
runs on and test:sync flashes on (the first 40 ms of every second).

The luma is read in two boxes of the 32x18 picture: the top-left quarter
(rows 2-6, columns 3-12), the sync camera in both layouts used, where the
flash shows; and the top-right quarter (rows 2-6, columns 19-28), which
changes when SWITCH_CMD runs (courtrecd: `layout grid` brings the second
camera there; the reference: SIGUSR1 paints it grey).

A flash only tells the time modulo one second. To know which second, the
reader runs SWITCH_CMD (after 5 s of frames) and SWITCH_BACK_CMD (4 s
later), stamping each just before it runs, and times the first frame that
shows the change: that "switch latency" is a coarse latency of the same
path, good to a frame or two, and picks each flash's second. Then frames
are read for SECONDS more. Flashes are timed from the first switch command
on (ffmpeg's start-up probe delivers its first frames late, in a burst).

Writes OUT_DIR/frames.tsv (arrival_s, top-left mean, top-right mean),
OUT_DIR/switches.tsv (command time, change seen, latency) and
OUT_DIR/flashes.tsv (arrival_s, second, latency_s); prints one summary
line: "flashes N median_ms P95_MS min_ms max_ms switch_ms A B".
"""
import os
import statistics
import subprocess
import sys
import time

W, H = 32, 18
FRAME = W * H


def mono():
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def box(frame, rows, cols):
    total = 0
    for r in rows:
        total += sum(frame[r * W + cols[0]: r * W + cols[1]])
    return total / (len(rows) * (cols[1] - cols[0]))


def main():
    url, out, seconds, switch_cmd, back_cmd = sys.argv[1:6]
    seconds = float(seconds)
    os.makedirs(out, exist_ok=True)
    # The probe only delays the start: what it reads is decoded at once
    # after it, faster than real time, long before the flashes are timed.
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-fflags", "nobuffer", "-flags", "low_delay",
           "-threads", "1", "-probesize", "1000000", "-analyzeduration", "2000000",
           "-i", url, "-map", "0:v:0", "-an", "-vf", "scale=%d:%d:flags=area" % (W, H),
           "-pix_fmt", "gray", "-fps_mode", "passthrough", "-f", "rawvideo",
           "-flush_packets", "1", "pipe:1"]
    # A player that joins as the stream starts sometimes sees no video
    # stream in its probe: try again, up to three times.
    for attempt in range(3):
        ffmpeg = subprocess.Popen(cmd, stdout=subprocess.PIPE, bufsize=0)
        pipe = ffmpeg.stdout
        first = pipe.read(FRAME)
        if first:
            break
        ffmpeg.wait()
        time.sleep(1)
    pending = bytearray(first or b"")
    frames = []          # (arrival, top-left, top-right)
    switches = []        # [command time, first changed arrival]
    buf = bytearray(FRAME)
    t_first = None
    plan = None          # [(at, cmd)]
    baseline = None
    deadline = None
    children = []
    try:
        while True:
            view = memoryview(buf)
            got = len(pending)
            view[:got] = pending
            pending = b""
            while got < FRAME:
                n = pipe.readinto(view[got:])
                if not n:
                    raise EOFError("ffmpeg ended after %d frames" % len(frames))
                got += n
            now = mono()
            tl = box(buf, range(2, 7), (3, 13))
            tr = box(buf, range(2, 7), (19, 29))
            frames.append((now, tl, tr))
            if t_first is None:
                t_first = now
                plan = [(now + 5.0, switch_cmd), (now + 9.0, back_cmd)]
            # The change after a command: the top-right box away from its
            # level before the command, on a frame without a flash.
            if switches and switches[-1][1] is None and tl < 128:
                if abs(tr - switches[-1][2]) > 12:
                    switches[-1][1] = now
            if plan and now >= plan[0][0]:
                calm = [f[2] for f in frames[-25:] if f[1] < 128]
                level = statistics.median(calm) if calm else tr
                cmd = plan.pop(0)[1]
                t_cmd = mono()
                # Not waited for here: frames keep their arrival times.
                children.append(subprocess.Popen(cmd, shell=True, stdout=subprocess.DEVNULL))
                switches.append([t_cmd, None, level])
                if not plan:
                    deadline = now + 4.0 + seconds
            if deadline is not None and now >= deadline:
                break
    finally:
        ffmpeg.terminate()
        ffmpeg.wait()
        for child in children:
            child.wait()

    with open(os.path.join(out, "frames.tsv"), "w") as f:
        for a, tl, tr in frames:
            f.write("%.6f\t%.1f\t%.1f\n" % (a, tl, tr))
    lat_switch = []
    with open(os.path.join(out, "switches.tsv"), "w") as f:
        for t_cmd, seen, level in switches:
            f.write("%.6f\t%s\t%s\n" % (t_cmd, "%.6f" % seen if seen else "-",
                                        "%.4f" % (seen - t_cmd) if seen else "-"))
            if seen:
                lat_switch.append(seen - t_cmd)
    if not lat_switch:
        sys.exit("stream-reader: the picture never changed after the switch commands; "
                 "cannot tell which second a flash belongs to (see %s)" % out)
    coarse = min(lat_switch)

    # Flash onsets: a frame with the top-left box white after >= 0.5 s
    # without one.
    # Timed only from the first switch command on: the frames read during
    # ffmpeg's start-up probe arrive late, in a burst.
    onsets = []
    last = -10.0
    for a, tl, _ in frames:
        if tl > 128:
            if a - last > 0.5 and a >= switches[0][0]:
                onsets.append(a)
            last = a
    lats = []
    with open(os.path.join(out, "flashes.tsv"), "w") as f:
        for a in onsets:
            # The whole second the flash was drawn for: the one nearest
            # to the arrival minus the coarse latency.
            second = round(a - coarse - 0.02)
            lat = a - second
            lats.append(lat)
            f.write("%.6f\t%d\t%.4f\n" % (a, second, lat))
    if len(lats) < 2:
        sys.exit("stream-reader: %d flash(es) in %d frames (see %s)" % (len(lats), len(frames), out))
    s = sorted(lats)
    p95 = s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]
    print("flashes %d median_ms %.1f p95_ms %.1f min_ms %.1f max_ms %.1f frames %d switch_ms %s"
          % (len(s), statistics.median(s) * 1000, p95 * 1000, s[0] * 1000, s[-1] * 1000,
             len(frames), " ".join("%.1f" % (x * 1000) for x in lat_switch)))


if __name__ == "__main__":
    main()
