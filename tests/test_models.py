"""The data model: capability rules, secrets that never show, URLs, the state machine."""

from __future__ import annotations

import ipaddress
import itertools

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cts_tui.capabilities import (
    DERIVATIVE_API_TYPES,
    HAS_TESTNET,
    SUPPORTED_API_TYPES,
    PassphrasePolicy,
    passphrase_policy,
    supports,
)
from cts_tui.errors import InvalidTransition, describe_validation_error
from cts_tui.models import (
    ApiType,
    BatchResult,
    Connection,
    ConnectionDraft,
    ConnectionPatch,
    ConnectionState,
    ExchangeId,
    TestResult,
    Transition,
    allowed_transitions,
    next_state,
    validate_base_url,
)

# Secrets get registered for scrubbing process-wide: a distinctive prefix keeps generated ones
# from masking ordinary text in other tests.
secrets = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=8, max_size=60).map(
    lambda s: "hyp-" + s
)


def fields(exchange: ExchangeId, api_type: ApiType, **extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "n",
        "exchange": exchange,
        "api_type": api_type,
        "api_key": "hyp-key-0123456789",
        "api_secret": "hyp-secret-0123456789",
    }
    if passphrase_policy(exchange) is PassphrasePolicy.REQUIRED:
        base["api_passphrase"] = "hyp-pass-0123"
    base.update(extra)
    return base


@pytest.mark.parametrize(("exchange", "api_type"), list(itertools.product(ExchangeId, ApiType)))
def test_capability_matrix_decides_every_combination(exchange, api_type):
    if supports(exchange, api_type):
        assert Connection(**fields(exchange, api_type)).api_type is api_type
        return
    with pytest.raises(ValidationError) as caught:
        Connection(**fields(exchange, api_type))
    message = describe_validation_error(caught.value)
    assert f"{exchange.value} has no {api_type.value} API" in message
    assert all(t.value in message for t in SUPPORTED_API_TYPES[exchange])


def test_specification_matrix():
    assert set(SUPPORTED_API_TYPES[ExchangeId.BYBIT]) == {ApiType.UNIFIED, ApiType.PERPETUAL_FUTURES, ApiType.SPOT, ApiType.MARGIN}
    for exchange in (ExchangeId.BINANCE, ExchangeId.OKX):
        assert ApiType.UNIFIED not in SUPPORTED_API_TYPES[exchange]
    for exchange in (ExchangeId.BINGX, ExchangeId.PIONEX, ExchangeId.ORANGEX):
        assert set(SUPPORTED_API_TYPES[exchange]) == {ApiType.PERPETUAL_FUTURES, ApiType.SPOT}


@settings(max_examples=40)
@given(exchange=st.sampled_from(list(ExchangeId)), passphrase=st.one_of(st.none(), secrets))
def test_passphrase_policy(exchange, passphrase):
    api_type = SUPPORTED_API_TYPES[exchange][0]
    data = fields(exchange, api_type, api_passphrase=passphrase)
    policy = passphrase_policy(exchange)
    ok = passphrase is not None if policy is PassphrasePolicy.REQUIRED else (
        policy is PassphrasePolicy.OPTIONAL or passphrase is None
    )
    if ok:
        Connection(**data)
    else:
        with pytest.raises(ValidationError, match="passphrase"):
            Connection(**data)


@given(exchange=st.sampled_from(list(ExchangeId)), testnet=st.booleans())
def test_testnet_only_where_the_exchange_has_one(exchange, testnet):
    data = fields(exchange, SUPPORTED_API_TYPES[exchange][0], is_testnet=testnet)
    if testnet and exchange not in HAS_TESTNET:
        with pytest.raises(ValidationError, match="has no testnet"):
            Connection(**data)
    else:
        assert Connection(**data).is_testnet is testnet


@given(api_type=st.sampled_from(list(ApiType)), margin=st.sampled_from([None, "cross", "isolated"]))
def test_margin_type_only_for_derivatives(api_type, margin):
    data = fields(ExchangeId.BYBIT, api_type, margin_type=margin)
    if not supports(ExchangeId.BYBIT, api_type):
        return
    if margin is not None and api_type not in DERIVATIVE_API_TYPES:
        with pytest.raises(ValidationError, match="derivatives only"):
            Connection(**data)
    else:
        assert Connection(**data).margin_type == margin


