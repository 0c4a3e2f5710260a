"""Which Redis the shared limiter talks to, from the URL or the node lists; bad settings are one
clear line that names the setting and never echoes a password."""

from __future__ import annotations

import pytest

from cts_tui.config import RateLimiting
from cts_tui.errors import ConfigError
from cts_tui.ratelimit.redis_client import Topology, topology


def test_the_url_or_the_lists_choose_the_topology() -> None:
    assert topology(RateLimiting(redis_url="redis://h:7/0")) == Topology("single", (), url="redis://h:7/0")
    assert topology(RateLimiting(redis_url="redis+sentinel://:pw@a:1,b:2/budgets")) == Topology(
        "sentinel", (("a", 1), ("b", 2)), service="budgets", password="pw")
    assert topology(RateLimiting(redis_sentinels=["a:1", "b:2"], redis_service="budgets")) == Topology(
        "sentinel", (("a", 1), ("b", 2)), service="budgets")
    assert topology(RateLimiting(redis_url="redis+cluster://a:1,b:2,c:3")) == Topology(
        "cluster", (("a", 1), ("b", 2), ("c", 3)))
    assert topology(RateLimiting(redis_cluster_nodes=["a:1"])) == Topology("cluster", (("a", 1),))


@pytest.mark.parametrize(("settings", "message"), [
    ({"redis_url": "http://:secret@h:1"}, "rate_limiting.redis_url: not a Redis URL"),
    ({"redis_url": "redis+sentinel://:secret@a:1"}, "rate_limiting.redis_service: Sentinel needs"),
    ({"redis_url": "redis+cluster://:secret@a:x"}, "rate_limiting.redis_url: 'a:x' is not host:port"),
    ({"redis_sentinels": ["a"], "redis_service": "s"}, "rate_limiting.redis_sentinels: 'a' is not host:port"),
    ({"redis_sentinels": ["a:1"], "redis_cluster_nodes": ["b:2"]}, "exclude each other"),
])
def test_bad_settings_name_the_setting_in_one_line(settings: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        topology(RateLimiting(**settings))
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert "secret" not in str(caught.value)
