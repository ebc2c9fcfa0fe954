#!/usr/bin/python3
"""deploy_check.py: the deployment files (deploy/k8s, deploy/container, deploy/systemd) parse
and refer only to things that exist: the image the Containerfile builds (lede:<project
version>), binaries that are built and installed, flags and LEDE_* variables that the
binaries' --help lists, ports that docs/PROTOCOL.md gives as defaults, probe paths the HTTP
endpoint serves (common/http.c), Service/HPA/PDB/NetworkPolicy selectors and targets that
match, Secret keys that exist, Debian 12 packages that exist and cover the binaries' shared
libraries. No container engine or cluster is needed.

The first deploy must come up: a broker is ready only once a worker has registered (its /readyz,
broker/broker_main.c), so workers must not reach brokers through anything that routes only to
ready pods. Brokers are a StatefulSet (two or more, active-active) with a headless Service that
publishes not-ready pods; every worker and the gateway list every broker replica by its own name.

Settings that the operations issue adds to broker and worker but that are not wired yet are
listed in PENDING; they are reported, not failed. Anything else unknown fails."""
import glob
import os
import re
import shutil
import subprocess
import sys

SRC = os.environ.get("LEDE_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("LEDE_BIN") or os.path.join(SRC, "build", "bin")

# Variables the deploy files may name before a binary reads them (none now: phase 2 of the
# operations issue wired them all). Remove a name from here once `--help` of its binary lists
# it: the test then checks it like the others.
PENDING = set()

errors, pending_used, checked = [], set(), [0]


def err(msg):
    errors.append(msg)


def ok(cond, msg):
    checked[0] += 1
    if not cond:
        err(msg)
    return cond


CI = os.environ.get("CI") == "true"


def missing(msg):
    """Exit 77 (skipped) saying why; under CI=true a missing program or binary fails."""
    if CI:
        print("FAIL: %s (CI=true: a missing program or binary is a failure, not a skip)" % msg)
        sys.exit(1)
    print("SKIP: " + msg)
    sys.exit(77)


try:
    import yaml
except ImportError:
    missing("python3-yaml is not installed (scripts/deps.sh installs it)")

for b in ("lede-broker", "lede-worker", "lede", "lede-gateway"):
    if not os.access(os.path.join(BIN, b), os.X_OK):
        missing("%s is not built in %s" % (b, BIN))
for tool in ("apt-cache", "readelf", "dpkg"):
    if CI and not shutil.which(tool):
        missing("%s is not installed: the package checks below need it" % tool)

# ---- what exists in the code ----
cmake = open(os.path.join(SRC, "CMakeLists.txt")).read()
VERSION = re.search(r"project\(lede VERSION ([0-9.]+)", cmake).group(1)
IMAGE = "lede:" + VERSION

_help = {}


def help_text(binary):
    if binary not in _help:
        p = subprocess.run([os.path.join(BIN, binary), "--help"], capture_output=True, text=True,
                           timeout=10)
        _help[binary] = p.stdout + p.stderr
    return _help[binary]


def known_env(binary):
    return set(re.findall(r"LEDE_[A-Z0-9_]+", help_text(binary)))


def known_flags(binary):
    return set(re.findall(r"--[a-z][a-z0-9-]*", help_text(binary)))


def check_env(binary, name, where):
    prefix = {"lede-broker": "LEDE_BROKER_", "lede-worker": "LEDE_WORKER_",
              "lede-gateway": "LEDE_GATEWAY_"}[binary]
    if not ok(name.startswith(prefix), "%s: %s is not a %s variable" % (where, name, binary)):
        return
    if name in known_env(binary):
        ok(name not in PENDING, "%s is now listed by %s --help: remove it from PENDING" %
           (name, binary))
    elif name in PENDING:
        pending_used.add(name)
    else:
        err("%s: %s is not a variable of %s (not in its --help)" % (where, name, binary))


def check_flags(binary, args, where):
    for a in args or []:
        if str(a).startswith("--"):
            flag = str(a).split("=", 1)[0]
            ok(flag in known_flags(binary), "%s: %s is not a flag of %s" % (where, flag, binary))


# defaults from docs/PROTOCOL.md's option table: | `--frontend EP` | `LEDE_BROKER_FRONTEND` | `tcp://*:5555` |
protocol = open(os.path.join(SRC, "docs", "PROTOCOL.md")).read()
DEFAULT = dict(re.findall(r"\|\s*`--[a-z-]+[^`]*`\s*\|\s*`(LEDE_[A-Z_]+)`\s*\|\s*`?([^`|]+?)`?\s*\|",
                          protocol))
FRONTEND_PORT = int(DEFAULT["LEDE_BROKER_FRONTEND"].rsplit(":", 1)[1])
BACKEND_PORT = int(DEFAULT["LEDE_BROKER_BACKEND"].rsplit(":", 1)[1])
http_c = open(os.path.join(SRC, "common", "http.c")).read()
PROBE_PATHS = {p for p in ("/healthz", "/readyz", "/metrics") if '"%s"' % p in http_c}
ok(PROBE_PATHS == {"/healthz", "/readyz", "/metrics"}, "common/http.c does not serve all paths")


METRICS_VAR = {"lede-broker": "LEDE_BROKER_METRICS", "lede-worker": "LEDE_WORKER_METRICS",
               "lede-gateway": "LEDE_GATEWAY_LISTEN"}  # the gateway serves probes on its port
# the broker's readiness waits for a worker (what makes the headless Service necessary)
broker_main = open(os.path.join(SRC, "broker", "broker_main.c")).read()
READY_WAITS_FOR_WORKERS = "no worker" in broker_main
gateway_c = open(os.path.join(SRC, "gateway", "gateway.c")).read()
ok(all('"%s"' % p in gateway_c for p in ("/healthz", "/readyz", "/metrics")),
   "gateway/gateway.c does not serve /healthz, /readyz and /metrics")


def port_of(addr):
    m = re.search(r":(\d+)$", addr or "")
    return int(m.group(1)) if m else None


def binary_of(command, where):
    if not ok(command and command[0].startswith("/usr/bin/"), "%s: command %s is not an "
              "installed binary" % (where, command)):
        return None
    b = os.path.basename(command[0])
    if not ok(b in ("lede-broker", "lede-worker", "lede-gateway"), "%s: unexpected binary %s" %
              (where, b)):
        return None
    return b


# ---- Kubernetes ----
k8s_dir = os.path.join(SRC, "deploy", "k8s")
docs = []
for path in sorted(glob.glob(os.path.join(k8s_dir, "*.yaml"))):
    with open(path) as f:
        for d in yaml.safe_load_all(f):
            if d:
                d["_file"] = os.path.basename(path)
                docs.append(d)
by_kind = {}
for d in docs:
    ok("apiVersion" in d and "kind" in d, "%s: a document without apiVersion/kind" % d["_file"])
    by_kind.setdefault(d.get("kind"), []).append(d)
for kind in ("Deployment", "StatefulSet", "Service", "HorizontalPodAutoscaler", "Secret",
             "NetworkPolicy", "Kustomization"):
    ok(kind in by_kind, "deploy/k8s has no %s" % kind)

kust = by_kind["Kustomization"][0]
for r in kust.get("resources", []):
    ok(os.path.exists(os.path.join(k8s_dir, r)), "kustomization: %s does not exist" % r)
for img in kust.get("images", []):
    ok("%s:%s" % (img.get("newName"), img.get("newTag")) == IMAGE,
       "kustomization image %s:%s is not %s" % (img.get("newName"), img.get("newTag"), IMAGE))

secrets = {s["metadata"]["name"]: set((s.get("stringData") or {}).keys()) |
           set((s.get("data") or {}).keys()) for s in by_kind["Secret"]}
# workloads: Deployments and StatefulSets (the brokers)
deployments = {d["metadata"]["name"]: d for d in by_kind["Deployment"] + by_kind.get("StatefulSet", [])}
statefulsets = {d["metadata"]["name"]: d for d in by_kind.get("StatefulSet", [])}
pod_labels = {n: d["spec"]["template"]["metadata"]["labels"] for n, d in deployments.items()}
container_ports = {}  # deployment -> {name: port}
metrics_port = {}     # binary -> port from LEDE_*_METRICS


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in (selector or {}).items())


