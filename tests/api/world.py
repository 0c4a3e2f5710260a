"""A small, deterministic world for the REST API: the simulator in-process, a throwaway store
with five connections, a runtime and the API server on a free loopback port.

Built with the demo's own wiring (``demo_environment`` with a small scenario and no activity),
so the API is tested over the same path the demo takes. Health checks are slow here (one hour)
so that nothing changes between two requests unless a test asks for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from cts_tui.api.app import ENDPOINTS, create_app
from cts_tui.api.server import ApiServer
from cts_tui.api.state import ApiState
from cts_tui.core.runtime import Runtime, open_runtime
from cts_tui.demo import DemoEnvironment, DemoScenario, demo_environment

TOKEN = "test-token-0123456789abcdef"

# Every documented success shape, matched by method and path: each answer the tests receive is
# validated against the model that openapi.json publishes for it.
def _path_pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", path)
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts))


_SHAPES = [(e.method, _path_pattern(e.path), e.response) for e in ENDPOINTS if e.response is not None]


def check_shape(method: str, path: str, status: int, body: Any) -> None:
    """Raise when a 2xx answer does not have its documented shape."""
    if not 200 <= status < 300:
        return
    bare = path.split("?", 1)[0]
    for shape_method, pattern, model in _SHAPES:
        if shape_method == method and pattern.fullmatch(bare):
            model.model_validate(body)
            return

SMALL = {
    "config": {
        "health": {"interval_s": 3600},
        "api": {"token": TOKEN, "max_body_bytes": 4096},
        "batch": {"max_per_request": 4},
    },
    "simulator": {"seed": 3},
    "connections": [
        {"exchange": "binance", "api_type": "spot", "name": "binance-spot"},
        {"exchange": "htx", "api_type": "spot", "name": "htx-spot"},
        {"exchange": "binance", "api_type": "futures", "name": "binance-bad", "wrong_secret": True},
        {"exchange": "okx", "api_type": "spot", "name": "okx-spot"},
        {"exchange": "pionex", "api_type": "spot", "name": "pionex-ro", "account": "readonly"},
    ],
}


def small_scenario(**config: Any) -> DemoScenario:
    scenario = DemoScenario.model_validate(SMALL)
    for section, values in config.items():
        scenario.config.setdefault(section, {}).update(values)
    return scenario


@dataclass
class World:
    demo: DemoEnvironment
    runtime: Runtime
    url: str
    http: aiohttp.ClientSession

    @property
    def ids(self) -> dict[str, str]:
        return {c.name: c.id for c in self.runtime.coordinator.get_all_connections()}

    async def call(
        self, method: str, path: str, *, body: Any = None, token: str | None = TOKEN, raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        async with self.http.request(method, self.url + path, data=data, headers=sent) as response:
            text = await response.text()
            kind = response.headers.get("Content-Type", "")
            body = json.loads(text) if "json" in kind else text
            check_shape(method, path, response.status, body)
            return response.status, body


@contextlib.asynccontextmanager
async def running_world(scenario: DemoScenario | None = None) -> AsyncIterator[World]:
    async with demo_environment(scenario or small_scenario()) as demo:
        async with open_runtime(demo.config, demo.db_path, master_key=demo.master_key) as runtime:
            state = ApiState(runtime, TOKEN)
            async with ApiServer(create_app(state), "127.0.0.1", 0, drain_s=2) as server:
                async with aiohttp.ClientSession() as http:
                    yield World(demo, runtime, server.url, http)


class ThreadedWorld:
    """The same world on an event loop of its own thread, for synchronous callers (hypothesis)."""

    def __init__(self, scenario: DemoScenario | None = None) -> None:
        self._scenario = scenario
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.world: World | None = None
        self._thread = threading.Thread(target=self._run, name="api-world", daemon=True)

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as exc:  # reported to the test thread
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with running_world(self._scenario) as world:
            self.world = world
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> ThreadedWorld:
        self._thread.start()
        self._ready.wait(60)
        if self._error is not None or self.world is None:
            raise RuntimeError("the API world did not start") from self._error
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)
        if self._error is not None:
            raise self._error

    def run(self, coroutine: Any) -> Any:
        """Run a coroutine on the world's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(60)

    def request(self, method: str, path: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
                ) -> tuple[int, bytes, dict[str, str]]:
        assert self.world is not None
        request = urllib.request.Request(self.world.url + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                if response.headers.get_content_type() == "application/json":
                    check_shape(method, path, response.status, json.loads(raw))
                return response.status, raw, dict(response.headers)
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.read(), dict(exc.headers)
