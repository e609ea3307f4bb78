#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/console-client.py PORT TOKEN_FILE RESULT_JSON: asks courtrecd for
# what an open operator console asks for (bench/console.sh), until SIGTERM:
# the event stream read as it comes, every preview picture asked for again
# once the last came (twice a second at most), and the status every 5 s.
# Writes what it got to RESULT_JSON when it stops.
import http.client
import json
import signal
import sys
import threading
import time

port = int(sys.argv[1])
token = open(sys.argv[2]).read().strip()
result_path = sys.argv[3]
auth = {"Authorization": "Bearer " + token}
stop = threading.Event()
lock = threading.Lock()
counts = {"levels": 0, "previews": 0, "refused": 0, "status": 0, "pictures": 0}
started = time.monotonic()


def count(key, n=1):
    with lock:
        counts[key] += n


def get(path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=auth)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def events():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/api/v1/live", headers=auth)
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit("event stream: HTTP %d" % response.status)
    while not stop.is_set():
        line = response.fp.readline()
        if not line:
            break
        if line == b"event: levels\n":
            count("levels")


def preview(name):
    while not stop.is_set():
        t0 = time.monotonic()
        status, _ = get("/api/v1/preview/%s.jpg" % name)
        count("previews" if status == 200 else "refused")
        stop.wait(max(0.0, 0.5 - (time.monotonic() - t0)))


def status():
    while not stop.is_set():
        code, body = get("/api/v1/status")
        if code == 200:
            count("status")
        stop.wait(5.0)


hello = json.loads(get("/api/v1/status")[1])
names = ["composed"] + [i["name"] for i in hello["inputs"] if i["kind"] == "camera"]
counts["pictures"] = len(names)
threads = [threading.Thread(target=events, daemon=True),
           threading.Thread(target=status, daemon=True)]
threads += [threading.Thread(target=preview, args=(n,), daemon=True) for n in names]
for t in threads:
    t.start()


def finish(signum, frame):
    stop.set()


signal.signal(signal.SIGTERM, finish)
stop.wait()
counts["seconds"] = time.monotonic() - started
with lock:
    with open(result_path, "w") as f:
        json.dump(counts, f)
