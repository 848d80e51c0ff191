"""Load benchmark of the memory service: 50 concurrent clients on loopback against in-process memory.

One run, the same operation list for every system:

* ``server``: ``agentmem serve --http`` in its own process, ``--clients`` concurrent asyncio
  clients (:func:`agentmem.connect_async`), each with its tenant's write key (``--tenants``
  tenants; a key reaches only its own namespace);
* ``service-in-process``: the same :class:`~agentmem.server.service.HomeService` (same
  controller write path, same group commit) called from ``--clients`` threads, no HTTP;
* ``memory-in-process``: the library's :class:`~agentmem.memory.Memory` over a
  :class:`~agentmem.stores.facts.FactStore`, one thread (``Memory.remember`` is the same
  controller edit as the service's, one transaction per write: no group commit, no HTTP).

The mix is ``--recall-share`` recalls (default 80%) and the rest ``remember`` writes, over
``--requests`` operations (default 20,000). Reported: throughput, latency p50/p95/p99 per
operation, **lost acknowledged writes** (every id a ``remember`` returned is looked up
afterwards) and **cross-namespace reads** (every recalled non-skill item must be in the
caller's namespace; the fact texts of all tenants are alike, so a leak would show).

Then the crash test: the server is restarted on the same home, ``--clients`` clients write,
the server gets SIGKILL once ``--kill-after-acks`` writes were acknowledged (others in flight),
is started again, and every acknowledged id is looked up.

Embeddings are the hash embedder (``AGENTMEM_EMBEDDER__BACKEND=hash``) and the in-memory
index, so the figures measure the service, not MiniLM (about 35 texts/s on this CPU, which
would cap any system at that rate). Usage::

    python benchmarks/server_load_bench.py                    # 20,000 requests, 50 clients
    python benchmarks/server_load_bench.py --requests 2000    # a quick check
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

COLORS = ["red", "blue", "green", "black", "white", "yellow", "grey", "brown"]
THINGS = ["umbrella", "laptop", "passport", "keys", "notebook", "charger", "wallet", "badge"]
PLACES = ["drawer", "car", "office", "kitchen", "backpack", "locker", "shelf", "garage"]


def fact_text(rng: random.Random, tenant: int, j: int) -> str:
    return f"The {rng.choice(COLORS)} {rng.choice(THINGS)} of project {j % 17} is in the {rng.choice(PLACES)} (note {tenant}-{j})"


def query_text(rng: random.Random) -> str:
    return f"where is the {rng.choice(COLORS)} {rng.choice(THINGS)} of project {rng.randrange(17)}?"


def make_ops(n: int, tenants: int, recall_share: float, seed: int) -> list[tuple[str, int, str]]:
    """``(op, tenant, text)`` for every request, identical for every system."""
    rng = random.Random(seed)
    ops = []
    for j in range(n):
        t = rng.randrange(tenants)
        ops.append(("recall", t, query_text(rng)) if rng.random() < recall_share else ("remember", t, fact_text(rng, t, j)))
    return ops


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTMEM_")}
    env.update(AGENTMEM_HOME=str(home), AGENTMEM_EMBEDDER__BACKEND="hash", AGENTMEM_INDEX__BACKEND="memory", AGENTMEM_BLOCK_REAL_LLM="1",
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return env


def start_server(home: Path, port: int) -> subprocess.Popen:
    import httpx

    log = open(home / "server.log", "ab")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen([sys.executable, "-m", "agentmem", "serve", "--http", "--port", str(port)], env=env_for(home), cwd=str(REPO), stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {home / 'server.log'}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start in 120 s")


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settings_for(home: Path):  # noqa: ANN201
    from agentmem.settings import Settings

    return Settings.load(home=home, embedder={"backend": "hash"}, index={"backend": "memory"}).ensure_home()


class Tally:
    def __init__(self) -> None:
        self.lat: dict[str, list[float]] = {"recall": [], "remember": []}
        self.acked: list[tuple[int, str]] = []  # (tenant, id)
        self.cross = 0
        self.recalled_items = 0
        self.errors: dict[str, int] = {}
        self.lock = threading.Lock()

    def recall(self, ms: float, tenant: int, namespaces: list[str]) -> None:
        with self.lock:
            self.lat["recall"].append(ms)
            self.recalled_items += len(namespaces)
            self.cross += sum(1 for ns in namespaces if ns != f"t{tenant}/default")

    def remember(self, ms: float, tenant: int, item_id: str) -> None:
        with self.lock:
            self.lat["remember"].append(ms)
            self.acked.append((tenant, item_id))

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1

    def summary(self, wall: float) -> dict:
        n = sum(len(v) for v in self.lat.values())
        out = {"requests_ok": n, "wall_s": wall, "throughput_rps": n / wall if wall else 0.0, "cross_namespace_items": self.cross,
               "recalled_items_checked": self.recalled_items, "errors": self.errors, "acked_writes": len(self.acked)}
        for op, v in self.lat.items():
            out[op] = {"n": len(v), "p50_ms": pct(v, 50), "p95_ms": pct(v, 95), "p99_ms": pct(v, 99)}
        allv = self.lat["recall"] + self.lat["remember"]
        out["all"] = {"p50_ms": pct(allv, 50), "p95_ms": pct(allv, 95), "p99_ms": pct(allv, 99)}
        return out


def _non_skill_namespaces(ctx) -> list[str]:  # noqa: ANN001
    return [r.record.namespace for r in ctx.items if r.record.store != "skills"]


# ---- systems ------------------------------------------------------------------------------------
async def drive_server(url: str, tokens: list[str], ops: list[tuple[str, int, str]], clients: int, tally: Tally, stop: threading.Event | None = None) -> float:
    import agentmem

    queue: asyncio.Queue = asyncio.Queue()
    for op in ops:
        queue.put_nowait(op)
    mems = [agentmem.connect_async(url, tok, timeout=120) for tok in tokens]

    async def worker() -> None:
        while not queue.empty():
            if stop is not None and stop.is_set():
                return
            op, t, text = queue.get_nowait()
            t0 = time.perf_counter()
            try:
                if op == "recall":
                    ctx = await mems[t].recall(text)
                    tally.recall(1000 * (time.perf_counter() - t0), t, _non_skill_namespaces(ctx))
                else:
                    item_id = await mems[t].remember(text)
                    tally.remember(1000 * (time.perf_counter() - t0), t, item_id)
            except Exception as exc:  # noqa: BLE001 - counted, the run goes on
                tally.error(f"{op}: {type(exc).__name__}")
                if stop is not None:
                    await asyncio.sleep(0.05)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    wall = time.perf_counter() - t0
    for m in mems:
        await m.aclose()
    return wall


def run_service_threads(home: Path, ops: list[tuple[str, int, str]], clients: int, tally: Tally, budget_s: float = float("inf")) -> float:
    from agentmem.server.service import HomeService

    svc = HomeService(settings_for(home))
    it = iter(ops)
    lock = threading.Lock()

    t_end = time.perf_counter() + budget_s

    def worker() -> None:
        while time.perf_counter() < t_end:
            with lock:
                op = next(it, None)
            if op is None:
                return
            kind, t, text = op
            t0 = time.perf_counter()
            if kind == "recall":
                ctx = svc.recall(text, namespace=f"t{t}/default")
                tally.recall(1000 * (time.perf_counter() - t0), t, _non_skill_namespaces(ctx))
            else:
                item_id = svc.remember(text, namespace=f"t{t}/default")
                tally.remember(1000 * (time.perf_counter() - t0), t, item_id)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    svc.close()
    return wall


def run_memory(home: Path, ops: list[tuple[str, int, str]], tally: Tally, budget_s: float = float("inf")) -> float:
    from agentmem.memory import Memory
    from agentmem.stores.facts import FactStore

    settings = settings_for(home)
    mem = Memory.from_settings(settings, [FactStore.from_settings(settings)])
    t0 = time.perf_counter()
    for kind, t, text in ops:
        if time.perf_counter() - t0 > budget_s:
            break
        s = time.perf_counter()
        if kind == "recall":
            ctx = mem.recall(text, namespace=f"t{t}/default")
            tally.recall(1000 * (time.perf_counter() - s), t, _non_skill_namespaces(ctx))
        else:
            item_id = mem.remember(text, namespace=f"t{t}/default")
            tally.remember(1000 * (time.perf_counter() - s), t, item_id)
    return time.perf_counter() - t0


def count_present(home: Path, acked: list[tuple[int, str]]) -> int:
    """Acknowledged ids found in the fact files of ``home`` (read from disk, after the run)."""
    from agentmem.stores.facts import FactStore
    from agentmem.testing import HashEmbedder

    store = FactStore(home / "stores" / "facts", HashEmbedder())
    return sum(1 for t, i in acked if (item := store.get(i)) is not None and item.namespace == f"t{t}/default")


# ---- main -------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--tenants", type=int, default=10)
    ap.add_argument("--recall-share", type=float, default=0.8)
    ap.add_argument("--seed-facts", type=int, default=20, help="facts per tenant written before the timed run")
    ap.add_argument("--kill-after-acks", type=int, default=100, help="crash test: SIGKILL once this many writes were acknowledged (writes still in flight)")
    ap.add_argument("--kill-timeout", type=float, default=300.0, help="crash test: SIGKILL after this many seconds at the latest")
    ap.add_argument("--systems", nargs="+", default=["server", "service-in-process", "memory-in-process"])
    ap.add_argument("--budget-s", type=float, default=float("inf"), help="stop a system after this many seconds; the report says how many of the requests ran")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", default="/tmp/agentmem-server-load")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = ap.parse_args()

    from agentmem.server.keys import KeyStore

    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    ops = make_ops(args.requests, args.tenants, args.recall_share, args.seed)
    seed_rng = random.Random(args.seed + 1)
    seed_ops = [("remember", t, fact_text(seed_rng, t, 10_000_000 + j)) for t in range(args.tenants) for j in range(args.seed_facts)]
    results: dict = {"config": {k: v for k, v in vars(args).items() if k not in {"out", "workdir"}}, "load_start": os.getloadavg(), "cpus": os.cpu_count()}

    for system in args.systems:
        home = work / system
        home.mkdir(parents=True)
        tally = Tally()
        print(f"[{time.strftime('%H:%M:%S')}] {system}: {len(ops)} requests ...", flush=True)
        if system == "server":
            keys = KeyStore(home)
            tokens = [keys.create(f"t{t}", "write", rate_per_s=1e6, burst=10**6).token for t in range(args.tenants)]
            port = free_port()
            proc = start_server(home, port)
            url = f"http://127.0.0.1:{port}"
            asyncio.run(drive_server(url, tokens, seed_ops, args.clients, Tally()))
            srv0, cli0 = proc_cpu_s(proc.pid), time.process_time()
            budget = threading.Event()
            timer = threading.Timer(min(args.budget_s, 1e7), budget.set)
            timer.daemon = True
            timer.start()
            wall = asyncio.run(drive_server(url, tokens, ops, args.clients, tally, stop=budget))
            timer.cancel()
            alive = proc.poll() is None
            cpu = {"server_cpu_s": proc_cpu_s(proc.pid) - srv0, "client_cpu_s": time.process_time() - cli0}
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        elif system == "service-in-process":
            from agentmem.server.service import HomeService

            svc = HomeService(settings_for(home))
            for _, t, text in seed_ops:
                svc.remember(text, namespace=f"t{t}/default")
            svc.close()
            c0 = time.process_time()
            wall = run_service_threads(home, ops, args.clients, tally, args.budget_s)
            cpu = {"process_cpu_s": time.process_time() - c0}
            alive = True
        else:
            from agentmem.memory import Memory
            from agentmem.stores.facts import FactStore

            settings = settings_for(home)
            m = Memory.from_settings(settings, [FactStore.from_settings(settings)])
            for _, t, text in seed_ops:
                m.remember(text, namespace=f"t{t}/default")
            c0 = time.process_time()
            wall = run_memory(home, ops, tally, args.budget_s)
            cpu = {"process_cpu_s": time.process_time() - c0}
            alive = True
        summary = tally.summary(wall)
        summary["present_after"] = count_present(home, tally.acked)
        summary["lost_acked_writes"] = len(tally.acked) - summary["present_after"]
        summary["server_stayed_up"] = alive
        summary["requested"] = len(ops)
        summary["cpu"] = cpu
        summary["load_after"] = os.getloadavg()
        results[system] = summary
        print("   ", json.dumps({k: v for k, v in summary.items()}, default=str), flush=True)
        if system == "server":
            crash_test(args, work, results)
        write_results(results, args)  # after every system: a run cut short keeps what it measured

    write_results(results, args, final=True)



def crash_test(args: argparse.Namespace, work: Path, results: dict) -> None:
    """Restart the server on the same home, write under load, SIGKILL mid-load, restart, count."""
    from agentmem.server.keys import KeyStore

    # Crash test: restart on the same home, write under load, SIGKILL mid-load, restart, count.
    home = work / "server"
    keys = KeyStore(home)
    tokens = [keys.create(f"t{t}", "write", rate_per_s=1e6, burst=10**6).token for t in range(args.tenants)]
    port = free_port()
    proc = start_server(home, port)
    url = f"http://127.0.0.1:{port}"
    rng = random.Random(args.seed + 2)
    writes = [("remember", t, fact_text(rng, t, 20_000_000 + j)) for j in range(100_000) for t in [rng.randrange(args.tenants)]]
    tally = Tally()
    killed = threading.Event()
    killed_after: dict[str, float] = {}

    def kill_when_acked() -> None:
        # SIGKILL once --kill-after-acks writes were acknowledged (or after --kill-timeout s), with writes still in flight.
        t_start = time.time()
        while time.time() - t_start < args.kill_timeout and len(tally.acked) < args.kill_after_acks:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        killed_after.update(seconds=time.time() - t_start, acked_at_kill=len(tally.acked))
        killed.set()

    killer = threading.Thread(target=kill_when_acked, daemon=True)
    killer.start()
    print(f"[{time.strftime('%H:%M:%S')}] crash test: SIGKILL after {args.kill_after_acks} acknowledged writes ...", flush=True)
    asyncio.run(drive_server(url, tokens, writes, args.clients, tally, stop=killed))
    killer.join()
    proc.wait(timeout=30)
    killed_rc = proc.returncode
    proc2 = start_server(home, port)
    present_via_api = 0
    import agentmem

    admin = keys.create("*", "admin").token
    with agentmem.connect(url, admin) as mem:
        for t, item_id in tally.acked:
            try:
                rec = mem.item("facts", item_id)
                present_via_api += int(rec.namespace == f"t{t}/default")
            except Exception:  # noqa: BLE001 - counted as missing
                pass
    proc2.send_signal(signal.SIGTERM)
    proc2.wait(timeout=60)
    results["crash"] = {"kill_after_s": killed_after.get("seconds", 0.0), "acked_at_kill": killed_after.get("acked_at_kill", 0), "server_exit_code": killed_rc, "acked_writes": len(tally.acked),
                        "present_after_restart": present_via_api, "lost_acked_writes": len(tally.acked) - present_via_api,
                        "failed_in_flight": sum(tally.errors.values())}
    print("    crash:", json.dumps(results["crash"]), flush=True)



def write_results(results: dict, args: argparse.Namespace, final: bool = False) -> None:
    results["load_end"] = os.getloadavg()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "server_load.json").write_text(json.dumps(results, indent=2, default=str))
    md = report(results, args)
    (out / "server_load.md").write_text(md)
    if final:
        print(md)


def _cpu(c: dict) -> str:
    if "server_cpu_s" in c:
        return f"server {c['server_cpu_s']:.0f} + clients {c['client_cpu_s']:.0f}"
    return f"{c['process_cpu_s']:.0f}" if "process_cpu_s" in c else ""


def report(r: dict, args: argparse.Namespace) -> str:
    la, lb = r["load_start"], r["load_end"]
    lines = [
        "# Memory service under load: server vs in-process",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {r['cpus']} CPU cores shared with other jobs (load average {la[0]:.1f} at the start, "
        f"{lb[0]:.1f} at the end), so absolute timings are noisy; the systems ran one after another in the same run. "
        f"Command: `python benchmarks/server_load_bench.py {' '.join(sys.argv[1:])}`.",
        "",
        f"{args.requests:,} requests ({args.recall_share:.0%} recall, the rest remember), {args.clients} concurrent clients, {args.tenants} tenants "
        f"(one namespace and one write key each), {args.seed_facts} facts per tenant written first. Hash embedder and in-memory index "
        "(the service, not MiniLM, is measured). The server and its clients share the same cores.",
        "",
        "| system | ok requests | wall (s) | CPU (s) | throughput (req/s) | recall p50 / p95 / p99 (ms) | remember p50 / p95 / p99 (ms) | acknowledged writes | lost | cross-namespace items (of checked) | errors | stayed up |",
        "|---|---:|---:|---|---:|---|---|---:|---:|---|---|---|",
    ]
    for name in ("server", "service-in-process", "memory-in-process"):
        s = r.get(name)
        if not s:
            continue
        rc, rm = s["recall"], s["remember"]
        lines.append(
            f"| {name} | {s['requests_ok']:,}{'' if s.get('requested', s['requests_ok']) <= s['requests_ok'] + sum((s['errors'] or {}).values()) else ' of ' + format(s['requested'], ',') + ' (time budget)'} | {s['wall_s']:.1f} | {_cpu(s.get('cpu', {}))} | {s['throughput_rps']:.0f} | {rc['p50_ms']:.1f} / {rc['p95_ms']:.1f} / {rc['p99_ms']:.1f} | "
            f"{rm['p50_ms']:.1f} / {rm['p95_ms']:.1f} / {rm['p99_ms']:.1f} | {s['acked_writes']:,} | {s['lost_acked_writes']} | {s['cross_namespace_items']} (of {s['recalled_items_checked']:,}) | "
            f"{s['errors'] or 0} | {'yes' if s['server_stayed_up'] else 'NO'} |"
        )
    c = r.get("crash")
    if c:
        lines += [
            "",
            "## SIGKILL under write load",
            "",
            f"The server was restarted on the same home, {args.clients} clients wrote facts, and the server got SIGKILL {c['kill_after_s']:.1f} s later, once "
            f"{c['acked_at_kill']} writes had been acknowledged, with others in flight (exit code {c['server_exit_code']}). After a restart every acknowledged id "
            "(including any acknowledged between the kill decision and the signal) was looked up through the API.",
            "",
            "| acknowledged writes | present after restart | lost | requests failed in flight (never acknowledged) |",
            "|---:|---:|---:|---:|",
            f"| {c['acked_writes']:,} | {c['present_after_restart']:,} | {c['lost_acked_writes']} | {c['failed_in_flight']:,} |",
        ]
    lines += [
        "",
        "Notes: `memory-in-process` is the library's `Memory` in one thread; its `remember` is a reflective-controller edit like the "
        "service's (journal, pre-image, audit row, provenance), one transaction per write, with no group commit and no HTTP. `service-in-process` runs the "
        "service's code path (controller writes, group commit, read/write lock) from threads without HTTP.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
