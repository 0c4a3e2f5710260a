"""The route cache (core/routing.py): a request never goes to a connection that should not get
traffic, and every change that decides routing (state, breaker, error streak, the set of
connections, the configuration) is seen by the very next choice. Against the simulator.

Each test asks for a route before the change too, so a stale cached answer would show."""

from __future__ import annotations

import asyncio

import pytest

from cts_tui.config import Config
from cts_tui.core.breaker import BreakerState
from cts_tui.core.managed import ManagedConnection
from cts_tui.core.routing import MAX_ROUTES, RouteTable
from cts_tui.errors import ErrorKind, ExchangeError, NotFoundError
from cts_tui.models import Connection, ConnectionDraft, ConnectionPatch, ConnectionState

from .helpers import eventually

METHOD = "fetch_ticker"


async def add(coordinator, draft, exchange: str, name: str, **fields) -> str:
    return (await coordinator.add_connection(draft(exchange, name, **fields), "cli")).id


def picks(coordinator, target: str | None = None, n: int = 12) -> set[str]:
    """The ids chosen over ``n`` choices: with round robin every eligible connection shows up."""
    chosen = (coordinator.choose(METHOD, target) for _ in range(n))
    return {entry.id for entry in chosen if entry is not None}


def ids(group) -> list[str]:
    return [entry.id for entry in group]


def assert_cache_is_fresh(coordinator, *targets: str | None) -> None:
    """The cached route equals one worked out from scratch now, and holds only connections that
    take traffic."""
    fresh = RouteTable(
        coordinator.parts.table,
        lambda entry, method: coordinator.hub.client_for(entry.connection).supports(method),
        lambda: coordinator.config.health.breaker_threshold,
    )
    for target in targets:
        preferred, everyone = coordinator.parts.picker.routes.route(METHOD, target)
        again = fresh.route(METHOD, target)
        assert (ids(preferred), ids(everyone)) == (ids(again[0]), ids(again[1])), target
        assert all(entry.takes_traffic() for entry in everyone), target


async def fail(coordinator, connection_id: str, n: int) -> list[str]:
    kinds = []
    for _ in range(n):
        with pytest.raises(ExchangeError) as failure:
            await coordinator.execute_request(METHOD, "BTC/USDT", exchange_id=connection_id)
        kinds.append(failure.value.kind.value)
    return kinds


def served(coordinator, connection_id: str) -> int:
    return coordinator.get_connection(connection_id).requests


