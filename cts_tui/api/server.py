"""Running the application on a socket, and stopping it gracefully.

``stop()`` closes the listening socket first, then waits up to ``drain_s`` for requests already
in flight to finish before closing their connections: what SIGTERM does under ``serve``.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ApiServer:
    def __init__(self, app: web.Application, host: str = "127.0.0.1", port: int = 8000, drain_s: float = 10.0) -> None:
        self._runner = web.AppRunner(app, shutdown_timeout=drain_s)
        self._host = host
        self._port = port

    async def start(self) -> None:
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self._host, self._port).start()
        except BaseException:
            await self._runner.cleanup()
            raise

    @property
    def url(self) -> str:
        """The base URL actually bound (port 0 resolved)."""
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def __aenter__(self) -> ApiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
