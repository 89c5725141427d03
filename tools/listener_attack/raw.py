#!/usr/bin/env python3
"""raw.py PORT TOKEN UUID: 2000 replays of one valid callback, then 1500 callbacks of 60 KB
for unknown uuids, over keep-alive connections from 127.0.0.2; prints rates."""
import http.client, os, sys, time
port, token, uuid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def run(bodies):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=("127.0.0.2", 0))
    codes = {}
    t = time.time()
    for b in bodies:
        try:
            c.request("POST", "/cb/" + token, body=b, headers={"Content-Type": "application/json"})
            r = c.getresponse(); r.read()
            codes[r.status] = codes.get(r.status, 0) + 1
        except Exception as e:
            codes[type(e).__name__] = codes.get(type(e).__name__, 0) + 1
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=("127.0.0.2", 0))
    return codes, time.time() - t
valid = '{"uuid":"%s","status":"processed"}' % uuid
codes, dt = run([valid] * 2000)
print("replays: 2000 in %.1f s, answers %s" % (dt, codes))
pad = "x" * (60 * 1024 - 100)
bodies = ['{"uuid":"%s","status":"processed","pad":"%s"}' % (os.urandom(8).hex(), pad) for _ in range(1500)]
codes, dt = run(bodies)
print("unknown 60 KB: 1500 in %.1f s (%.0f/s, %.1f MB/s), answers %s" % (dt, 1500 / dt, 1500 * 60 / 1024 / dt, codes))