async def until(coordinator, predicate, never: str, timeout: float = 5.0) -> None:
    """Wait for ``predicate()``, choosing all the while: ``never`` must not be chosen until then."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert never not in picks(coordinator, "binance", 4)
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


# --- the user's lifecycle ---------------------------------------------------------------------


async def test_pause_and_resume_take_effect_on_the_next_choice(coordinator, draft):
    """A paused connection is out of rotation the moment pause returns, and back after resume."""
    a = await add(coordinator, draft, "binance", "b1")
    b = await add(coordinator, draft, "binance", "b2")
    c = await add(coordinator, draft, "htx", "h1")
    coordinator.set_strategy("round_robin")
    assert picks(coordinator, "binance") == {a, b} and picks(coordinator) == {a, b, c}

    await coordinator.pause(a, "cli")
    assert picks(coordinator, "binance") == {b}
    assert picks(coordinator) == {b, c}
    assert coordinator.choose(METHOD, a) is None  # pinned to it: nothing to choose
    before = served(coordinator, a)
    for _ in range(4):
        await coordinator.execute_request(METHOD, "BTC/USDT", exchange_id="binance")
    assert served(coordinator, a) == before
    with pytest.raises(ExchangeError, match=f"no healthy connection on {a}"):
        await coordinator.execute_request(METHOD, "BTC/USDT", exchange_id=a)
    assert_cache_is_fresh(coordinator, None, "binance", a)

    await coordinator.resume(a, "cli")
    assert picks(coordinator, "binance") == {a, b}
    assert picks(coordinator) == {a, b, c}
    assert (await coordinator.execute_request(METHOD, "BTC/USDT", exchange_id=a))["symbol"] == "BTC/USDT"


async def test_disable_and_enable_take_effect_on_the_next_choice(coordinator, draft):
    """Disabled by the action or by an edit, a connection is never chosen; enabled (and tested)
    again, it is."""
    a = await add(coordinator, draft, "binance", "b1")
    b = await add(coordinator, draft, "binance", "b2")
    coordinator.set_strategy("round_robin")
    assert picks(coordinator, "binance") == {a, b}

    await coordinator.disable(b, "cli")
    assert picks(coordinator, "binance") == {a} and picks(coordinator) == {a}
    assert coordinator.choose(METHOD, b) is None
    await coordinator.enable(b, "cli")
    assert picks(coordinator, "binance") == {a, b}

    await coordinator.update_connection(a, ConnectionPatch(enabled=False), "cli")
    assert picks(coordinator, "binance") == {b} and picks(coordinator) == {b}
    assert_cache_is_fresh(coordinator, None, "binance", a, b)
    await coordinator.update_connection(a, ConnectionPatch(enabled=True), "cli")
    assert coordinator.get_connection(a).state is ConnectionState.ACTIVE
    assert picks(coordinator, "binance") == {a, b}


async def test_a_connection_under_test_is_not_chosen(coordinator, sim, draft):
    """A re-test moves an active connection through testing: no live request goes to it then,
    and a failed test leaves it in error, out of rotation."""
    a = await add(coordinator, draft, "binance", "b1")
    b = await add(coordinator, draft, "htx", "h1")
    coordinator.set_strategy("round_robin")
    assert picks(coordinator) == {a, b}
    await sim.set_fault("binance", latency_ms=100)  # the test takes a while
    test = asyncio.create_task(coordinator.test_connection(a))
    await eventually(lambda: coordinator.parts.table[a].state is ConnectionState.TESTING)
    assert picks(coordinator) == {b}
    assert coordinator.choose(METHOD, a) is None
    await sim.clear_faults()
    assert (await test).success
    assert picks(coordinator) == {a, b}

    await sim.set_fault("binance", outage="refused")
    assert not (await coordinator.test_connection(a)).success
    await sim.clear_faults()
    assert coordinator.get_connection(a).state is ConnectionState.ERROR
    assert picks(coordinator) == {b}
    assert_cache_is_fresh(coordinator, None, "binance", a)


# --- the breaker ------------------------------------------------------------------------------


async def test_an_open_breaker_is_skipped_until_it_closes(coordinator, sim, draft):
    """Real failures open the breaker: from that request on, the connection is not chosen, until
    the probe closes the breaker after the cooldown."""
    a = await add(coordinator, draft, "binance", "b1")
    b = await add(coordinator, draft, "binance", "b2")
    c = await add(coordinator, draft, "htx", "h1")
    coordinator.set_strategy("round_robin")
    assert picks(coordinator, "binance") == {a, b} and picks(coordinator) == {a, b, c}

    await sim.set_fault("binance", outage="refused")
    assert await fail(coordinator, a, 3) == ["network"] * 3
    assert coordinator.get_connection(a).breaker == "open"
    assert picks(coordinator, "binance") == {b}
    assert picks(coordinator) == {b, c}
    assert_cache_is_fresh(coordinator, None, "binance", a)

    await sim.clear_faults()
    await until(coordinator, lambda: coordinator.get_connection(a).breaker == "closed", never=a)
    assert picks(coordinator, "binance") == {a, b}
    assert picks(coordinator) == {a, b, c}


async def test_a_half_open_breaker_belongs_to_its_probe(coordinator, sim, draft):
    """While the probe runs (half-open) and after it fails (open again, longer), live requests
    still go elsewhere; the probe that succeeds puts the connection back."""
    coordinator.config.health.timeout_s = 0.3
    a = await add(coordinator, draft, "binance", "b1")
    b = await add(coordinator, draft, "binance", "b2")
    coordinator.set_strategy("round_robin")
    assert picks(coordinator, "binance") == {a, b}

    await sim.set_fault("binance", outage="refused")
    await fail(coordinator, a, 3)
    breaker = coordinator.parts.table[a].breaker
    await sim.set_fault("binance", outage="hang")
    await until(coordinator, lambda: breaker.state is BreakerState.HALF_OPEN, never=a)
    assert picks(coordinator, "binance") == {b}
    assert_cache_is_fresh(coordinator, "binance", a)
    await until(coordinator, lambda: breaker.state is BreakerState.OPEN, never=a)  # the probe timed out
    assert breaker.openings >= 2
    await sim.clear_faults()
    await until(coordinator, lambda: breaker.state is BreakerState.CLOSED, never=a)
    assert picks(coordinator, "binance") == {a, b}


async def test_breaker_opened_by_recorded_failures_and_closed_by_a_health_check(coordinator, draft):
    """The coordinator's own bookkeeping (what every request and check goes through): the
    failure that opens the breaker and the check that closes it both change the next choice."""
    health = coordinator.config.health
    health.cooldown_max_s = health.cooldown_s = 60  # no probe during the test: the check closes it
    a = await add(coordinator, draft, "binance", "b1")
    b = await add(coordinator, draft, "htx", "h1")
    coordinator.set_strategy("round_robin")
    assert picks(coordinator) == {a, b}
    entry = coordinator.parts.table[a]
    for _ in range(health.breaker_threshold - 1):
        coordinator.parts.health.record_failure(entry, ExchangeError(ErrorKind.EXCHANGE_DOWN, "502"), 0.01)
    assert picks(coordinator) == {a, b}  # below the threshold: still in rotation
    coordinator.parts.health.record_failure(entry, ExchangeError(ErrorKind.EXCHANGE_DOWN, "502"), 0.01)
    assert entry.breaker.state is BreakerState.OPEN
    assert picks(coordinator) == {b}
    assert coordinator.choose(METHOD, "binance") is None
    assert_cache_is_fresh(coordinator, None, "binance", a)
    assert await coordinator.run_health_checks([a]) == {a: True}
    assert entry.breaker.state is BreakerState.CLOSED
    assert picks(coordinator) == {a, b}


async def test_rate_limit_answers_never_move_a_connection(coordinator, draft):
    """Answers that do not count for the breaker leave the route as it was: the connection stays
    preferred however many there are."""
    a = await add(coordinator, draft, "binance", "b1")
    b = await add(coordinator, draft, "htx", "h1")
    coordinator.set_strategy("round_robin")
    entry = coordinator.parts.table[a]
    for _ in range(10):
        coordinator.parts.health.record_failure(entry, ExchangeError(ErrorKind.RATE_LIMITED, "429"), 0.01)
    preferred, _ = coordinator.parts.picker.routes.route(METHOD, None)
    assert ids(preferred) == sorted([a, b])
    assert picks(coordinator) == {a, b}


# --- error streaks ----------------------------------------------------------------------------


async def test_a_streak_kept_in_rotation_goes_behind_healthy_peers_until_a_success(coordinator, sim, draft):
    """When the ejection share keeps a failing connection's breaker closed, its streak at the
    threshold puts it behind every healthy peer at once; it is used only when nothing else is
    left, and one success brings it back."""
    health = coordinator.config.health
    health.cooldown_max_s = health.cooldown_s = 60  # a stays ejected for the whole test
    a = await add(coordinator, draft, "binance", "b1")
    b = await add(coordinator, draft, "binance", "b2")
    c = await add(coordinator, draft, "htx", "h1")
    coordinator.set_strategy("round_robin")
    assert picks(coordinator) == {a, b, c}

    await sim.set_fault("binance", outage="refused")
    await fail(coordinator, a, health.breaker_threshold)
    assert coordinator.get_connection(a).breaker == "open"
    await fail(coordinator, b, health.breaker_threshold - 1)
    preferred, _ = coordinator.parts.picker.routes.route(METHOD, None)
    assert ids(preferred) == sorted([b, c])  # below the threshold: still preferred
    await fail(coordinator, b, 1)
    await sim.clear_faults()
    held = coordinator.get_connection(b)
    assert held.breaker == "closed" and held.consecutive_errors == health.breaker_threshold  # share: 1 of 2

    preferred, everyone = coordinator.parts.picker.routes.route(METHOD, None)
    assert ids(preferred) == [c] and ids(everyone) == sorted([b, c])
    assert picks(coordinator) == {c}
    assert picks(coordinator, "binance") == {b}  # nothing else left on binance
    before = served(coordinator, b)
    for _ in range(4):
        await coordinator.execute_request(METHOD, "BTC/USDT")
    assert served(coordinator, b) == before
    assert_cache_is_fresh(coordinator, None, "binance", a, b)

    await coordinator.execute_request(METHOD, "BTC/USDT", exchange_id="binance")  # goes to b, succeeds
    assert coordinator.get_connection(b).consecutive_errors == 0
    preferred, _ = coordinator.parts.picker.routes.route(METHOD, None)
    assert ids(preferred) == sorted([b, c])
    assert picks(coordinator) == {b, c}


async def test_a_held_back_breaker_that_opens_later_leaves_at_once(coordinator, sim, draft):
    """A connection kept in by the ejection share opens on its next failure once there is room.
    Its streak is already past the threshold, so only the breaker says so: from that failure on
    it is not chosen, not even where it is asked for by id."""
    health = coordinator.config.health
    health.cooldown_max_s = health.cooldown_s = 60  # no probe during the test
    a = await add(coordinator, draft, "binance", "b1")
    b = await add(coordinator, draft, "binance", "b2")
    coordinator.set_strategy("round_robin")
    await sim.set_fault("binance", outage="refused")
    await fail(coordinator, a, health.breaker_threshold)
    await fail(coordinator, b, health.breaker_threshold)
    await sim.clear_faults()
    assert coordinator.parts.table[b].breaker.state is BreakerState.CLOSED  # held back: a is out
    assert await coordinator.run_health_checks([a]) == {a: True}  # a closes: room for one
    assert picks(coordinator, "binance") == {a}  # b, on its streak, behind a
    assert coordinator.choose(METHOD, b).id == b  # asked for by id it is still usable

    await sim.set_fault("binance", outage="refused")
    assert await fail(coordinator, b, 1) == ["network"]
    await sim.clear_faults()
    assert coordinator.parts.table[b].breaker.state is BreakerState.OPEN
    assert coordinator.choose(METHOD, b) is None
    assert picks(coordinator, "binance") == {a}
    assert coordinator.choose(METHOD, "binance", excluded={a}) is None  # not even as a last resort
    assert_cache_is_fresh(coordinator, None, "binance", b)


async def test_a_new_breaker_threshold_reorders_at_once(coordinator, sim, draft):
    """Reloading the configuration with a lower threshold puts a connection already on that
    long a streak behind its peers; raising it again brings it back."""
    a = await add(coordinator, draft, "binance", "b1")
    b = await add(coordinator, draft, "htx", "h1")
    coordinator.set_strategy("round_robin")
    await sim.set_fault("binance", outage="refused")
    await fail(coordinator, a, 2)
    await sim.clear_faults()
    assert picks(coordinator) == {a, b}

    lower = coordinator.config.model_copy(deep=True)
    lower.health.breaker_threshold = 2
    await coordinator.reload_config(lower)
    assert coordinator.parts.table[a].breaker.state is BreakerState.CLOSED
    assert picks(coordinator) == {b}
    assert picks(coordinator, "binance") == {a}
    assert_cache_is_fresh(coordinator, None, "binance")

    higher = coordinator.config.model_copy(deep=True)
    higher.health.breaker_threshold = 3
    await coordinator.reload_config(higher)
    assert picks(coordinator) == {a, b}


# --- the set of connections -------------------------------------------------------------------


async def test_added_and_deleted_connections_change_the_choice_at_once(coordinator, sim, draft):
    """A new active connection is eligible as soon as it is added (even where an empty answer
    was cached); one added disabled or failing its test is not; a deleted one never is."""
    coordinator.set_strategy("round_robin")
    assert coordinator.choose(METHOD) is None and coordinator.choose(METHOD, "htx") is None
    a = await add(coordinator, draft, "binance", "b1")
    assert picks(coordinator) == {a}
    assert coordinator.choose(METHOD, "htx") is None
    b = await add(coordinator, draft, "htx", "h1")
    assert picks(coordinator, "htx") == {b}
    assert picks(coordinator) == {a, b}

    off = await add(coordinator, draft, "binance", "off", enabled=False)
    await sim.set_fault("binance", outage="refused")
    broken = await add(coordinator, draft, "binance", "broken")
    await sim.clear_faults()
    assert coordinator.get_connection(broken).state is ConnectionState.ERROR
    assert picks(coordinator, "binance") == {a}
    assert coordinator.choose(METHOD, off) is None and coordinator.choose(METHOD, broken) is None

    await coordinator.delete_connection(a, "cli")
    assert coordinator.choose(METHOD, "binance") is None
    assert picks(coordinator) == {b}
    with pytest.raises(NotFoundError):
        await coordinator.execute_request(METHOD, "BTC/USDT", exchange_id=a)
    with pytest.raises(ExchangeError, match="no healthy connection on binance"):
        await coordinator.execute_request(METHOD, "BTC/USDT", exchange_id="binance")
    before = served(coordinator, b)
    for _ in range(3):
        await coordinator.execute_request(METHOD, "BTC/USDT")
    assert served(coordinator, b) == before + 3
    assert_cache_is_fresh(coordinator, None, "binance", "htx", b)


# --- the table itself -------------------------------------------------------------------------


def _active(exchange: str, name: str) -> ManagedConnection:
    # A secret unlike any word: secrets are masked in every text once seen (errors.scrub).
    secret = f"routing-test-secret-{name}-0123456789"
    draft = ConnectionDraft(name=name, exchange=exchange, api_type="spot", api_key="key-" + name, api_secret=secret)
    connection = Connection.from_draft(draft).model_copy(update={"state": ConnectionState.ACTIVE})
    return ManagedConnection(connection, Config())


def test_the_table_stays_bounded_whatever_the_method_names():
    """Method names come from callers: however many distinct ones, the table keeps at most
    MAX_ROUTES, and an answer worked out after it was emptied is still right."""
    x, y = _active("binance", "x"), _active("htx", "y")
    entries = {x.id: x, y.id: y}
    table = RouteTable(entries, lambda entry, method: not method.startswith("nope"), lambda: 3)
    for i in range(MAX_ROUTES * 2 + 7):
        table.route(f"made_up_{i}", None)
        assert len(table._routes) <= MAX_ROUTES
    assert ids(table.route("made_up_0", None)[1]) == sorted([x.id, y.id])
    assert table.route("nope", None) == ([], [])
    assert ids(table.route(METHOD, "htx")[1]) == [y.id]
    with pytest.raises(ValueError):
        table.route(METHOD, "nasdaq")


async def test_the_coordinators_table_stays_bounded(coordinator, draft):
    """Through ``choose`` too: many unknown method names neither grow the table past its bound
    nor disturb the real routes."""
    a = await add(coordinator, draft, "binance", "b1")
    for i in range(MAX_ROUTES + 100):
        assert coordinator.choose(f"fetch_made_up_{i}") is None
    assert len(coordinator.parts.picker.routes._routes) <= MAX_ROUTES
    assert coordinator.choose(METHOD).id == a