for name, d in deployments.items():
    spec = d["spec"]
    ok(matches(spec["selector"]["matchLabels"], pod_labels[name]),
       "%s: selector does not match its pod labels" % name)
    pod = spec["template"]["spec"]
    ok(pod.get("securityContext", {}).get("runAsNonRoot") is True, "%s: not runAsNonRoot" % name)
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for c in pod["containers"]:
        where = "%s/%s" % (name, c["name"])
        ok(c.get("image") == IMAGE, "%s: image %s is not %s" % (where, c.get("image"), IMAGE))
        b = binary_of(c.get("command"), where)
        if not b:
            continue
        check_flags(b, c.get("args"), where)
        env = {}
        for e in c.get("env", []):
            check_env(b, e["name"], where)
            env[e["name"]] = e.get("value")
        ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        container_ports[name] = ports
        mvar = METRICS_VAR[b]
        mport = port_of(env.get(mvar))
        ok(mport is not None, "%s: no %s, so no /healthz or /readyz to probe" % (where, mvar))
        metrics_port[b] = mport
        if b == "lede-broker":
            ok(ports.get("frontend") == FRONTEND_PORT == port_of(env.get("LEDE_BROKER_FRONTEND")),
               "%s: frontend port is not PROTOCOL.md's %d" % (where, FRONTEND_PORT))
            ok(ports.get("backend") == BACKEND_PORT == port_of(env.get("LEDE_BROKER_BACKEND")),
               "%s: backend port is not PROTOCOL.md's %d" % (where, BACKEND_PORT))
        for probe in ("livenessProbe", "readinessProbe"):
            pr = c.get(probe)
            if not ok(pr and "httpGet" in pr, "%s: no HTTP %s" % (where, probe)):
                continue
            g = pr["httpGet"]
            ok(g["path"] in PROBE_PATHS, "%s: %s path %s is not served" % (where, probe, g["path"]))
            port = ports.get(g["port"], g["port"])
            ok(port == mport, "%s: %s port %s is not the metrics port %s" % (where, probe, port, mport))
        ok(c["livenessProbe"]["httpGet"]["path"] == "/healthz", "%s: liveness is not /healthz" % where)
        ok(c["readinessProbe"]["httpGet"]["path"] == "/readyz", "%s: readiness is not /readyz" % where)
        req = c.get("resources", {}).get("requests", {})
        ok("cpu" in req and "memory" in req, "%s: no cpu/memory requests" % where)
        sc = c.get("securityContext", {})
        ok(sc.get("allowPrivilegeEscalation") is False and sc.get("readOnlyRootFilesystem") is True,
           "%s: container securityContext not locked down" % where)
        mounted = {}
        for vm in c.get("volumeMounts", []):
            v = volumes.get(vm["name"])
            if not ok(v is not None, "%s: mounts unknown volume %s" % (where, vm["name"])):
                continue
            if "secret" in v:
                sn = v["secret"]["secretName"]
                ok(sn in secrets, "%s: secret %s does not exist" % (where, sn))
                for it in v["secret"].get("items", []):
                    ok(it["key"] in secrets.get(sn, ()), "%s: secret %s has no key %s" %
                       (where, sn, it["key"]))
                    mounted[os.path.join(vm["mountPath"], it["path"])] = it["key"]
        # every path under /etc/lede named by a variable or an argument is a mounted secret
        # file, or a mounted directory of .pub keys (--allow-clients, --allow-workers)
        dirs = {os.path.dirname(f) for f in mounted}
        named = [(k, v) for k, v in env.items()] + [("args", a) for a in c.get("args", [])]
        for k, v in named:
            if isinstance(v, str) and v.startswith("/etc/lede/"):
                is_dir = v in dirs and any(f.endswith(".pub") and os.path.dirname(f) == v
                                           for f in mounted)
                ok(v in mounted or is_dir, "%s: %s=%s is not a mounted secret file or key "
                   "directory" % (where, k, v))
        keys_mounted = any(k.endswith((".key", ".pub")) for k in mounted.values())
        ok(keys_mounted == ("--curve-secret" in (c.get("args") or []) or
                            any(k.endswith("_CURVE_SECRET") for k in env)),
           "%s: CURVE keys are mounted but not used (or the reverse)" % where)
        workload_binary = globals().setdefault("workload_binary", {})
        workload_binary[name] = (b, env)

