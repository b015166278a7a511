# deploy/kubernetes and the Dockerfile, checked offline (no cluster, no
# container runtime, no base image can be pulled here):
#   1. the manifests parse, hold indexed Jobs whose numbers agree with each
#      other and with mqttbench's flags, and use only the ConfigMap keys the
#      README creates;
#   2. with a kubectl on PATH, each manifest decodes into Kubernetes' own
#      typed objects (`kubectl set env --local`, no server) and loses no field
#      on the way (an unknown or misspelt field would be dropped); SKIP
#      without one (Debian 12's kubernetes-client is 1.20, older than indexed
#      Jobs);
#   3. every pod's command line runs as written against a real mosquitto:
#      JOB_COMPLETION_INDEX as the Job controller sets it, $(VAR) expanded as
#      the kubelet does, only -p, --count and --rate added (a test-sized
#      run); the pods' logs (stdout and stderr, as `kubectl logs` shows them)
#      go through `mqttbench merge` as the README says, with exact counts;
#   4. the Dockerfile's build stage builds from exactly the files it copies,
#      and its final stage installs the package of every library the binary
#      links.
# Not checked: scheduling, image pulls, the API server's admission and
# defaulting, RBAC, and the image build itself.
source tests/lib.sh

K=deploy/kubernetes
python3 -c 'import yaml' 2> /dev/null || { echo "SKIP kubernetes: needs python3-yaml"; exit 0; }

# --- 1. structure -----------------------------------------------------------
python3 - "$K" > "$TEST_TMP/structure.out" 2>&1 <<'EOF'
import re, sys, yaml
k = sys.argv[1]
readme = open(f"{k}/README.md").read()
jobs = {}
for name in ("pub", "sub"):
    docs = [d for d in yaml.safe_load_all(open(f"{k}/{name}-job.yaml")) if d]
    ok = len(docs) == 1 and docs[0].get("apiVersion") == "batch/v1" and docs[0].get("kind") == "Job"
    print(("PASS" if ok else "FAIL") + f" {name}-job.yaml: one batch/v1 Job")
    jobs[name] = docs[0]

def arg(args, flag):
    return args[args.index(flag) + 1] if flag in args else None

cm_keys = set(re.findall(r"--from-literal=([a-z-]+)=", readme))
for name, job in jobs.items():
    spec = job["spec"]
    pod = spec["template"]["spec"]
    c = pod["containers"][0]
    args = c["args"]
    n = spec.get("completions")
    checks = {
        "Indexed, completions = parallelism": spec.get("completionMode") == "Indexed" and n == spec.get("parallelism"),
        "--shard auto --shards = completions": arg(args, "--shard") == "auto" and arg(args, "--shards") == str(n),
        "no retries (backoffLimit 0, restartPolicy Never)": spec.get("backoffLimit") == 0 and pod.get("restartPolicy") == "Never",
        "a deadline": spec.get("activeDeadlineSeconds", 0) > 0,
        "result on stdout (--json -)": arg(args, "--json") == "-",
        "command is the image's entrypoint (args only)": "command" not in c and args[0] == name,
        "non-root": pod.get("securityContext", {}).get("runAsNonRoot") is True,
    }
    env = {e["name"]: e for e in c.get("env", [])}
    used = set(re.findall(r"\$\(([A-Z_]+)\)", " ".join(args)))
    checks["every $(VAR) in args is in env"] = used <= set(env)
    refs = {e["valueFrom"]["configMapKeyRef"]["key"] for e in env.values() if "valueFrom" in e}
    checks[f"ConfigMap keys {sorted(refs)} are the README's"] = refs <= cm_keys and "mqttbench-run" in readme
    for what, ok in checks.items():
        print(("PASS" if ok else "FAIL") + f" {name}-job.yaml: {what}")
pub, sub = (j["spec"]["template"]["spec"]["containers"][0]["args"] for j in (jobs["pub"], jobs["sub"]))
print(("PASS" if arg(pub, "--wait-subscribers") == str(jobs["sub"]["spec"]["completions"]) else "FAIL")
      + " pub's --wait-subscribers = the sub Job's completions")
print(("PASS" if arg(sub, "--expect-publishers") == str(jobs["pub"]["spec"]["completions"]) else "FAIL")
      + " sub's --expect-publishers = the pub Job's completions")
