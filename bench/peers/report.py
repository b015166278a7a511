#!/usr/bin/env python3
"""report.py — the tables (and the JSON summary) of bench/peers.sh.

Reads what peers.sh wrote: the machine lines, the rows (row=NAME tool=TOOL
flags=...), and one line per run (row=NAME round=N status=... key=value ...
[why=free text]). Prints per-run figures, the medians per row, mqttbench's
ratios to every other row and the issue 10 targets. Definitions: the header
of bench/peers.sh.
"""
import argparse
import datetime
import json
import statistics
import sys

T_QOS0_RATE = 1.1   # mqttbench received msgs/s / MQTT.js's  >=
T_QOS0_CPU = 1.0    # mqttbench client CPU per message / MQTT.js's  <=
T_QOS12_RATE = 0.9  # mqttbench defaults / the best mqttbench variant  >=


def parse_line(line):
    """key=value tokens; why= takes the rest of the line."""
    d = {}
    rest = line.strip()
    while rest:
        if rest.startswith("why="):
            d["why"] = rest[4:]
            break
        tok, _, rest = rest.partition(" ")
        k, _, v = tok.partition("=")
        d[k] = v
        rest = rest.lstrip()
    return d


def parse_rows(path):
    rows = []
    for line in open(path):
        if not line.strip():
            continue
        name_tool, _, flags = line.rstrip("\n").partition(" flags=")
        d = parse_line(name_tool)
        rows.append({"name": d["row"], "tool": d["tool"], "flags": flags.strip()})
    return rows


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def per_msg_us(seconds, received):
    s, n = num(seconds), num(received)
    return s * 1e6 / n if s is not None and n else None


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--machine", required=True)
    ap.add_argument("--rows", required=True)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--qos", type=int, required=True)
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--out")
    a = ap.parse_args()

    machine = [l.rstrip("\n") for l in open(a.machine)]
    rows = parse_rows(a.rows)
    runs = []
    for line in open(a.runs):
        if not line.strip():
            continue
        d = parse_line(line)
        r = {"row": d.get("row"), "round": int(d.get("round", 0)), "status": d.get("status")}
        if r["status"] == "ok":
            r.update({
                "received": int(d["received"]) if d.get("received", "").isdigit() else None,
                "lost": int(d["lost"]) if d.get("lost", "").lstrip("-").isdigit() else None,
                "msgs_per_s": num(d.get("rate")),
                "client_cpu_s": num(d.get("client_cpu_s")),
                "startup_cpu_s": num(d.get("startup_cpu_s")),
                "broker_cpu_s": num(d.get("broker_cpu_s")),
                "peak_rss_kb": num(d.get("peak_rss_kb")),
                "sys_dropped": num(d.get("sys_dropped")),
            })
            r["client_cpu_us_per_msg"] = per_msg_us(r["client_cpu_s"], r["received"])
            r["broker_cpu_us_per_msg"] = per_msg_us(r["broker_cpu_s"], r["received"])
        if "why" in d:
            r["why"] = d["why"]
        runs.append(r)

    out = sys.stdout
    for l in machine:
        print(l, file=out)
    print("  workload       %d x %d-byte QoS %d, 1 publisher -> 1 subscriber, %d round(s), rows interleaved"
          % (a.count, a.size, a.qos, a.rounds), file=out)
    for r in rows:
        if r["flags"]:
            print("  row %-15s mqttbench both %s" % (r["name"], r["flags"]), file=out)
    print("  received msgs/s = received / (first sent -> last received); CPU µs per message received;",
          file=out)
    print("  client CPU: mqttbench and probe whole processes, MQTT.js without Node's start-up;", file=out)
    print("  peak RSS: sum of the publisher's and the subscriber's for two-process tools.", file=out)
    print(file=out)

    head = "  %-6s %-16s %12s %9s %11s %11s %10s %9s  %s"
    print(head % ("round", "row", "recv msgs/s", "lost", "client µs", "broker µs", "RSS kB",
                  "$SYS drop", "note"), file=out)
    for r in runs:
        if r["status"] != "ok":
            print(head % (r["round"], r["row"], "-", "-", "-", "-", "-", "-",
                          "%s: %s" % (r["status"], r.get("why", ""))), file=out)
            continue
        print(head % (r["round"], r["row"], fmt(r["msgs_per_s"], ",.0f"), fmt(r["lost"], "d"),
                      fmt(r["client_cpu_us_per_msg"], ".3f"), fmt(r["broker_cpu_us_per_msg"], ".3f"),
                      fmt(r["peak_rss_kb"], ",.0f"), fmt(r["sys_dropped"], ".0f"),
                      r.get("why", "")), file=out)

    def median(name, key):
        vals = [r[key] for r in runs if r["row"] == name and r["status"] == "ok" and r.get(key) is not None]
        return statistics.median(vals) if vals else None

    medians = {}
    for row in rows:
        n = row["name"]
        ok = [r for r in runs if r["row"] == n and r["status"] == "ok"]
        lost = [r["lost"] for r in ok if r["lost"] is not None]
        medians[n] = {
            "runs": len(ok),
            "msgs_per_s": median(n, "msgs_per_s"),
            "client_cpu_us_per_msg": median(n, "client_cpu_us_per_msg"),
            "broker_cpu_us_per_msg": median(n, "broker_cpu_us_per_msg"),
            "peak_rss_kb": median(n, "peak_rss_kb"),
            "lost_total": sum(lost) if lost else None,
        }
    print(file=out)
    print("  medians", file=out)
    head = "  %-23s %5s %12s %11s %11s %10s %11s"
    print(head % ("row", "runs", "recv msgs/s", "client µs", "broker µs", "RSS kB", "lost (sum)"), file=out)
    for row in rows:
        m = medians[row["name"]]
        print(head % (row["name"], m["runs"], fmt(m["msgs_per_s"], ",.0f"),
                      fmt(m["client_cpu_us_per_msg"], ".3f"), fmt(m["broker_cpu_us_per_msg"], ".3f"),
                      fmt(m["peak_rss_kb"], ",.0f"), fmt(m["lost_total"], "d")), file=out)

    def ratio(x, y):
        return x / y if x is not None and y else None

    ratios = {}
    mb = medians.get("mqttbench")
    if mb:
        print(file=out)
        print("  mqttbench / row          rate ratio   client CPU ratio", file=out)
        for row in rows:
            if row["name"] == "mqttbench":
                continue
            m = medians[row["name"]]
            ratios[row["name"]] = {
                "msgs_per_s": ratio(mb["msgs_per_s"], m["msgs_per_s"]),
                "client_cpu_per_msg": ratio(mb["client_cpu_us_per_msg"], m["client_cpu_us_per_msg"]),
            }
            print("  %-23s %11s %18s" % (row["name"], fmt(ratios[row["name"]]["msgs_per_s"], ".3f"),
                                          fmt(ratios[row["name"]]["client_cpu_per_msg"], ".3f")), file=out)

    targets = []

    def target(name, value, op, limit):
        if value is None:
            res = "-"
        else:
            res = "PASS" if (value >= limit if op == ">=" else value <= limit) else "MISS"
        targets.append({"name": name, "value": value, "op": op, "target": limit, "result": res})

    if mb:
        if a.qos == 0 and "mqttjs" in ratios:
            target("received msgs/s, mqttbench / MQTT.js", ratios["mqttjs"]["msgs_per_s"], ">=", T_QOS0_RATE)
            target("client CPU per message, mqttbench / MQTT.js",
                   ratios["mqttjs"]["client_cpu_per_msg"], "<=", T_QOS0_CPU)
        if a.qos in (1, 2):
            alts = [medians[r["name"]]["msgs_per_s"] for r in rows
                    if r["tool"] == "mqttbench" and r["name"] != "mqttbench"
                    and medians[r["name"]]["msgs_per_s"] is not None]
            best = max(alts) if alts else None
            target("received msgs/s, mqttbench / best mqttbench-alt (MB_ALT_FLAGS)",
                   ratio(mb["msgs_per_s"], best), ">=", T_QOS12_RATE)
        target("messages lost by mqttbench, all rounds", mb["lost_total"], "<=", 0)
    if targets:
        print(file=out)
        mb_flags = next((r["flags"] for r in rows if r["name"] == "mqttbench"), "")
        if mb_flags:
            print("  targets (issue 10; judged on the row mqttbench, which ran with MB_FLAGS,"
                  " not mqttbench's defaults)", file=out)
        else:
            print("  targets (issue 10, mqttbench's default options)", file=out)
        for t in targets:
            label = t["name"]
            print("  %-62s %9s  %s %-5g %s" % (label, fmt(t["value"], ".3f") if t["name"][:8] != "messages"
                                                else fmt(t["value"], "d"), t["op"], t["target"], t["result"]),
                  file=out)
    print(file=out)

    if a.out:
        doc = {
            "schema": "mqttbench.peers.v1",
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "machine": [l.strip() for l in machine[1:]],
            "config": {"count": a.count, "size": a.size, "qos": a.qos, "rounds": a.rounds, "rows": rows},
            "runs": runs,
            "medians": medians,
            "ratios": ratios,
            "targets": targets,
        }
        with open(a.out, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        print("peers: JSON summary written to %s" % a.out, file=sys.stderr)


if __name__ == "__main__":
    main()
