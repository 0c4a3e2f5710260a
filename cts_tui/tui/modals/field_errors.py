"""A connection draft's validation errors in plain words, per form field.

Pydantic says "String should have at least 1 character" or "Input should be 'binance', 'bybit',
..."; a form says "Give the connection a name." under the name. Rules the model checks across
fields (a passphrase the exchange needs, a testnet it does not have) are placed under the field
they are about. Inputs are never quoted: one could be a secret.
"""

from __future__ import annotations

from collections.abc import Collection

from pydantic import ValidationError

from cts_tui.errors import scrub

EMPTY = {
    "exchange": "Choose the exchange.",
    "api_type": "Choose the API type.",
    "name": "Give the connection a name.",
    "api_key": "Paste the API key.",
    "api_secret": "Paste the API secret.",
    "api_passphrase": "This exchange's keys have a passphrase: paste it.",
}
"""What to do about a required field left empty."""

FIELD_WORDS = {
    "an api_passphrase": "a passphrase", "api_passphrase": "passphrase", "margin_type": "margin type",
    "position_mode": "position mode", "base_url": "base URL", "api_key": "API key", "api_secret": "API secret",
}

CROSS_FIELD = (
    ("passphrase", "api_passphrase"),
    ("testnet", "is_testnet"),
    ("margin_type", "margin_type"),
    (" API (it supports", "api_type"),
)
"""Model-level messages, by a phrase they contain, and the field each is about."""


def _plain(text: str) -> str:
    for field, words in FIELD_WORDS.items():
        text = text.replace(field, words)
    text = text.strip().removesuffix(".")
    return f"{text[:1].upper()}{text[1:]}."


def _message(kind: str, message: str, context: dict[str, object]) -> str:
    if kind == "string_too_long":
        return f"At most {context.get('max_length')} characters."
    if kind == "too_long":
        return f"At most {context.get('max_length')} of them."
    if kind == "string_pattern_mismatch":
        return "Only letters, digits and _ . : - (separate tags with commas)."
    return _plain(message.removeprefix("Value error, "))


def field_errors(error: ValidationError, empty: Collection[str]) -> dict[str, str]:
    """Field id -> one plain sentence; ``empty`` lists the fields the user left blank."""
    errors: dict[str, str] = {}
    for item in error.errors(include_input=False, include_url=False):
        loc = [str(part) for part in item["loc"]]
        message = item["msg"]
        field = loc[0] if loc else next((f for phrase, f in CROSS_FIELD if phrase in message), "")
        if field in errors:
            continue
        if field in empty and field in EMPTY:
            errors[field] = EMPTY[field]
        else:
            errors[field] = scrub(_message(item["type"], message, dict(item.get("ctx") or {})))
    for field in empty:  # checked across fields only once the fields pass: said now all the same
        errors.setdefault(field, EMPTY.get(field, "Fill this in."))
    return errors
