#!/usr/bin/env python3
"""control-sim.py — the control plane's steady traffic at N publishing
processes, without N mqttbench processes (load only, nothing measured but
the broker's CPU and the bytes it sends).

    bench/control-sim.py PORT BROKER_PID N [M] [SECONDS]

Opens N MQTT connections subscribed to PREFIX/sub/+/+ (what each pub's
control client subscribes to, less its clock requests) and M connections
subscribed to PREFIX/pub/+/+ (each sub's). Every second, each of the N
announces `start` (~200 bytes, as a pub does) and each of the M announces
`ready` listing N measured publishers (as a sub does once it has measured
them all: ~28 bytes per id for pod-like ids). QoS 0 here (mqttbench uses
QoS 1: one PUBACK more per message). Prints the broker's CPU use (from
/proc/BROKER_PID/stat) and the bytes it delivered per second.
"""
import json, os, selectors, socket, struct, sys, time

def varint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out

def packet(kind, body):
    return bytes([kind]) + varint(len(body)) + body

def utf8(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b

def connect(port, cid, sub_filter):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(packet(0x10, utf8("MQTT") + bytes([4, 2]) + struct.pack("!H", 600) + utf8(cid)))
    s.recv(4)                                                  # CONNACK
    s.sendall(packet(0x82, struct.pack("!H", 1) + utf8(sub_filter) + bytes([0])))
    s.recv(5)                                                  # SUBACK
    s.setblocking(False)
    return s

def publish(s, topic, payload):
    data = packet(0x30, utf8(topic) + payload)
    view = memoryview(data)
    while view:
        try:
            view = view[s.send(view):]
        except BlockingIOError:
            time.sleep(0.0005)

def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

def main():
    port, broker, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    m = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 10
    prefix = "mqttbench/ctl/00000000000051a1"
    pubs = [connect(port, f"sim-p{i}", f"{prefix}/sub/+/+") for i in range(n)]
    subs = [connect(port, f"sim-s{j}", f"{prefix}/pub/+/+") for j in range(m)]
    ids = [f"mqttbench-pub-{i}-x7k2q-1" for i in range(n)]
    start = {i: json.dumps({"id": ids[i], "first": i * 4, "count": 4, "messages": 250000, "size": 64, "qos": 1,
                            "clock": "realtime"}).encode() for i in range(n)}
    ready = json.dumps({"id": "mqttbench-sub-0-b8d3n-1", "subscribers": 1, "synced": ids}).encode()
    sel = selectors.DefaultSelector()
    for s in pubs + subs:
        sel.register(s, selectors.EVENT_READ)
    received = 0
    c0, t0 = cpu_s(broker), time.monotonic()
    next_tick = t0
    while time.monotonic() - t0 < seconds:
        if time.monotonic() >= next_tick:
            for i, s in enumerate(pubs):
                publish(s, f"{prefix}/pub/{ids[i]}/start", start[i])
            for j, s in enumerate(subs):
                publish(s, f"{prefix}/sub/sim-s{j}/ready", ready)
            next_tick += 1
        for key, _ in sel.select(timeout=0.05):
            try:
                received += len(key.fileobj.recv(1 << 20))
            except BlockingIOError:
                pass
    c1, t1 = cpu_s(broker), time.monotonic()
    print(f"N={n} M={m}: ready {len(ready)} B, start {len(start[0])} B; broker CPU {100 * (c1 - c0) / (t1 - t0):.1f}% "
          f"of one core; delivered {received / (t1 - t0) / 1e6:.2f} MB/s")

if __name__ == "__main__":
    main()