print(("PASS" if arg(pub, "--run-id") == arg(sub, "--run-id") and arg(pub, "-t") == arg(sub, "-t")
       and arg(pub, "-q") == arg(sub, "-q") else "FAIL") + " pub and sub share run id, topic and QoS")
images = {j["spec"]["template"]["spec"]["containers"][0]["image"] for j in jobs.values()}
mk = open("Makefile").read()
version = re.search(r"^VERSION\s*:=\s*(\S+)", mk, re.M).group(1)
ok = images == {f"mqttbench:{version}"} and "IMAGE     ?= mqttbench:$(VERSION)" in mk
print(("PASS" if ok else "FAIL") + f" the Jobs' image is what `make image` tags ({sorted(images)})")
EOF
cat "$TEST_TMP/structure.out"
FAILURES=$((FAILURES + $(grep -c '^FAIL' "$TEST_TMP/structure.out")))

# --- 2. Kubernetes' typed objects, offline -----------------------------------
if command -v kubectl > /dev/null 2>&1 && timeout 20 kubectl version --client > "$TEST_TMP/kv" 2>&1; then
    for f in pub-job.yaml sub-job.yaml; do
        timeout 30 kubectl set env --local -f "$K/$f" MB_TEST_MARK=1 -o json > "$TEST_TMP/$f.json" 2> "$TEST_TMP/$f.err"
        rc=$?
        out=$(python3 - "$K/$f" "$TEST_TMP/$f.json" <<'EOF'
import json, sys, yaml
src = yaml.safe_load(open(sys.argv[1]))
dst = json.load(open(sys.argv[2]))
for c in dst["spec"]["template"]["spec"]["containers"]:
    c["env"] = [e for e in c.get("env", []) if e["name"] != "MB_TEST_MARK"]
def lost(a, b, path):
    if isinstance(a, dict):
        if not isinstance(b, dict): return [path]
        return [p for k in a for p in lost(a[k], b.get(k, object()), f"{path}.{k}")]
    if isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b): return [path]
        return [p for i, x in enumerate(a) for p in lost(x, b[i], f"{path}[{i}]")]
    return [] if a == b else [path]
print(" ".join(lost(src, dst, "")) or "none")
EOF
)
        if [ "$rc" = 0 ] && [ "$out" = none ]; then
            pass "$f: decodes into Kubernetes' typed Job, no field lost ($(head -n 1 "$TEST_TMP/kv"))"
        else
            fail "$f: decodes into Kubernetes' typed Job, no field lost" "kubectl exit $rc: $(head -c 300 "$TEST_TMP/$f.err"); lost: $out"
        fi
    done
else
    echo "SKIP kubernetes: no kubectl on PATH: manifests not decoded into Kubernetes' types"
fi

# --- 3. the pods' command lines, run as written ------------------------------
# No queue limit: a stock mosquitto 2.0.11 may drop QoS 1 messages from many
# publishers to one subscriber (its default max_queued_messages 1000; see
# brokers.sh), and this checks the pods and the merge, not the broker.
start_broker "max_queued_messages 0" || exit 1
RUN=$(printf '6%07x' $(($$ & 0xfffffff)))
# pod_commands JOB: one line per pod: its JOB_COMPLETION_INDEX, then its argv
# (NUL-free, shell-quoted) with $(VAR) expanded from its env as the kubelet does.
pod_commands() {
    python3 - "$K/$1-job.yaml" "$RUN" <<'EOF'
import re, shlex, sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
c = job["spec"]["template"]["spec"]["containers"][0]
cm = {"broker": "127.0.0.1", "run-id": sys.argv[2]}
env = {e["name"]: e.get("value", cm.get(e.get("valueFrom", {}).get("configMapKeyRef", {}).get("key"))) for e in c["env"]}
for i in range(job["spec"]["completions"]):
    args = [re.sub(r"\$\(([A-Z_]+)\)", lambda m: env[m.group(1)], a) for a in c["args"]]
    print(i, shlex.join(args))
EOF
}
pids=() logs=()
for job in sub pub; do
    while read -r idx cmdline; do
        eval "set -- $cmdline"
        extra=(-p "$BROKER_PORT")
        [ "$job" = pub ] && extra+=(--count 3000 --rate 30k)
        log=$TEST_TMP/$job-$idx.log
        JOB_COMPLETION_INDEX=$idx timeout 60 "$MQTTBENCH" "$@" "${extra[@]}" > "$log" 2>&1 &
        pids+=($!) logs+=("$log")
    done < <(pod_commands "$job")
