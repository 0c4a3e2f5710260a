"""placeholder until the OrangeX simulator lands"""
from cts_tui.exchanges.native import NativeClient as OrangeXClient  # noqa
