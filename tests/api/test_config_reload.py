"""A reloaded config on a running API: ``api.token`` applies or is refused with a message, and
every reload says in the log which settings changed (never their values)."""

from __future__ import annotations

import logging

import pytest

from .world import TOKEN, World

NEW_TOKEN = "a-new-token-from-the-reloaded-file"


async def test_a_changed_api_token_applies_on_reload_and_the_log_names_it(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    coordinator = world.runtime.coordinator
    config = coordinator.config.model_copy(deep=True)
    config.api.token = NEW_TOKEN
    config.health.timeout_s = 7
    await coordinator.reload_config(config, "file")
    assert (await world.call("GET", "/api/settings/connections", token=TOKEN))[0] == 401
    assert (await world.call("GET", "/api/settings/connections", token=NEW_TOKEN))[0] == 200
    reloaded = [r.getMessage() for r in caplog.records if "configuration reloaded" in r.getMessage()]
    assert reloaded == ["configuration reloaded (file): changed api.token, health.timeout_s"]
    assert "requests need the new token" in caplog.text
    assert NEW_TOKEN not in caplog.text and TOKEN not in caplog.text


@pytest.mark.parametrize("wanted", ["short", ""])
async def test_an_invalid_or_removed_api_token_is_refused_with_a_message(
    world: World, caplog: pytest.LogCaptureFixture, wanted: str
) -> None:
    caplog.set_level(logging.WARNING)
    coordinator = world.runtime.coordinator
    config = coordinator.config.model_copy(deep=True)
    config.api.token = wanted
    await coordinator.reload_config(config, "file")
    assert (await world.call("GET", "/api/settings/connections", token=TOKEN))[0] == 200
    assert "the running token stays" in caplog.text


async def test_a_reload_that_changes_nothing_says_so(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    coordinator = world.runtime.coordinator
    await coordinator.reload_config(coordinator.config.model_copy(deep=True), "SIGHUP")
    assert "configuration reloaded (SIGHUP): nothing changed" in caplog.text