services = {s["metadata"]["name"]: s for s in by_kind["Service"]}
for sname, s in services.items():
    targets = [n for n in deployments if matches(s["spec"]["selector"], pod_labels[n])]
    if not ok(len(targets) == 1, "service %s selects %d deployments" % (sname, len(targets))):
        continue
    ports = container_ports.get(targets[0], {})
    for p in s["spec"]["ports"]:
        tp = p.get("targetPort", p["port"])
        real = ports.get(tp, tp if tp in ports.values() else None)
        ok(real is not None, "service %s: targetPort %s is no container port" % (sname, tp))
        ok(real == p["port"], "service %s: port %s maps to %s (keep them equal)" %
           (sname, p["port"], real))

# the brokers: a StatefulSet of two or more behind a headless Service that publishes not-ready pods
broker_sts = [n for n, (b, _) in workload_binary.items() if b == "lede-broker"]
ok(len(broker_sts) == 1 and broker_sts[0] in statefulsets,
   "the brokers are not one StatefulSet (%s)" % broker_sts)
sts = statefulsets.get(broker_sts[0] if broker_sts else "", {"metadata": {"name": "?"}, "spec": {}})
replicas = sts["spec"].get("replicas", 1)
ok(replicas >= 2, "broker StatefulSet has %d replica(s); OPERATIONS.md runs two or more" % replicas)
ok(sts["spec"].get("podManagementPolicy") == "Parallel",
   "broker StatefulSet: podManagementPolicy is not Parallel (brokers need not wait for each other)")
