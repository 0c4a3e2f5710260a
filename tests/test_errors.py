"""Error kinds, one-line user errors, and the scrubbing that keeps secrets out of every text."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from cts_tui.errors import (
    ConfigError,
    CtsError,
    ErrorKind,
    ExchangeError,
    ScrubbingFilter,
    describe_validation_error,
    mask,
    register_secret,
    scrub,
)

# Registered secrets are process-wide: the prefix keeps generated ones from matching other text.
secrets = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789+/=_-", min_size=6, max_size=64).map(
    lambda s: "scrubme-" + s
)
surroundings = st.text(max_size=80)


# Every example registers a secret for the rest of the session: keep the count modest.
@settings(max_examples=40)
@given(secret=secrets, before=surroundings, after=surroundings)
def test_registered_secrets_never_survive_scrubbing(secret, before, after):
    register_secret(secret)
    assert secret not in scrub(f"{before}{secret}{after}")


@settings(max_examples=20)
@given(secret=secrets)
def test_scrub_is_idempotent(secret):
    register_secret(secret)
    once = scrub(f"error near {secret}")
    assert scrub(once) == once


@pytest.mark.parametrize(
    "text",
    [
        "GET /api/v3/account?timestamp=1&signature=deadbeefcafe",
        "headers {'X-MBX-APIKEY': 'abcdef123456'}",
        '{"apiKey": "abcdef123456"}',
        "Authorization: Bearer abcdef123456",
        "OK-ACCESS-PASSPHRASE=abcdef123456",
        "api_secret=abcdef123456&recvWindow=5000",
    ],
)
def test_credential_shaped_fields_are_masked_even_when_unregistered(text):
    assert "abcdef123456" not in scrub(text) and "deadbeefcafe" not in scrub(text)


def test_short_values_are_not_registered():
    register_secret("ab12")
    assert scrub("ab12 stays") == "ab12 stays"


@given(value=st.text(max_size=200))
def test_mask_reveals_at_most_four_characters_at_each_end(value):
    masked = mask(value)
    if len(value) <= 12:
        assert set(masked) <= {"*"} and len(masked) <= 8
    else:
        assert masked == f"{value[:4]}…{value[-4:]}"


def test_kinds_for_the_breaker_and_retries():
    assert not ErrorKind.RATE_LIMITED.counts_for_breaker and ErrorKind.RATE_LIMITED.retryable
    assert not ErrorKind.BANNED.retryable and not ErrorKind.BANNED.counts_for_breaker
    assert not ErrorKind.AUTH.retryable and ErrorKind.AUTH.counts_for_breaker
    assert ErrorKind.NETWORK.retryable and ErrorKind.TIMEOUT.counts_for_breaker
    assert not ErrorKind.INVALID_REQUEST.retryable and not ErrorKind.INVALID_REQUEST.counts_for_breaker


def test_exit_codes_and_scrubbed_messages():
    register_secret("scrubme-exit-code-secret")
    user = ConfigError("bad value scrubme-exit-code-secret")
    failed = ExchangeError(ErrorKind.AUTH, "rejected key scrubme-exit-code-secret", status=401, code="-2015")
    assert user.exit_code == 2 and failed.exit_code == 1
    assert "scrubme-exit-code-secret" not in user.message + failed.message + repr(failed)
    assert isinstance(failed, CtsError) and failed.kind is ErrorKind.AUTH and failed.status == 401


class _Model(BaseModel):
    api_secret: int
    nested: dict[str, int]


@given(value=secrets)
def test_validation_errors_name_the_field_never_the_input(value):
    with pytest.raises(ValidationError) as caught:
        _Model.model_validate({"api_secret": value, "nested": {"k": value}})
    text = describe_validation_error(caught.value, prefix="section")
    assert value not in text
    assert "section.nested.k" in text and "\n" not in text


def test_log_filter_scrubs_message_and_traceback():
    register_secret("scrubme-logged-secret")
    logger = logging.getLogger("cts_tui.test_errors")
    handler = logging.Handler()
    records: list[logging.LogRecord] = []
    handler.emit = records.append  # type: ignore[method-assign]
    handler.addFilter(ScrubbingFilter())
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError("boom scrubme-logged-secret")
        except RuntimeError:
            logger.exception("failed with %s", "scrubme-logged-secret")
    finally:
        logger.removeHandler(handler)
    [record] = records
    assert "scrubme-logged-secret" not in record.getMessage()
    assert "scrubme-logged-secret" not in (record.exc_text or "") and "boom" in record.exc_text


def test_a_message_naming_a_credential_field_stays_readable() -> None:
    from cts_tui.config import parse_config_text
    from cts_tui.errors import ConfigError

    try:
        parse_config_text("api:\n  token: 5\n", "cfg.yaml")
    except ConfigError as exc:
        assert "api.token: Input should be a valid string" in str(exc)
    else:
        raise AssertionError("a number as the API token must be refused")
