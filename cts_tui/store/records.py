"""Rows that several processes on one store share besides the connections themselves: the change
feed, the latest health check, the holder of a lease and a test in progress.

They are what lets a second process show what the first one did (and take over what it did not
finish), so each carries who made it (``holder``/``origin``: one token per process) and when.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from enum import StrEnum

from cts_tui.errors import ErrorKind


class ChangeKind(StrEnum):
    CONNECTION = "connection"
    """Added, edited, enabled or disabled, or a state change."""
    REMOVED = "removed"
    TEST = "test"
    CHECK = "check"
    BALANCE = "balance"
    KEY = "key"
    """New facts about the connection's key (permissions, IP whitelist, expiry)."""


@dataclass(frozen=True, slots=True)
class Change:
    seq: int
    connection_id: str
    kind: ChangeKind


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    """This process as others see it: a unique token, where it runs and what it is."""

    token: str
    host: str
    pid: int
    kind: str
    """tui, serve, cli or library."""

    @classmethod
    def current(cls, kind: str) -> ProcessIdentity:
        return cls(uuid.uuid4().hex[:16], socket.gethostname(), os.getpid(), kind)

    def is_dead(self) -> bool:
        """True only when it surely is: same host and no such pid (another host cannot tell)."""
        return self.host == socket.gethostname() and not _pid_alive(self.pid)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


@dataclass(frozen=True, slots=True)
class Lease:
    name: str
    holder: ProcessIdentity
    acquired_at: float
    expires_at: float

    def describe(self) -> str:
        return f"{self.holder.kind} pid {self.holder.pid} on {self.holder.host}"


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """A connection's latest health check, as the process that ran it saw it."""

    connection_id: str
    checked_at: float
    ok: bool
    latency_ms: float
    error_kind: ErrorKind | None
    error: str | None
    origin: str


@dataclass(frozen=True, slots=True)
class TestClaim:
    """A test in progress: by whom, until when at most, and the state it came from."""

    __test__ = False  # not a pytest class

    connection_id: str
    tester: ProcessIdentity
    started_at: float
    deadline: float
    previous_state: str

    def abandoned(self, now: float) -> bool:
        """Its tester is gone or has overrun every timeout: nobody will finish it."""
        return now > self.deadline or self.tester.is_dead()