peers = services.get(sts["spec"].get("serviceName"), {"spec": {}, "metadata": {"name": "?"}})
ok(peers["spec"].get("clusterIP") == "None",
   "the broker StatefulSet's serviceName %s is not a headless Service" % sts["spec"].get("serviceName"))
ok(peers["spec"].get("publishNotReadyAddresses") is True or not READY_WAITS_FOR_WORKERS,
   "headless Service %s does not publish not-ready brokers, and a broker is ready only once a "
   "worker registered: the first deploy would deadlock" % peers["metadata"]["name"])


def check_broker_list(where, value, port, port_name):
    """value lists every broker replica by its own name through the headless Service."""
    seen = set()
    for ep in value.split(","):
        m = re.match(r"tcp://([a-z0-9.-]+):(\d+)$", ep)
        if not ok(m, "%s: broker endpoint %s is not tcp://HOST:PORT" % (where, ep)):
            continue
        labels = m.group(1).split(".")
        pod = re.match(r"^(.*)-(\d+)$", labels[0])
        ok(len(labels) >= 2 and pod and pod.group(1) == sts["metadata"]["name"] and
           labels[1] == peers["metadata"]["name"],
           "%s: %s is not a broker pod by name (<statefulset>-N.%s): a Service routing only to "
           "ready brokers would deadlock the first deploy, and one address reaches one broker"
           % (where, ep, peers["metadata"]["name"]))
        if pod:
            seen.add(int(pod.group(2)))
        ok(int(m.group(2)) == port, "%s: %s is not the %s port %d" % (where, ep, port_name, port))
    ok(seen == set(range(replicas)), "%s: lists brokers %s, not every replica 0..%d" %
       (where, sorted(seen), replicas - 1))


for name, (b, env) in workload_binary.items():
    if b == "lede-worker":
        check_broker_list(name, env.get("LEDE_WORKER_BROKER", ""), BACKEND_PORT, "backend")
    elif b == "lede-gateway":
        check_broker_list(name, env.get("LEDE_GATEWAY_BROKER", ""), FRONTEND_PORT, "frontend")
        ok(env.get("LEDE_GATEWAY_TOKENS"), "%s: listens beyond loopback without "
           "LEDE_GATEWAY_TOKENS" % name)
gw_names = [n for n, (b, _) in workload_binary.items() if b == "lede-gateway"]
ok(gw_names, "deploy/k8s has no lede-gateway workload")
for n in gw_names:
    ok(any(h["spec"]["scaleTargetRef"]["name"] == n for h in by_kind["HorizontalPodAutoscaler"]),
       "no HorizontalPodAutoscaler for %s" % n)
    ok(any(len([d for d in deployments if matches(s["spec"]["selector"], pod_labels[d])]) == 1
           and matches(s["spec"]["selector"], pod_labels[n]) for s in services.values()),
       "no Service for %s" % n)
    # the brokers' NetworkPolicy admits the gateway on the frontend
    admitted = False
    for np in by_kind["NetworkPolicy"]:
        if not matches(np["spec"]["podSelector"].get("matchLabels", {}), pod_labels[broker_sts[0]]):
            continue
        for rule in np["spec"].get("ingress", []):
            if any(p["port"] == FRONTEND_PORT for p in rule.get("ports", [])):
                for peer in rule.get("from", []):
                    if matches(peer.get("podSelector", {}).get("matchLabels", {}), pod_labels[n]):
                        admitted = True
    ok(admitted, "the brokers' NetworkPolicy does not admit %s on the frontend" % n)

