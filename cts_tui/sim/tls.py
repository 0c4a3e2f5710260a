"""A throwaway certificate authority for the simulator's HTTPS and WSS.

SDKs that hard-code ``https://`` (Coinbase's, Bybit's and OKX's WebSocket clients) talk to the
simulator when told to trust this CA (``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE``). The CA and the
server certificate (for 127.0.0.1, ::1 and localhost) are made afresh for every simulator, valid
for a day, with P-256 keys (a few milliseconds to make); the CA file lives in a temporary
directory removed when the simulator closes. Nothing here is meant to be trusted beyond that.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALID_FOR = dt.timedelta(days=1)


class ThrowawayCa:
    """``ca_file`` for clients, ``server_context()`` for the listeners; `close()` removes both."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="cts-sim-tls-"))
        now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)  # a client's clock may lag a little
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cts-tui simulator CA")])
        ca_cert = (
            _builder(ca_name, ca_name, ca_key.public_key(), now)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                 x509.IPAddress(ipaddress.ip_address("::1"))]
        cert = (
            _builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]), ca_name,
                     key.public_key(), now)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file = self._dir / "ca.pem"
        self.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        self._chain = self._dir / "server.pem"
        self._chain.write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
            + cert.public_bytes(serialization.Encoding.PEM)
        )
        self._chain.chmod(0o600)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self._chain)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA (and only it)."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey,
             now: dt.datetime) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + VALID_FOR)
    )
