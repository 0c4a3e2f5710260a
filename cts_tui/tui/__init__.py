"""The terminal app (Textual): screens, widgets and modals over the `tui.backend` protocols."""
