"""A registry's TLS settings (``ca_file``, ``client_cert``, ``client_key``, ``insecure``)
as an ``ssl.SSLContext``, with a message a person can act on for every bad file.

The config loader builds the context once to check the files (so a CA bundle that is
not PEM, or a key that does not match its certificate, is a located config error
before any request), and the HTTP client builds it again to use it. Files are read as
regular files with a size bound (``sitegen.files``); an encrypted private key is
refused rather than letting OpenSSL ask for its passphrase on the terminal.
"""

from __future__ import annotations

import re
import ssl
from pathlib import Path

from sitegen.errors import ConfigError, FileRefused
from sitegen.files import read_limited, reason

MAX_PEM_BYTES = 4 << 20  # a full public CA bundle is about 220 KiB
_CERTIFICATE = re.compile(rb"-----BEGIN (?:TRUSTED |X509 )?CERTIFICATE-----")
_PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")
_OPENSSL_SOURCE = re.compile(r"\s*\(_ssl\.c:\d+\)")


def context(
    ca_file: Path | None, client_cert: Path | None, client_key: Path | None, insecure: bool
) -> ssl.SSLContext:
    """The context for one registry.

    Raises ``ConfigError`` whose ``key`` is the setting at fault (``ca_file``,
    ``client_cert`` or ``client_key``) and whose message names the file.
    """
    if ca_file is not None:
        data = _read(ca_file, "ca_file")
        if not _CERTIFICATE.search(data):
            raise ConfigError(f"{ca_file}: no PEM certificate in it", key="ca_file")
        try:
            tls = ssl.create_default_context(cadata=data.decode("ascii"))
        except (ssl.SSLError, ValueError) as exc:
            raise ConfigError(
                f"{ca_file}: not a PEM certificate bundle ({_openssl(exc)})", key="ca_file"
            ) from None
    else:
        tls = ssl.create_default_context()
    if insecure:
        tls.check_hostname = False
        tls.verify_mode = ssl.CERT_NONE
    if client_cert is not None:
        _load_client(tls, client_cert, client_key)
    return tls


def _load_client(tls: ssl.SSLContext, cert: Path, key: Path | None) -> None:
    cert_data = _read(cert, "client_cert")
    if not _CERTIFICATE.search(cert_data):
        raise ConfigError(f"{cert}: no PEM certificate in it", key="client_cert")
    key_setting = "client_key" if key is not None else "client_cert"
    key_data = _read(key, "client_key") if key is not None else cert_data
    if not _PRIVATE_KEY.search(key_data):
        where = f"{key}: no PEM private key in it" if key else f"{cert}: no PEM private key in it"
        hint = "" if key else "; give it as client_key"
        raise ConfigError(where + hint, key=key_setting)

    def no_passphrase() -> str:
        raise ValueError("encrypted")

    try:
        tls.load_cert_chain(str(cert), str(key) if key else None, password=no_passphrase)
    except ValueError:
        raise ConfigError(
            f"{key or cert}: the private key is encrypted; give an unencrypted key "
            "(sitegen cannot ask for a passphrase)",
            key=key_setting,
        ) from None
    except ssl.SSLError as exc:
        if "KEY_VALUES_MISMATCH" in str(exc):
            raise ConfigError(
                f"{key or cert}: the private key does not match the certificate in {cert}",
                key=key_setting,
            ) from None
        raise ConfigError(
            f"{cert}: cannot load the certificate and key ({_openssl(exc)})", key="client_cert"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{cert}: cannot read: {reason(exc)}", key="client_cert") from None


def _read(path: Path, key: str) -> bytes:
    try:
        return read_limited(path, MAX_PEM_BYTES)
    except FileNotFoundError:
        raise ConfigError(f"file not found: {path}", key=key) from None
    except (OSError, FileRefused) as exc:
        raise ConfigError(f"{path}: {reason(exc)}", key=key) from None


def _openssl(exc: Exception) -> str:
    """OpenSSL's words without the C source position."""
    text = exc.args[1] if isinstance(exc, ssl.SSLError) and len(exc.args) > 1 else str(exc)
    return _OPENSSL_SOURCE.sub("", str(text))
