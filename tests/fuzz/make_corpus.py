#!/usr/bin/env python3
"""Rebuild the fuzzing seeds in tests/fuzz/corpus/ from real result files.

    tests/fuzz/make_corpus.py both.json pub.json sub.json repeat.json merged.json

(results of small runs: `mqttbench both --count 20`, a `pub` and a `sub` of
one --run-id with --count 20, `both --count 20 --repeat 2`, and
`mqttbench merge pub.json sub.json`). Each is written compact with its
timeseries and workers shortened; its histograms stay as mqttbench wrote them,
because the reader refuses a result whose derived values (percentiles, mean,
rates) disagree with what they derive from. Then malformed variants of the
`both` result are written beside them: one per class of input the reader
must refuse."""
import copy
import json
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def trim(d):
    d = copy.deepcopy(d)
    d["timeseries"] = d["timeseries"][:2]
    d["workers"] = d["workers"][:1]
    for run in d.get("runs", []):
        run["timeseries"] = run["timeseries"][:2]
        run["workers"] = run["workers"][:1]
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
    write("not-utf8.json", raw=s.replace(b'"kernel":"', b'"kernel":"\xff\xc3', 1))
    write("not-object.json", raw=b"[1,2,3]")
    write("empty.json", raw=b"")
    x = copy.deepcopy(both); x["schema"] = "mqttbench.result.v2"; write("schema-v2.json", x)
    x = copy.deepcopy(both); x["latency_us"]["histogram"]["buckets"].append(7); write("odd-buckets.json", x)
    x = copy.deepcopy(both); x["latency_us"]["histogram"]["buckets"][-2] = 5000; write("bad-index.json", x)
    x = copy.deepcopy(both); x["latency_us"]["histogram"]["sumsq_ns"] = 1e308; write("absurd-sumsq.json", x)
    x = copy.deepcopy(both); x["publish"]["msgs_per_s"] = "fast"; write("wrong-type.json", x)
    x = copy.deepcopy(both); x["publish"]["msgs_per_s"] *= 2; write("rate-disagrees.json", x)
    x = copy.deepcopy(both); x["latency_us"]["p90"] = 0; write("percentiles-unordered.json", x)
    x = copy.deepcopy(both); del x["warnings"]; del x["environment"]["pid"]; write("older-file.json", x)


if __name__ == "__main__":
    main()
