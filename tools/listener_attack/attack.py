#!/usr/bin/env python3
"""attack.py MODE COUNT PORT SECONDS [TOKEN]: a hostile client on loopback.
idle: COUNT connections from 127.0.0.2 held, then closed (FIN)
slowloris: COUNT connections trickling a request's headers, reconnecting when closed
reconnect: COUNT idle connections, each reopened when closed and every 3-5 s
spread: COUNT idle connections from 127.0.0.2-127.0.0.(1+COUNT/5)
oversize: COUNT parallel POSTs with Content-Length 10 MB and chunked 10 MB bodies
forged: COUNT parallel clients sending wrong-token, bad-JSON and unknown-uuid callbacks"""
import os, random, select, socket, struct, sys, time

mode, count, port, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
token = sys.argv[5] if len(sys.argv) > 5 else "0" * 32
end = time.time() + secs
IP_BIND_ADDRESS_NO_PORT = 24

def conn(i, spread=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
    src = "127.0.0.%d" % (2 + (i // 5 if spread else 0))
    s.bind((src, 0))
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    except OSError:
        s.close()
        return None
    return s

def abort(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()

opened = 0
if mode in ("idle", "spread", "slowloris", "reconnect"):
    socks = [conn(i, mode == "spread") for i in range(count)]
    opened = count
    since = [time.time()] * count
    sent = [0] * count
    hold = [3 + random.random() * 2 for _ in range(count)]
    req = ("POST /cb/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" % token
           + "X-Pad: " + "a" * 400 + "\r\n").encode()
    while time.time() < end:
        live = [s for s in socks if s]
        r = select.select(live, [], [], 0.1)[0] if live else []
        for i, s in enumerate(socks):
            reopen = s is None and mode in ("slowloris", "reconnect")
            if s and s in r:
                try:
                    d = s.recv(512)
                except OSError:
                    d = b""
                if not d:
                    s.close()
                    socks[i] = s = None
                    reopen = mode in ("slowloris", "reconnect")
            if s and mode == "reconnect" and time.time() - since[i] > hold[i]:
                abort(s)
                socks[i] = s = None
                reopen = True
            if reopen:
                socks[i] = s = conn(i)
                opened += 1
                since[i] = time.time()
                sent[i] = 0
            if s and mode == "slowloris" and sent[i] < len(req) and random.random() < 0.5:
                try:
                    s.send(req[sent[i]:sent[i] + 1])
                    sent[i] += 1
                except OSError:
                    pass
    for s in socks:
        if s:
            s.close()
elif mode in ("oversize", "forged"):
    n = 0
    while time.time() < end:
        batch = []
        for i in range(count):
            s = conn(i)
            if not s:
                continue
            opened += 1
            k = (n + i) % 3
            if mode == "oversize":
                if k == 0:
                    head = "POST /cb/%s HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n" % token
                    body = b"x" * 65536
                else:
                    head = "POST /cb/%s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" % token
                    body = b"10000\r\n" + b"x" * 65536 + b"\r\n"
                data = head.encode() + body * 2
            else:
                if k == 0:
                    data = b"POST /cb/" + b"f" * 32 + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
                elif k == 1:
                    data = ("POST /cb/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Content-Length: 9\r\n\r\n{not json" % token).encode()
                else:
                    b = '{"uuid":"%s","status":"processed"}' % os.urandom(8).hex()
                    data = ("POST /cb/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Content-Length: %d\r\n\r\n%s" % (token, len(b), b)).encode()
            batch.append((s, data))
        time.sleep(0.05)
        for s, data in batch:
            try:
                s.setblocking(True)
                s.settimeout(0.5)
                s.sendall(data)
                s.recv(256)
            except OSError:
                pass
            s.close()
        n += 1
print("%s: opened %d connections" % (mode, opened), file=sys.stderr)
