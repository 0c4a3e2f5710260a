"""The demo: a simulator in-process, a throwaway store full of connections, and things happening.

``cts-tui --demo`` and ``cts-tui serve --demo`` both run it::

    async with demo_environment() as demo:
        async with open_runtime(demo.config, demo.db_path, master_key=demo.master_key) as runtime:
            async with demo.activity(runtime):
                ...  # the TUI or the REST server

The scenario (``cts_tui/defaults/demo.yaml``, the same file as ``configs/demo.yaml``) says which
connections exist and what goes wrong; this module only turns it into a running world. This is
one of the few places allowed to join the simulator and the client side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.config import Config, parse_config_text
from cts_tui.errors import ConfigError, CtsError, describe_validation_error
from cts_tui.exchanges.hosts import base_url_in, rest_hosts
from cts_tui.key_facts import IntendedUse, exchange_title
from cts_tui.models import Connection
from cts_tui.sim import Scenario, Simulator
from cts_tui.store.secrets import MasterKey, generate_key
from cts_tui.store.store import ConnectionStore

if TYPE_CHECKING:
    from cts_tui.core.runtime import Runtime

log = logging.getLogger(__name__)

SCENARIO_RESOURCE = "demo.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DemoConnection(_Strict):
    exchange: ExchangeId
    api_type: ApiType
    account: str = "main"
    name: str | None = None
    is_testnet: bool = False
    wrong_secret: bool = False
    intended_use: IntendedUse = IntendedUse.TRADE

    def display_name(self) -> str:
        return self.name or f"{exchange_title(self.exchange.value)} {self.api_type.value} ({self.account})"


class Flap(_Strict):
    """An exchange whose listener goes away for ``down_s`` and comes back for ``up_s``, forever."""

    exchange: ExchangeId
    down_s: float = Field(gt=0)
    up_s: float = Field(gt=0)


class HotLoad(_Strict):
    """Background requests through the coordinator, more than the exchange's limit admits."""

    exchange: ExchangeId
    workers: int = Field(gt=0, le=64)
    method: str = "fetch_time"  # answered by every API type, so no request is refused as invalid
    args: list[str] = Field(default_factory=list)


class StreamStall(_Strict):
    """An exchange whose market stream goes silent (socket open, nothing pushed) for
    ``stalled_s`` after every ``live_s`` of pushing, forever: its REST side keeps working."""

    exchange: ExchangeId
    live_s: float = Field(gt=0)
    stalled_s: float = Field(gt=0)


class Activity(_Strict):
    flap: Flap | None = None
    hot: HotLoad | None = None
    stream_stall: StreamStall | None = None


class DemoScenario(_Strict):
    config: dict[str, Any] = Field(default_factory=dict)
    simulator: Scenario = Field(default_factory=Scenario)
    connections: list[DemoConnection] = Field(min_length=1)
    activity: Activity = Field(default_factory=Activity)

    def build_config(self) -> Config:
        # The demo's own settings only: keys and hosts from the environment stay out of it.
        return parse_config_text(yaml.safe_dump(self.config), "demo scenario: config", environment=False)


def _exchanges_to(config: Config, sim: Simulator) -> Config:
    """The config with every exchange's host the simulator's: a connection added in the demo
    without a base URL (the specification's request bodies name none) talks to it too; and each
    real host's twin, for what a connection reads on another host than its own."""
    pointed = {
        exchange: limits.model_copy(update={"base_url": sim.base_url(exchange.value),
                                            "hosts": rest_hosts(sim.hosts(exchange.value))})
        for exchange, limits in config.exchanges.items()
    }
    return config.model_copy(update={"exchanges": pointed})


def _streams_to(config: Config, sim: Simulator) -> Config:
    """The config with every enabled market stream pointed at the simulator (as the
    connections' base URLs are)."""
    streams = config.streams
    if not streams.enabled:
        return config
    pointed: dict[str, Any] = {
        exchange.value: streams.for_exchange(exchange).model_copy(update={"hosts": sim.hosts(exchange.value)})
        for exchange in ExchangeId
        if exchange.value in sim.exchanges
    }
    return config.model_copy(update={"streams": streams.model_copy(update=pointed)})


def load_demo_scenario(text: str | None = None, source: str = "demo.yaml") -> DemoScenario:
    """The shipped scenario (package data), or one given as YAML text."""
    if text is None:
        text = resources.files("cts_tui").joinpath("defaults", SCENARIO_RESOURCE).read_text(encoding="utf-8")
    try:
        return DemoScenario.model_validate(yaml.safe_load(text))
    except yaml.YAMLError:
        raise ConfigError(f"{source}: not valid YAML") from None
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_validation_error(exc)}") from None