@settings(max_examples=30)  # each example registers its secrets for scrubbing, session-wide
@given(key=secrets, secret=secrets, passphrase=secrets)
def test_secrets_never_show_in_repr_dump_or_public_view(key, secret, passphrase):
    connection = Connection(**fields(ExchangeId.OKX, ApiType.SPOT, api_key=key, api_secret=secret, api_passphrase=passphrase))
    public = connection.public_dict()
    shown = " ".join([repr(connection), str(connection), str(connection.model_dump()), str(public)])
    for value in (key, secret, passphrase):
        assert value not in shown
    assert public["api_secret"] == public["api_passphrase"] == "********"
    masked = str(public["api_key"])
    revealed = masked.replace("…", "").replace("*", "")
    assert len(revealed) <= 8 and (not revealed or (key.startswith(revealed[:4]) and key.endswith(revealed[4:])))


@given(bad=st.sampled_from(["", " ", "has space", "tab\there"]))
def test_empty_or_whitespace_keys_are_refused(bad):
    with pytest.raises(ValidationError, match="api_key"):
        Connection(**fields(ExchangeId.BYBIT, ApiType.SPOT, api_key=bad))


@given(name=st.text(min_size=81, max_size=120).filter(lambda s: len(s.strip()) > 80))
def test_overlong_names_are_refused(name):
    with pytest.raises(ValidationError, match="name"):
        Connection(**fields(ExchangeId.BYBIT, ApiType.SPOT, name=name))


@given(weight=st.integers())
def test_weight_bounds(weight):
    data = fields(ExchangeId.BYBIT, ApiType.SPOT, weight=weight)
    if 0 <= weight <= 10_000:
        assert Connection(**data).weight == weight
    else:
        with pytest.raises(ValidationError, match="weight"):
            Connection(**data)


hosts = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,10}){0,3}", fullmatch=True)


@given(host=hosts, port=st.one_of(st.none(), st.integers(1, 65535)), path=st.from_regex(r"(/[a-z0-9]{1,8}){0,3}/?", fullmatch=True))
def test_https_base_urls_are_accepted_without_trailing_slash(host, port, path):
    url = f"https://{host}{f':{port}' if port else ''}{path}"
    assert validate_base_url(url) == url.rstrip("/")


@given(address=st.ip_addresses())
def test_plain_http_only_to_loopback(address):
    host = f"[{address}]" if address.version == 6 else str(address)
    url = f"http://{host}:8080"
    if ipaddress.ip_address(address).is_loopback:
        assert validate_base_url(url) == url
    else:
        with pytest.raises(ValueError, match="https"):
            validate_base_url(url)


@pytest.mark.parametrize("url", ["ftp://host", "https://", "https://h/?q=1", "https://h/#x", "localhost:80"])
def test_malformed_base_urls_are_refused(url):
    with pytest.raises(ValueError):
        validate_base_url(url)


def test_specification_state_machine():
    S, T = ConnectionState, Transition
    assert next_state(S.DISABLED, T.ENABLE) is S.TESTING
    assert next_state(S.TESTING, T.PASS) is S.ACTIVE
    assert next_state(S.TESTING, T.FAIL) is S.ERROR
    assert next_state(S.ACTIVE, T.PAUSE) is S.PAUSED and next_state(S.PAUSED, T.RESUME) is S.ACTIVE
    assert next_state(S.ERROR, T.PAUSE) is S.PAUSED and next_state(S.PAUSED, T.FAIL) is S.ERROR
    with pytest.raises(InvalidTransition, match="cannot pass a connection that is disabled"):
        next_state(S.DISABLED, T.PASS)


@given(walk=st.lists(st.integers(0, 100), max_size=40))
def test_random_walks_stay_legal_and_disable_always_works(walk):
    state = ConnectionState.DISABLED
    for step in walk:
        moves = allowed_transitions(state)
        assert Transition.DISABLE in moves
        move = moves[step % len(moves)]
        state = next_state(state, move)
        if move is Transition.DISABLE:
            assert state is ConnectionState.DISABLED
    for illegal in set(Transition) - set(allowed_transitions(state)):
        with pytest.raises(InvalidTransition):
            next_state(state, illegal)


