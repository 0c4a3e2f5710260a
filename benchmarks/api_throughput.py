"""REST API throughput on the demo's 24 connections, endpoint by endpoint, beside /health.

/health touches nothing but the event loop: it is the ceiling this server reaches on this box,
and the figure each endpoint is compared with. Run: python benchmarks/api_throughput.py
"""

from __future__ import annotations

import asyncio
import statistics
import time

import aiohttp

from cts_tui.api.app import create_app
from cts_tui.api.server import ApiServer
from cts_tui.api.state import ApiState
from cts_tui.core.runtime import open_runtime
from cts_tui.demo import Activity, demo_environment, load_demo_scenario

TOKEN = "benchmark-token-0123456789"
CLIENTS = 32
SECONDS = 3.0
ENDPOINTS = (
    "/health",
    "/api/system/status",
    "/api/v1/exchanges/status",
    "/api/settings/connections",
    "/api/settings/connections/health",
    "/api/v1/exchanges/dashboard",
    "/metrics",
)


async def measure(http: aiohttp.ClientSession, url: str) -> tuple[float, float]:
    """Requests per second and p95 latency (ms) of GET url with CLIENTS concurrent clients."""
    latencies: list[float] = []
    deadline = time.perf_counter() + SECONDS

    async def client() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            async with http.get(url) as response:
                await response.read()
                assert response.status == 200, (url, response.status)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, statistics.quantiles(latencies, n=20)[18] * 1000


async def main() -> None:
    scenario = load_demo_scenario()
    scenario.activity = Activity()  # the API's own cost, not the demo's background load
    async with demo_environment(scenario) as demo:
        async with open_runtime(demo.config, demo.db_path, master_key=demo.master_key) as runtime:
            await asyncio.sleep(3)  # let the first tests settle
            async with ApiServer(create_app(ApiState(runtime, TOKEN)), "127.0.0.1", 0) as server:
                headers = {"Authorization": f"Bearer {TOKEN}"}
                connector = aiohttp.TCPConnector(limit=CLIENTS)
                async with aiohttp.ClientSession(headers=headers, connector=connector) as http:
                    results = {path: await measure(http, server.url + path) for path in ENDPOINTS}
    baseline = results["/health"][0]
    print(f"{len(demo.scenario.connections)} connections, {CLIENTS} concurrent clients, {SECONDS:.0f} s each")
    print(f"{'endpoint':<36} {'req/s':>8} {'p95 ms':>8} {'vs /health':>11}")
    for path, (rps, p95) in results.items():
        print(f"{path:<36} {rps:>8.0f} {p95:>8.1f} {rps / baseline:>10.0%}")


if __name__ == "__main__":
    asyncio.run(main())