def _connection(spec: DemoConnection, sim: Simulator) -> Connection:
    try:
        account = sim.account(spec.exchange.value, spec.account)
    except KeyError as exc:
        raise CtsError(f"demo scenario: {exc.args[0]}") from None
    secret = account.secret[::-1] if spec.wrong_secret else account.secret
    return Connection(
        name=spec.display_name(),
        exchange=spec.exchange,
        api_type=spec.api_type,
        api_key=account.api_key,
        api_secret=secret,
        api_passphrase=account.passphrase,
        is_testnet=spec.is_testnet,
        base_url=base_url_in(sim.hosts(spec.exchange.value), spec.exchange, spec.api_type,
                             account.passphrase is not None),
        tags=["demo", spec.account] + (["wrong-key"] if spec.wrong_secret else []),
        intended_use=spec.intended_use,
    )


async def _seed_store(path: Path, master_key: MasterKey, sim: Simulator, scenario: DemoScenario) -> None:
    async with await ConnectionStore.open(path, master_key) as store:
        for spec in scenario.connections:
            await store.add(_connection(spec, sim), source="cli")


@dataclass
class DemoEnvironment:
    """What the TUI and ``serve`` need to run on the demo world."""

    config: Config
    db_path: Path
    master_key: MasterKey
    simulator: Simulator
    scenario: DemoScenario

    def hosts(self) -> dict[ExchangeId, dict[str, str]]:
        """Each simulated exchange's hosts ({real host: local URL}): where a connection added by
        hand should point (the twin of its API type's host, `hosts.api_host`)."""
        return {exchange: self.simulator.hosts(exchange.value)
                for exchange in ExchangeId if exchange.value in self.simulator.exchanges}

    @contextlib.asynccontextmanager
    async def activity(self, runtime: Runtime) -> AsyncIterator[None]:
        """Keep the scenario's events going (a flapping exchange, a hot load) while inside."""
        tasks: list[asyncio.Task[None]] = []
        if self.scenario.activity.flap is not None:
            tasks.append(asyncio.create_task(self._flap(self.scenario.activity.flap), name="demo-flap"))
        if self.scenario.activity.stream_stall is not None:
            stall = self.scenario.activity.stream_stall
            tasks.append(asyncio.create_task(self._stall_stream(stall), name="demo-stream-stall"))
        if self.scenario.activity.hot is not None:
            tasks.extend(
                asyncio.create_task(self._hot_worker(runtime, self.scenario.activity.hot), name=f"demo-hot-{i}")
                for i in range(self.scenario.activity.hot.workers)
            )
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.scenario.activity.flap is not None:
                await self.simulator.clear_faults(self.scenario.activity.flap.exchange.value)
            if self.scenario.activity.stream_stall is not None:
                self.simulator.streams.clear_faults(self.scenario.activity.stream_stall.exchange.value)

    async def _flap(self, flap: Flap) -> None:
        exchange = flap.exchange.value
        while True:
            await asyncio.sleep(flap.up_s)
            await self.simulator.set_fault(exchange, outage="refused")
            await asyncio.sleep(flap.down_s)
            await self.simulator.set_fault(exchange, outage=None)

    async def _stall_stream(self, stall: StreamStall) -> None:
        exchange = stall.exchange.value
        while True:
            await asyncio.sleep(stall.live_s)
            self.simulator.streams.set_fault(exchange, stall=True)
            await asyncio.sleep(stall.stalled_s)
            self.simulator.streams.set_fault(exchange, stall=False)

    async def _hot_worker(self, runtime: Runtime, hot: HotLoad) -> None:
        from cts_tui.ratelimit.priority import Priority

        while True:
            try:
                await runtime.coordinator.execute_request(
                    hot.method, *hot.args, exchange_id=hot.exchange.value, priority=Priority.LOW
                )
            except CtsError as exc:  # the point is to show limits and failures, not to stop
                log.debug("demo load on %s: %s", hot.exchange.value, exc)
                await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def demo_environment(scenario: DemoScenario | None = None) -> AsyncIterator[DemoEnvironment]:
    """Start the simulator and fill a throwaway store; everything is gone on exit."""
    scenario = scenario or load_demo_scenario()
    config = scenario.build_config()
    with tempfile.TemporaryDirectory(prefix="cts-demo-") as tmp:
        async with Simulator(scenario.simulator) as sim:
            config = _exchanges_to(_streams_to(config, sim), sim)
            master_key = generate_key("the demo's throwaway key")
            db_path = Path(tmp) / "demo.db"
            await _seed_store(db_path, master_key, sim, scenario)
            yield DemoEnvironment(config, db_path, master_key, sim, scenario)
