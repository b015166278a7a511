#!/usr/bin/env python3
"""Rebuild the fuzzing seeds in tests/fuzz/corpus/ from real result files.

    tests/fuzz/make_corpus.py both.json pub.json sub.json repeat.json merged.json

(results of `mqttbench both`, `pub`, `sub` of one --run-id, `both --repeat 2`,
and `merge pub.json sub.json`). Each is trimmed small but kept valid (every
histogram cut to three buckets, its stats and percentiles recomputed), then
malformed variants of the `both` result are written beside them: one per class
of input the reader must refuse."""
import copy
import json
import math
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def bucket_low(i):
    if i < 256:
        return i
    k = (i >> 7) - 1
    return (i - (k << 7)) << k


def bucket_width(i):
    return 1 if i < 256 else 1 << ((i >> 7) - 1)


def percentile_ns(h, pct):
    n = h["count"]
    if n == 0:
        return 0
    x = pct * n / 100.0
    rank = math.floor(x)
    if x - rank > x * 1e-12:
        rank += 1
    rank = min(n, max(1, rank))
    seen = 0
    for idx, cnt in zip(h["buckets"][0::2], h["buckets"][1::2]):
        seen += cnt
        if seen >= rank:
            return min(max(bucket_low(idx) + bucket_width(idx) // 2, h["min_ns"]), h["max_ns"])
    return h["max_ns"]


def trim_latency(lat):
    h = lat["histogram"]
    b = h["buckets"][:6]
    if not b:
        return
    idx, cnt = b[0::2], b[1::2]
    h["buckets"] = b
    h["count"] = sum(cnt)
    h["min_ns"], h["max_ns"] = bucket_low(idx[0]), bucket_low(idx[-1])
    h["sum_ns"] = float(sum(bucket_low(i) * c for i, c in zip(idx, cnt)))
    h["sumsq_ns"] = float(sum(bucket_low(i) ** 2 * c for i, c in zip(idx, cnt)))
    lat["count"] = h["count"]
    lat["min"], lat["max"] = h["min_ns"] / 1e3, h["max_ns"] / 1e3
    lat["mean"] = h["sum_ns"] / h["count"] / 1e3
    for key, pct in (("p50", 50), ("p90", 90), ("p99", 99), ("p999", 99.9), ("p9999", 99.99)):
        lat[key] = percentile_ns(h, pct) / 1e3


def trim(d):
    d = copy.deepcopy(d)
    d["timeseries"] = d.get("timeseries", [])[:2]
    d["workers"] = d.get("workers", [])[:1]

    def walk(v):
        if isinstance(v, dict):
            if isinstance(v.get("histogram"), dict) and "buckets" in v["histogram"]:
                trim_latency(v)
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(d)
    if "subscribe" in d and d["subscribe"] and d.get("latency_us"):
        d["subscribe"]["messages"] = d["latency_us"]["count"]
    return d


def write(name, obj=None, raw=None):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(raw if raw is not None else json.dumps(obj, separators=(",", ":")).encode())


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    both, pub, sub, rep, merged = (trim(json.load(open(p))) for p in sys.argv[1:])
    os.makedirs(OUT, exist_ok=True)
    write("both.json", both)
    write("pub.json", pub)
    write("sub.json", sub)
    write("repeat.json", rep)
    write("merged-pubsub.json", merged)

    s = json.dumps(both, separators=(",", ":")).encode()
    write("truncated.json", raw=s[: len(s) // 2])
    write("deep.json", raw=b"[" * 70 + b"]" * 70)
    write("deep-object.json", raw=b'{"a":' * 66 + b"1" + b"}" * 66)
    write("nan.json", raw=s.replace(b'"lost":0', b'"lost":NaN', 1))
    write("huge.json", raw=s.replace(b'"lost":0', b'"lost":1e300', 1))
    write("dupkey.json", raw=s.replace(b'{"schema":"mqttbench.result.v1",',
                                       b'{"schema":"mqttbench.result.v1","schema":"x",', 1))
    write("nul.json", raw=s[:40] + b"\0" + s[40:])
    write("not-object.json", raw=b"[1,2,3]")
    write("empty.json", raw=b"")
    x = copy.deepcopy(both); x["schema"] = "mqttbench.result.v2"; write("schema-v2.json", x)
    x = copy.deepcopy(both); x["latency_us"]["histogram"]["buckets"].append(7); write("odd-buckets.json", x)
    x = copy.deepcopy(both); x["latency_us"]["histogram"]["buckets"][-2] = 5000; write("bad-index.json", x)
    x = copy.deepcopy(both); x["publish"]["msgs_per_s"] = "fast"; write("wrong-type.json", x)
    x = copy.deepcopy(both); x["latency_us"]["p90"] = 0; write("percentiles-unordered.json", x)


if __name__ == "__main__":
    main()
