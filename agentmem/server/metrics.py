"""Request metrics of the memory service, served in the Prometheus text format at ``/v1/metrics``.

Per endpoint: a request counter by status code and a latency histogram (milliseconds). Kept in
process memory (they restart at zero with the server), guarded by one lock.
"""

from __future__ import annotations

import threading
import time

BUCKETS_MS = (1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started = time.time()
        self.requests: dict[tuple[str, int], int] = {}
        self.latency: dict[str, list[float]] = {}  # endpoint -> [count per bucket..., +Inf count, sum]
        self.denied_namespace = 0
        self.rate_limited = 0

    def observe(self, endpoint: str, status: int, ms: float) -> None:
        with self._lock:
            self.requests[(endpoint, status)] = self.requests.get((endpoint, status), 0) + 1
            row = self.latency.setdefault(endpoint, [0.0] * (len(BUCKETS_MS) + 2))
            for i, b in enumerate(BUCKETS_MS):
                if ms <= b:
                    row[i] += 1
            row[len(BUCKETS_MS)] += 1
            row[-1] += ms
            if status == 429:
                self.rate_limited += 1

    def render(self, extra: dict[str, float] | None = None) -> str:
        with self._lock:
            lines = [
                "# HELP agentmem_requests_total HTTP requests by endpoint and status.",
                "# TYPE agentmem_requests_total counter",
            ]
            for (ep, status), n in sorted(self.requests.items()):
                lines.append(f'agentmem_requests_total{{endpoint="{ep}",status="{status}"}} {n}')
            lines += ["# HELP agentmem_request_ms Request latency in milliseconds.", "# TYPE agentmem_request_ms histogram"]
            for ep, row in sorted(self.latency.items()):
                for i, b in enumerate(BUCKETS_MS):
                    lines.append(f'agentmem_request_ms_bucket{{endpoint="{ep}",le="{b}"}} {int(row[i])}')
                lines.append(f'agentmem_request_ms_bucket{{endpoint="{ep}",le="+Inf"}} {int(row[len(BUCKETS_MS)])}')
                lines.append(f'agentmem_request_ms_sum{{endpoint="{ep}"}} {row[-1]:.3f}')
                lines.append(f'agentmem_request_ms_count{{endpoint="{ep}"}} {int(row[len(BUCKETS_MS)])}')
            lines += [
                "# TYPE agentmem_namespace_denied_total counter", f"agentmem_namespace_denied_total {self.denied_namespace}",
                "# TYPE agentmem_uptime_seconds gauge", f"agentmem_uptime_seconds {time.time() - self.started:.1f}",
            ]
            for name, value in sorted((extra or {}).items()):
                lines += [f"# TYPE agentmem_{name} gauge", f"agentmem_{name} {value}"]
            return "\n".join(lines) + "\n"


__all__ = ["BUCKETS_MS", "Metrics"]