done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs="$rcs $?"; done
check_eq "pods as written: 2 sub pods and 3 pub pods exit 0" " 0 0 0 0 0" "$rcs"
[ "$rcs" = " 0 0 0 0 0" ] || tail -n 3 "${logs[@]}"
# The README's collection: the pods' logs one after the other, then merge.
cat "${logs[@]}" > "$TEST_TMP/run.log"
"$MQTTBENCH" merge "$TEST_TMP/run.log" -o "$TEST_TMP/total.json" > "$TEST_TMP/merge.out" 2>&1
check_eq "pods as written: merge of the logs exits 0" 0 "$?"
json_load "$TEST_TMP/total.json"
check_eq "pods as written: published, received (2 subscribers x 3000), lost, duplicates" "3000 6000 0 0" \
    "${J[publish.messages]} ${J[subscribe.messages]} ${J[subscribe.lost]} ${J[subscribe.duplicates]}"
check_eq "pods as written: merged config is the Jobs' run (12 publishers, 2 subscribers)" "both 12 2 5" \
    "${J[mode]} ${J[config.publishers]} ${J[config.subscribers]} $(json "$TEST_TMP/total.json" 'len(d["sources"])')"

# --- 4. the Dockerfile ----------------------------------------------------------
# The build stage's COPY sources, copied alone (what .dockerignore lets in),
# must build; the final stage must install every library the binary needs.
ctx=$TEST_TMP/context
mkdir -p "$ctx"
python3 - Dockerfile "$ctx" <<'EOF' > "$TEST_TMP/copies" 2>&1
import os, shutil, sys
lines = open(sys.argv[1]).read().replace("\\\n", " ").splitlines()
stage = 0
for l in lines:
    w = l.split()
    if not w: continue
    if w[0] == "FROM": stage += 1
    if w[0] == "COPY" and stage == 1 and not w[1].startswith("--from"):
        src, dst = w[1], os.path.join(sys.argv[2], w[1])
        os.makedirs(os.path.dirname(dst.rstrip("/")), exist_ok=True)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, dst.rstrip("/"))
        print(src)
EOF
check "Dockerfile: the build stage's COPY sources exist ($(tr '\n' ' ' < "$TEST_TMP/copies"))" \
    grep -qx 'src/' "$TEST_TMP/copies"
ignored=$(python3 - "$TEST_TMP/copies" <<'EOF'
import fnmatch, sys
pats = [l.strip() for l in open(".dockerignore") if l.strip() and not l.startswith("#")]
bad = []
for src in open(sys.argv[1]).read().split():
    keep = True
    for p in pats:
        neg = p.startswith("!")
        if fnmatch.fnmatch(src.rstrip("/"), p.lstrip("!").rstrip("/")): keep = neg
    if not keep: bad.append(src)
print(" ".join(bad))
EOF
)
check_eq "Dockerfile: .dockerignore lets every COPY source in" "" "$ignored"
env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$ctx" -j2 mqttbench GIT_REV=ctx SAN=0 > "$TEST_TMP/ctx.out" 2>&1
check "Dockerfile: the build stage builds from those files alone" "$ctx/mqttbench" --version
runtime=$(sed -n '/^FROM debian:12-slim$/,$p' Dockerfile | grep -o 'install -y --no-install-recommends [a-z0-9 .-]*' | tail -n 1)
missing=""
for lib in $(readelf -d "$ctx/mqttbench" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    case $lib in libc.so.*|libm.so.*|ld-linux*) continue ;; esac
    pkg=$(dpkg -S "$lib" 2> /dev/null | head -n 1 | cut -d: -f1)
    [[ " $runtime " == *" ${pkg:-?} "* ]] || missing="$missing $lib(${pkg:-?})"
done
check_eq "Dockerfile: the final stage installs the package of every library linked ($runtime)" "" "$missing"
finish
