"""A closed-loop HTTP load generator for `manage.py bench_http`, run in its own process.

    python -m governance.loadgen < plan.json > results.json

The plan: {"base": "http://127.0.0.1:PORT", "runs": [{"name", "concurrency", "seconds",
"warmup", "requests": [{"method", "path", "headers", "bodies"?}, ...]}]}. Each of a run's
`concurrency` threads sends request after request (no think time), cycling through the run's
requests (a mixed workload lists several) until the time is up and it has measured at least
one (a request slower than the whole run still counts); a POST takes the next of its `bodies` (each used
once: a visit's UUID, a redemption's account). Warm-up requests are not counted. Only the
standard library: it starts without Django, so its own start and imports cost the app nothing.

For each run: requests done, errors (status >= 400 or a broken connection, with the first few
bodies), throughput per second, and latency percentiles in milliseconds.
"""

import gzip
import http.client
import itertools
import json
import sys
import threading
import time
import urllib.parse


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


class _Bodies:
    """Hands each POST body out once, across threads."""

    def __init__(self, bodies: list[str]):
        self.bodies = bodies
        self.index = itertools.count()
        self.lock = threading.Lock()

    def next(self) -> str:
        with self.lock:
            n = next(self.index)
        if n >= len(self.bodies):
            raise RuntimeError("the plan ran out of POST bodies: give more")
        return self.bodies[n]


def run(base: str, spec: dict) -> dict:
    url = urllib.parse.urlsplit(base)
    requests = spec["requests"]
    for request in requests:
        if request.get("bodies") is not None:
            request["_bodies"] = _Bodies(request["bodies"])
    concurrency = spec["concurrency"]
    deadline_warm = time.perf_counter() + spec.get("warmup", 1.0)
    deadline = deadline_warm + spec["seconds"]
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors: list[str] = []
    sizes: list[int] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def work(n: int):
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        cycle = itertools.cycle(requests[n % len(requests) :] + requests[: n % len(requests)])
        mine = latencies[n]
        while True:
            started = time.perf_counter()
            if started >= deadline and mine:
                break
            request = next(cycle)
            body = request["_bodies"].next().encode() if "_bodies" in request else None
            headers = dict(request.get("headers", {}))
            if body is not None:
                headers["Content-Type"] = "application/json"
            try:
                connection.request(request["method"], request["path"], body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                code = response.status
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                code, payload = 599, repr(exc).encode()
            elapsed = (time.perf_counter() - started) * 1000
            if started >= deadline_warm or started + elapsed / 1000 >= deadline:
                mine.append(elapsed)
                with lock:
                    statuses[code] = statuses.get(code, 0) + 1
                    sizes.append(len(payload))
                    if code >= 400 and len(errors) < 5:
                        if payload[:2] == b"\x1f\x8b":
                            payload = gzip.decompress(payload)
                        errors.append(f"{request['method']} {request['path']} {code}: {payload[:300]!r}")
        connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    measured = time.perf_counter() - deadline_warm
    every = [value for mine in latencies for value in mine]
    return {
        "name": spec["name"],
        "concurrency": concurrency,
        "requests": len(every),
        "seconds": measured,
        "throughput": len(every) / measured if measured > 0 else 0.0,
        "p50": _percentile(every, 0.50),
        "p95": _percentile(every, 0.95),
        "p99": _percentile(every, 0.99),
        "mean_bytes": sum(sizes) / len(sizes) if sizes else 0,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": errors,
    }


def main() -> None:
    plan = json.load(sys.stdin)
    results = []
    for spec in plan["runs"]:
        results.append(run(plan["base"], spec))
        print(json.dumps({"done": spec["name"], "concurrency": spec["concurrency"]}), file=sys.stderr, flush=True)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