for hpa in by_kind["HorizontalPodAutoscaler"]:
    ref = hpa["spec"]["scaleTargetRef"]
    ok(ref["kind"] == "Deployment" and ref["name"] in deployments,
       "HPA %s targets unknown %s" % (hpa["metadata"]["name"], ref["name"]))
    ok(1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"], "HPA replica bounds")
for pdb in by_kind.get("PodDisruptionBudget", []):
    ok(any(matches(pdb["spec"]["selector"]["matchLabels"], l) for l in pod_labels.values()),
       "PDB %s selects no pods" % pdb["metadata"]["name"])
for np in by_kind["NetworkPolicy"]:
    sel = np["spec"]["podSelector"].get("matchLabels", {})
    targets = [n for n in deployments if matches(sel, pod_labels[n])]
    if not ok(len(targets) == 1, "NetworkPolicy %s selects %d deployments" %
              (np["metadata"]["name"], len(targets))):
        continue
    own = set(container_ports[targets[0]].values())
    for rule in np["spec"].get("ingress", []):
        for p in rule.get("ports", []):
            ok(p["port"] in own, "NetworkPolicy %s allows port %s the pod does not open" %
               (np["metadata"]["name"], p["port"]))
        for peer in rule.get("from", []):
            ps = peer.get("podSelector", {}).get("matchLabels", {})
            if "app.kubernetes.io/name" in ps:
                ok(any(matches(ps, l) for l in pod_labels.values()),
                   "NetworkPolicy %s: peer %s selects no pods" % (np["metadata"]["name"], ps))
    for rule in np["spec"].get("egress", []):
        for peer in rule.get("to", []):
            ps = peer.get("podSelector", {}).get("matchLabels", {})
            if "app.kubernetes.io/name" in ps:
                peers = [n for n in deployments if matches(ps, pod_labels[n])]
                ok(peers, "NetworkPolicy %s: egress peer %s selects no pods" %
                   (np["metadata"]["name"], ps))
                for p in rule.get("ports", []):
                    ok(any(p["port"] in container_ports[n].values() for n in peers),
                       "NetworkPolicy %s: egress port %s is not opened by %s" %
                       (np["metadata"]["name"], p["port"], peers))

# ---- compose ----
compose_path = os.path.join(SRC, "deploy", "container", "compose.yaml")
compose = yaml.safe_load(open(compose_path))
svcs = compose["services"]
for sname, s in svcs.items():
    where = "compose/" + sname
    ok(s.get("image") == IMAGE, "%s: image %s is not %s" % (where, s.get("image"), IMAGE))
    b = binary_of(s.get("command"), where)
    if not b:
        continue
    check_flags(b, s["command"][1:], where)
    env = s.get("environment", {})
    for k, v in env.items():
        check_env(b, k, where)
    mport = port_of(env.get(METRICS_VAR[b]))
    hc = " ".join(s.get("healthcheck", {}).get("test", []))
    ok(mport and ("/%d " % mport) in hc and "/healthz" in hc,
       "%s: the healthcheck does not ask /healthz on the metrics port %s" % (where, mport))
    for p in s.get("ports", []):
        cport = int(str(p).rsplit(":", 1)[1])
        ok(cport in ((FRONTEND_PORT, mport) if b == "lede-broker" else (mport,)),
           "%s: publishes port %d it does not serve" % (where, cport))
    if b == "lede-worker":
        m = re.match(r"tcp://([a-z0-9-]+):(\d+)$", env.get("LEDE_WORKER_BROKER", ""))
        ok(m and m.group(1) in svcs and int(m.group(2)) == BACKEND_PORT,
           "%s: LEDE_WORKER_BROKER does not name the broker service's backend" % where)
    elif b == "lede-gateway":
        m = re.match(r"tcp://([a-z0-9-]+):(\d+)$", env.get("LEDE_GATEWAY_BROKER", ""))
        ok(m and m.group(1) in svcs and int(m.group(2)) == FRONTEND_PORT,
           "%s: LEDE_GATEWAY_BROKER does not name the broker service's frontend" % where)
        ok(env.get("LEDE_GATEWAY_TOKENS") or (env.get("LEDE_GATEWAY_LISTEN") or "").startswith("127."),
           "%s: listens beyond loopback without LEDE_GATEWAY_TOKENS" % where)
    else:
        ok(port_of(env.get("LEDE_BROKER_FRONTEND")) == FRONTEND_PORT and
           port_of(env.get("LEDE_BROKER_BACKEND")) == BACKEND_PORT, "%s: broker ports" % where)
ok(os.path.normpath(os.path.join(os.path.dirname(compose_path), svcs["broker"]["build"]["context"],
   svcs["broker"]["build"]["dockerfile"])) == os.path.join(SRC, "deploy", "container", "Containerfile"),
   "compose: build does not point at deploy/container/Containerfile")

# ---- Containerfile ----
cf = open(os.path.join(SRC, "deploy", "container", "Containerfile")).read()
lines = re.sub(r"\\\n", " ", cf).splitlines()
froms = [l for l in lines if l.startswith("FROM ")]
ok(len(froms) >= 2, "Containerfile is not multi-stage")
ok(all(re.search(r"debian:(12|bookworm)", l) for l in froms), "Containerfile: not Debian 12")
stages = re.split(r"^FROM ", cf, flags=re.M)
final = stages[-1]
users = re.findall(r"^USER\s+(\S+)", final, re.M)
ok(users and users[-1].split(":")[0] not in ("0", "root"), "Containerfile: final stage runs as root")
exposed = {int(p) for l in lines if l.startswith("EXPOSE") for p in l.split()[1:]}
ok(exposed == {FRONTEND_PORT, BACKEND_PORT} | set(metrics_port.values()),
   "Containerfile EXPOSE %s != frontend, backend and metrics ports" % sorted(exposed))
ok(("-t %s" % IMAGE) in cf, "Containerfile: the build command does not tag %s" % IMAGE)
pkgs_by_stage = []
for st in stages[1:]:
    names = set()
    for m in re.finditer(r"apt-get install ([^&]*)", re.sub(r"\\\n", " ", st)):
        names |= {w for w in m.group(1).split() if not w.startswith("-")}
    pkgs_by_stage.append(names)
runtime_pkgs = pkgs_by_stage[-1]
if shutil.which("apt-cache"):
    allp = sorted(set().union(*pkgs_by_stage))
    p = subprocess.run(["apt-cache", "show", "--no-all-versions"] + allp, capture_output=True,
                       text=True)
    found = set(re.findall(r"^Package: (\S+)", p.stdout, re.M))
    ok(set(allp) <= found, "Containerfile: not Debian packages: %s" % sorted(set(allp) - found))
if shutil.which("readelf") and shutil.which("dpkg"):
    needed = {}
    for b in ("lede-broker", "lede-worker", "lede", "lede-gateway"):
        out = subprocess.run(["readelf", "-d", os.path.join(BIN, b)], capture_output=True,
                             text=True).stdout
        for lib in re.findall(r"\(NEEDED\).*\[(.+)\]", out):
            needed.setdefault(lib, []).append(b)
    # sanitizer runtimes (a -DLEDE_SANITIZE build) are not part of a release image
    libs = sorted(l for l in needed if not re.match(r"liblede|lib[alt]san|libubsan", l))
    owners = subprocess.run(["dpkg", "-S"] + ["*/" + l for l in libs], capture_output=True,
                            text=True).stdout
    for lib in libs:
        pk = {l.split(":")[0] for l in owners.splitlines()
              if ":" in l and l.rstrip().endswith("/" + lib)}
        ok(pk & (runtime_pkgs | {"libc6"}), "Containerfile runtime stage lacks %s (needed by "
           "%s; package %s)" % (lib, ", ".join(needed[lib]), sorted(pk)))

# ---- systemd env files and units ----
for path in glob.glob(os.path.join(SRC, "deploy", "systemd", "*.env")):
    base = os.path.basename(path)
    b = ("lede-broker" if "broker" in base else "lede-gateway" if "gateway" in base
         else "lede-worker")
    for m in re.finditer(r"^#?(LEDE_[A-Z0-9_]+)=", open(path).read(), re.M):
        check_env(b, m.group(1), os.path.basename(path))
for path in glob.glob(os.path.join(SRC, "deploy", "systemd", "*.service")):
    for m in re.finditer(r"^ExecStart=(\S+)", open(path).read(), re.M):
        ok(os.path.basename(m.group(1)) in ("lede-broker", "lede-worker", "lede-gateway") and
           m.group(1).startswith("/usr/bin/"), "%s: ExecStart %s" % (path, m.group(1)))

# ---- the one article limit: stated once (the engine header), the same everywhere ----
summ = open(os.path.join(SRC, "common", "article_limit.h")).read()
m = re.search(r"#define LEDE_DEFAULT_MAX_BODY \((\d+)u << (\d+)\)", summ)
ARTICLE = int(m.group(1)) << int(m.group(2)) if m else 0
ok(ARTICLE > 0, "common/article_limit.h: LEDE_DEFAULT_MAX_BODY not found")
wire_h = open(os.path.join(SRC, "proto", "wire.h")).read()
m = re.search(r"#define LEDE_WIRE_MAX_DEFAULT \((\d+)u \* 1024u \* 1024u\)", wire_h)
FRAME = int(m.group(1)) << 20 if m else 0
ok(FRAME == ARTICLE + (1 << 20), "proto/wire.h: frames (%d) are not the article limit (%d) + 1 MiB"
   % (FRAME, ARTICLE))


def default_of(binary, flag, args=("--help",)):
    p = subprocess.run([os.path.join(BIN, binary)] + list(args), capture_output=True, text=True,
                       timeout=10)
    m = re.search(re.escape(flag) + r" .*?\(default (\d+)", p.stdout + p.stderr)
    return int(m.group(1)) if m else None


ok(default_of("lede-worker", "--max-article-bytes") == ARTICLE,
   "lede-worker --max-article-bytes default is not the article limit %d" % ARTICLE)
ok(default_of("lede", "--max-bytes", ("summarize", "--help")) == ARTICLE,
   "lede summarize --max-bytes default is not the article limit %d" % ARTICLE)
ok(default_of("lede-worker", "--max-message") == FRAME, "lede-worker --max-message is not %d" % FRAME)
ok(default_of("lede-broker", "--max-msg-bytes") == FRAME, "lede-broker --max-msg-bytes is not %d"
   % FRAME)
ok(DEFAULT.get("LEDE_BROKER_MAX_MSG_BYTES") == str(FRAME),
   "docs/PROTOCOL.md gives --max-msg-bytes %s, the code %d" % (DEFAULT.get("LEDE_BROKER_MAX_MSG_BYTES"),
                                                               FRAME))
ok((default_of("lede-gateway", "--max-body-bytes") or 0) >= 2 * ARTICLE,
   "lede-gateway --max-body-bytes cannot carry a JSON-escaped article of the limit")
ok("at most 16 MiB (%s bytes)" % format(ARTICLE, ",") in protocol and ARTICLE == 16 << 20,
   "docs/PROTOCOL.md does not state the article limit of %d bytes" % ARTICLE)
for doc in ("README.md", "docs/OPERATIONS.md", "docs/RELIABILITY.md", "docs/PROTOCOL.md"):
    text = open(os.path.join(SRC, doc)).read()
    for other in re.findall(r"(\d+) MiB (?:article|articles|of body)", text):
        ok(int(other) << 20 == ARTICLE, "%s states a %s MiB article limit" % (doc, other))
    ok("67108864" not in text and "64 MiB article" not in text, "%s still gives 64 MiB" % doc)
for path in glob.glob(os.path.join(SRC, "deploy", "*", "*")):
    if os.path.isfile(path):
        for var, val in re.findall(r"(LEDE_[A-Z_]*(?:MAX_ARTICLE_BYTES|MAX_MSG_BYTES|MAX_MESSAGE))"
                                   r"[=:\s\"]+(\d+)", open(path, errors="replace").read()):
            want = ARTICLE if "ARTICLE" in var else FRAME
            ok(int(val) == want, "%s: %s=%s, the code's default is %d" % (path, var, val, want))

print("checked %d facts over %d Kubernetes documents, compose, Containerfile, systemd files" %
      (checked[0], len(docs)))
if pending_used:
    print("PENDING (not yet wired into broker/worker, see PENDING in this file): " +
          ", ".join(sorted(pending_used)))
if errors:
    print("FAIL:\n  " + "\n  ".join(errors))
    sys.exit(1)
print("PASS")
