"""A wire-accurate exchange simulator: unmodified ccxt talks to it over loopback HTTP.

It imports nothing of the client side; see `cts_tui.sim.exchange` for the contract an exchange
module fulfils and `cts_tui.sim.server.Simulator` for the public surface.
"""

from cts_tui.sim.accounts import SimAccount
from cts_tui.sim.journal import Journal, JournalEntry
from cts_tui.sim.scenario import AccountSpec, ExchangeScenario, FaultSpec, Scenario, ScenarioError
from cts_tui.sim.server import Simulator

__all__ = [
    "AccountSpec", "ExchangeScenario", "FaultSpec", "Journal", "JournalEntry", "Scenario",
    "ScenarioError", "SimAccount", "Simulator",
]
