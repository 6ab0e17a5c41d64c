"""The browser session, encrypted: whoever holds the device (or copies the cookie) reads
nothing from it.

Flask's default session cookie is signed but readable (base64 JSON): it would show the postal
code a supporter looked up and the officials they wrote to. Here the same cookie is encrypted
and authenticated with Fernet (AES-128-CBC and HMAC-SHA256, from the ``cryptography``
package), under a key derived from the app's secret key for this one purpose.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature


@lru_cache(maxsize=16)
def fernet_for(secret_key: str, purpose: str) -> Fernet:
    """A Fernet keyed for ``purpose`` from the app's secret key (no two uses share a key).
    Derived once per key and purpose (issue 13: deriving it anew cost every request an HKDF);
    a Fernet holds no state between calls, so threads share it."""
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"advocacy:{purpose}".encode()
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class EncryptedSerializer:
    """What Flask's cookie session needs of a serializer (``dumps``, ``loads(max_age)``)."""

    def __init__(self, fernet: Fernet) -> None:
        self.fernet = fernet
        self.json = TaggedJSONSerializer()

    def dumps(self, value: dict[str, Any]) -> str:
        return self.fernet.encrypt(self.json.dumps(value).encode()).decode("ascii")

    def loads(self, token: str | bytes, max_age: int | None = None) -> dict[str, Any]:
        try:
            raw = self.fernet.decrypt(token, ttl=max_age)
        except (InvalidToken, TypeError, ValueError) as exc:
            raise BadSignature("session cookie cannot be decrypted") from exc
        return self.json.loads(raw.decode())


class EncryptedSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session with an encrypted cookie."""

    def get_signing_serializer(self, app: Flask) -> EncryptedSerializer | None:
        if not app.secret_key:
            return None
        return EncryptedSerializer(fernet_for(str(app.secret_key), "session"))
