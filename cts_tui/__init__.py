"""cts-tui: manage and watch crypto-exchange API connections from a terminal."""

__version__ = "0.1.0"
