"""How many ticker requests per second the simulator serves from one process.

The simulator runs alone in its own process (as `cts-tui sim` does) and load comes from a
separate client process, so the client's own cost does not count against the server. Two figures
per server: the throughput the client achieved, and the server's capacity (requests served per
CPU-second of the server process), which does not depend on how fast the client is. The same load
against a bare aiohttp handler returning a fixed JSON body is measured in the same run; rounds
alternate the two so that load from elsewhere on the machine hits both alike (medians printed).

    python benchmarks/sim_throughput.py [--seconds 4] [--rounds 3] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import time
from collections.abc import Callable

import aiohttp
from aiohttp import web

from cts_tui.sim import Scenario, Simulator

TICKER_PATH = "/api/v3/ticker/24hr?symbol=BTCUSDT"
TARGET = 3_000


def _scenario() -> Scenario:
    # Generous limits: the benchmark measures serving, not the 6,000-weight minute.
    return Scenario.model_validate({"exchanges": {"binance": {"limits": {"spot_weight_per_minute": 10**9}}}})


async def _report_when_done(measuring, stop, report: mp.Queue, served: Callable[[], int]) -> None:
    """Waits for the measured phase, then reports (requests served, server CPU seconds) in it."""
    while not measuring.is_set():
        await asyncio.sleep(0.01)
    first, cpu = served(), time.process_time()
    while not stop.is_set():
        await asyncio.sleep(0.01)
    report.put((served() - first, time.process_time() - cpu))


async def _serve_simulator(ready: mp.Queue, measuring, stop) -> None:
    async with Simulator(_scenario()) as sim:
        ready.put(sim.base_url("binance") + TICKER_PATH)
        await _report_when_done(measuring, stop, ready, lambda: len(sim.journal))


async def _serve_bare(ready: mp.Queue, measuring, stop) -> None:
    body = b'{"symbol":"BTCUSDT","lastPrice":"64000.0","bidPrice":"63999.9","askPrice":"64000.1"}'
    served = 0

    async def ticker(_: web.Request) -> web.Response:
        nonlocal served
        served += 1
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get(TICKER_PATH.split("?")[0], ticker)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    server = await asyncio.get_running_loop().create_server(runner.server, "127.0.0.1", 0)
    ready.put(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}" + TICKER_PATH)
    await _report_when_done(measuring, stop, ready, lambda: served)
    server.close()
    await runner.cleanup()


def _server_main(kind: str, ready: mp.Queue, measuring, stop) -> None:
    asyncio.run((_serve_simulator if kind == "simulator" else _serve_bare)(ready, measuring, stop))


async def _load(url: str, seconds: float, concurrency: int) -> int:
    done = 0
    deadline = time.monotonic() + seconds

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.monotonic() < deadline:
            async with http.get(url) as response:
                await response.read()
                done += response.status == 200

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    return done


def measure(kind: str, seconds: float, concurrency: int) -> tuple[float, float]:
    """(client-observed req/s, server req per CPU-second) for one server in its own process."""
    ctx = mp.get_context("spawn")
    ready, measuring, stop = ctx.Queue(), ctx.Event(), ctx.Event()
    server = ctx.Process(target=_server_main, args=(kind, ready, measuring, stop))
    server.start()
    try:
        url = ready.get(timeout=30)
        asyncio.run(_load(url, 0.5, concurrency))  # warm-up: connections, caches
        measuring.set()
        done = asyncio.run(_load(url, seconds, concurrency))
        stop.set()
        served, cpu = ready.get(timeout=30)
        return done / seconds, served / cpu
    finally:
        stop.set()
        server.join(timeout=10)
        if server.is_alive():
            server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    runs: dict[str, list[tuple[float, float]]] = {"simulator": [], "bare": []}
    for _ in range(args.rounds):
        for kind, figures in runs.items():
            figures.append(measure(kind, args.seconds, args.concurrency))
    (sim_rate, sim_capacity), (bare_rate, bare_capacity) = (
        (statistics.median(r for r, _ in runs[k]), statistics.median(c for _, c in runs[k])) for k in runs)
    verdict = "met" if sim_rate >= TARGET else "NOT met"
    print(f"simulator (own process, 1 client process x {args.concurrency} concurrent, median of {args.rounds}): "
          f"{sim_rate:,.0f} ticker req/s (target >= {TARGET:,}: {verdict}); "
          f"capacity {sim_capacity:,.0f} req per server CPU-second")
    print(f"bare aiohttp handler, same load: {bare_rate:,.0f} req/s; capacity {bare_capacity:,.0f} req per "
          f"server CPU-second (the simulator costs {bare_capacity / sim_capacity:.2f}x the CPU per request)")


if __name__ == "__main__":
    main()
