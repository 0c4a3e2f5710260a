"""The REST server under hostile clients: connections that send nothing or stop mid-headers,
bodies that never arrive, more connections than the cap, undecodable headers, deep JSON; and
the methods it advertises are the ones it serves."""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from cryptography.fernet import Fernet

from cts_tui.api.app import create_app
from cts_tui.api.server import ApiServer, connection_cap
from cts_tui.api.state import ApiState
from cts_tui.sim import Simulator

from .test_serve import TOKEN as SERVE_TOKEN
from .test_serve import seeded_store, serving
from .world import TOKEN, World

READ_TIMEOUT_S = 0.4
CAP = 8


@pytest.fixture
async def guarded(world: World) -> AsyncIterator[ApiServer]:
    """The world's runtime behind a server with a short read deadline and a small cap."""
    server = ApiServer(create_app(ApiState(world.runtime, TOKEN)), "127.0.0.1", 0, drain_s=0.5,
                       read_timeout_s=READ_TIMEOUT_S, max_connections=CAP)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _open(url: str, data: bytes = b"") -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    if data:
        writer.write(data)
        await writer.drain()
    return reader, writer


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server sent before closing; fails if it keeps the connection open."""
    return await asyncio.wait_for(reader.read(), seconds)


async def _close(*writers: asyncio.StreamWriter) -> None:
    for writer in writers:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def test_silent_and_half_sent_requests_are_closed_at_the_deadline(guarded: ApiServer) -> None:
    silent, w1 = await _open(guarded.url)
    half, w2 = await _open(guarded.url, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    started = time.monotonic()
    assert await _closed_within(silent, 3) == b""
    assert await _closed_within(half, 3) == b""
    assert time.monotonic() - started < 2.5
    await _close(w1, w2)


async def test_a_body_that_never_arrives_is_a_408(guarded: ApiServer) -> None:
    reader, writer = await _open(
        guarded.url,
        b"POST /api/settings/connections HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\"",
    )
    answer = await _closed_within(reader, 3)
    assert answer.startswith(b"HTTP/1.1 408") and b"not received within" in answer
    await _close(writer)


async def test_at_the_cap_idle_connections_make_room_and_busy_ones_are_refused_calmly(
    guarded: ApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    idle = [await _open(guarded.url) for _ in range(CAP)]
    async with aiohttp.ClientSession() as http, http.get(guarded.url + "/health") as response:
        assert response.status == 200  # an idle connection was closed to let it in
    assert guarded.gate is not None and guarded.gate.evicted >= 1
    busy = [
        await _open(guarded.url, b"POST /api/settings/connections HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + TOKEN.encode() + b"\r\nContent-Length: 50\r\n\r\n{")
        for _ in range(CAP + 4)
    ]
    await asyncio.sleep(0.1)
    refused = [await _open(guarded.url) for _ in range(5)]
    answers = [await _closed_within(reader, 3) for reader, _ in refused]
    assert all(a.startswith(b"HTTP/1.1 503") for a in answers), answers
    lines = [r for r in caplog.records if "at the cap" in r.getMessage()]
    assert len(lines) == 1  # one line, not one per connection
    await _close(*(writer for _, writer in [*idle, *busy, *refused]))


async def test_undecodable_headers_and_deep_json_are_400_not_500(world: World) -> None:
    reader, writer = await _open(world.url, b"GET /api/settings/connections HTTP/1.1\r\nHost: x\r\n"
                                 b"Authorization: Bearer \xff\xfe\xfd\r\nConnection: close\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), 5)
    await _close(writer)
    assert answer.startswith(b"HTTP/1.1 400") and b"Authorization" in answer
    deep = "[" * 2000 + "]" * 2000  # within this world's 4 KB body limit
    status, body = await world.call("PATCH", f"/api/settings/connections/{world.ids['binance-spot']}",
                                    raw=('{"tags": ' + deep + "}").encode())
    assert status == 400 and "nested" in body["error"]
    status, body = await world.call("PATCH", f"/api/settings/connections/{world.ids['binance-spot']}",
                                    raw=json.dumps({"tags": [[["x"]]] * 1}).encode())
    assert status == 422  # shallow enough: validated, and refused as a wrong type


async def test_head_where_get_is_served_and_options_lists_only_real_methods(world: World) -> None:
    async with world.http.head(world.url + "/health") as response:
        assert response.status == 200 and await response.read() == b""
    async with world.http.options(world.url + "/api/settings/connections/batch-test") as response:
        assert response.status == 204 and response.headers["Allow"] == "POST, OPTIONS"
    async with world.http.options(world.url + f"/api/settings/connections/{world.ids['okx-spot']}") as response:
        assert response.headers["Allow"] == "DELETE, PATCH, OPTIONS"
    async with world.http.get(world.url + "/api/settings/connections/batch-test") as response:
        assert response.status == 405 and response.headers["Allow"] == "POST, OPTIONS"


def test_the_cap_stays_below_the_file_descriptor_limit() -> None:
    assert connection_cap(256) == 128 and connection_cap(1024) == 512 and connection_cap(1 << 20) == 1000


def _low_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


async def test_a_real_serve_with_256_descriptors_keeps_answering_health_under_a_flood(
    sim: Simulator, tmp_path: Path
) -> None:
    key = Fernet.generate_key().decode()
    db = tmp_path / "serve.db"
    await seeded_store(sim, db, key)
    env = {"CTS_MASTER_KEY": key, "CTS_API_TOKEN": SERVE_TOKEN}
    async with serving("--db", str(db), env=env, preexec_fn=_low_fd_limit) as served:
        host, port = served.url.removeprefix("http://").split(":")
        flood: list[socket.socket] = []
        for i in range(400):  # more than the descriptors the server may open at all
            sock = socket.socket()
            sock.setblocking(False)
            try:
                sock.connect((host, int(port)))
            except BlockingIOError:
                pass
            if i % 2:
                with contextlib.suppress(OSError):
                    sock.send(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # and never the end of it
            flood.append(sock)
        await asyncio.sleep(0.3)
        async with aiohttp.ClientSession() as http:
            for _ in range(3):
                async with http.get(served.url + "/health", timeout=aiohttp.ClientTimeout(total=5)) as response:
                    assert response.status == 200
        for sock in flood:
            sock.close()
        assert served.process.returncode is None
        assert len(served.errors) < 4096, served.errors[-2000:].decode(errors="replace")


async def test_explicit_null_and_blank_secrets_are_422_as_the_schema_says(world: World) -> None:
    _, document = await world.call("GET", "/openapi.json", token=None)
    patch_schema = document["components"]["schemas"]["UpdateConnectionBody"]["properties"]
    assert patch_schema["name"]["type"] == "string" and "anyOf" not in patch_schema["name"]  # null not allowed
    assert "null" in [b.get("type") for b in patch_schema["base_url"]["anyOf"]]  # null: the exchange's own host
    assert patch_schema["api_key"]["minLength"] == 1
    assert document["components"]["schemas"]["CreateConnectionBody"]["properties"]["api_key"]["minLength"] == 1
    path = f"/api/settings/connections/{world.ids['okx-spot']}"
    for body in ({"name": None}, {"tags": None}, {"enabled": None}, {"api_key": ""}, {"api_secret": "a b"}):
        status, answer = await world.call("PATCH", path, body=body)
        assert status == 422 and answer["error"].startswith(f"body.{next(iter(body))}"), (body, answer)
    status, _ = await world.call("PATCH", path, body={"margin_type": None})
    assert status == 200


async def test_malformed_requests_are_400_and_logged_once_without_a_traceback(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A NUL in a header value (what schemathesis probes with) fails aiohttp's parser: each is
    answered 400, and the log gets one warning line, not a traceback per request."""
    for _ in range(5):
        reader, writer = await _open(world.url, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Probe: \x00\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 5)
        await _close(writer)
        assert answer.split(b"\r\n", 1)[0].endswith(b" 400 Bad Request")
    logged = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert len(logged) <= 1  # none when an earlier test's line is still recent
    for record in logged:
        assert record.levelname == "WARNING" and record.exc_info is None
        assert "malformed HTTP request answered 400" in record.getMessage()