def test_apply_validates_and_stamps_updated_at():
    connection = Connection(**fields(ExchangeId.BYBIT, ApiType.UNIFIED))
    patched = connection.apply(ConnectionPatch(weight=3))
    assert patched.weight == 3 and patched.updated_at >= connection.updated_at and patched.id == connection.id
    with pytest.raises(ValidationError):
        connection.apply(ConnectionPatch(api_type=ApiType.FUTURES))


def test_patch_knows_when_it_rotates_keys():
    assert ConnectionPatch(api_secret="hyp-new-secret-1").rotates_keys
    assert not ConnectionPatch(name="x").rotates_keys


def test_draft_becomes_a_connection_with_a_fresh_id():
    draft = ConnectionDraft(**fields(ExchangeId.BINANCE, ApiType.SPOT))
    a, b = Connection.from_draft(draft), Connection.from_draft(draft)
    assert a.id != b.id and a.api_key == draft.api_key


def test_batch_result_wire_shape():
    ok = TestResult(connection_id="id1", success=True, balance=5000.0)
    bad = TestResult(connection_id="id2", success=False, error="API key invalid", error_kind="auth")
    batch = BatchResult.of({"id1": ok, "id2": bad}, duration_ms=1200)
    assert batch.wire() == {  # the specification's example: success true with one failed
        "success": True,
        "totalConnections": 2,
        "successful": 1,
        "failed": 1,
        "duration": 1200,
        "results": {
            "id1": {"success": True, "balance": 5000.0},
            "id2": {"success": False, "error": "API key invalid", "errorKind": "auth"},
        },
    }


# A fixed key, so that every run (and every xdist worker) collects the same test ids.
PEM_LINES = ec.derive_private_key(0x5EED_C0FFEE, ec.SECP256R1()).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
    serialization.NoEncryption()).decode().splitlines()  # a CDP key's shape: header, 3 lines, footer


@pytest.mark.parametrize("pasted", [
    "\n".join(PEM_LINES) + "\n",  # as the file holds it
    "\\n".join(PEM_LINES) + "\\n",  # as Coinbase's JSON key file writes it
    " ".join(PEM_LINES),  # run together by a one-line input box
], ids=["file", "json-escaped", "one-line"])
def test_a_coinbase_cdp_pem_secret_is_stored_in_one_canonical_form(pasted):
    key = "organizations/0b8f/apiKeys/4c2e"
    connection = Connection(**fields(ExchangeId.COINBASE, ApiType.SPOT, api_key=key, api_secret=pasted))
    secret = connection.api_secret.get_secret_value()
    assert secret.splitlines()[0] == PEM_LINES[0] and secret.splitlines()[-1] == PEM_LINES[-1]
    assert secret.splitlines()[1:-1] == PEM_LINES[1:-1]
    shown = " ".join([repr(connection), str(connection.public_dict()), describe_validation_error(ValueError(secret))])
    assert not any(line in shown for line in PEM_LINES[1:-1])


@pytest.mark.parametrize(("exchange", "secret", "reason"), [
    (ExchangeId.BINANCE, "\n".join(PEM_LINES), "PEM key is for Coinbase"),
    (ExchangeId.COINBASE, PEM_LINES[0] + "\nnot base64 at all!\n" + PEM_LINES[-1], "not base64"),
    (ExchangeId.COINBASE, "\n".join(PEM_LINES[:-1]), "one -----BEGIN"),
], ids=["not-coinbase", "not-base64", "no-footer"])
def test_a_malformed_or_misplaced_pem_secret_is_refused_without_echoing_it(exchange, secret, reason):
    with pytest.raises(ValidationError) as caught:
        Connection(**fields(exchange, ApiType.SPOT, api_secret=secret))
    message = describe_validation_error(caught.value)
    assert reason in message and "\n" not in message and PEM_LINES[1] not in message


@pytest.mark.parametrize("url", ["https://h:65536", "https://h:99999", "https://h/a b", "http://127.0.0.256", "https://a..b"])
def test_base_urls_no_http_client_could_use_are_refused(url):
    """What the published schema's pattern refuses too (a port past 65535 once broke every
    snapshot: the pool view could not parse the stored URL)."""
    with pytest.raises(ValueError, match="base_url"):
        validate_base_url(url)
