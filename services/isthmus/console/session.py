"""The session lives in the browser, sealed: a cookie encrypted and authenticated with AES-GCM.

No server state, so any console replica serves any request. The cookie holds who signed in, the
scopes they hold, the bearer token they signed in with (token sign-in only; encrypted, so it never
shows in a proxy log or a browser's cookie store as text), the CSRF token of their forms, and when it
expires. The cookie is ``Secure`` (browsers keep it over http only for localhost), ``HttpOnly`` and
``SameSite=Lax``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import asdict, dataclass, field

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

COOKIE = "isthmus_console"
_AAD = b"isthmus-console-session-v1"


@dataclass
class Session:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    user: str = ""  # display name; empty: not signed in
    subject: str = ""  # the token client's name or the OIDC subject, recorded as the actor's id
    scopes: list[str] = field(default_factory=list)
    token: str = ""  # the user's own bearer token (token sign-in); empty with OIDC
    via: str = ""  # "token", "oidc" or "open" (authentication off)
    expires: float = 0.0
    flash: str = ""  # one message for the next page
    # OpenID Connect sign-in in progress: state, nonce and PKCE verifier, and where to go after.
    oidc: dict[str, str] = field(default_factory=dict)

    @property
    def signed_in(self) -> bool:
        return bool(self.user) and self.expires > time.time()


class Sealer:
    def __init__(self, secret_key: bytes) -> None:
        # A dedicated key, so the secret could seal other things later without reusing this one.
        self._aead = AESGCM(hashlib.sha256(b"session:" + secret_key).digest())

    def seal(self, session: Session) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, orjson.dumps(asdict(session)), _AAD)
        return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, cookie: str | None) -> Session | None:
        """The session the cookie holds; None when absent, forged, tampered with or of another key."""
        if not cookie:
            return None
        try:
            raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
            data = orjson.loads(self._aead.decrypt(raw[:12], raw[12:], _AAD))
            return Session(**data)
        except (InvalidTag, ValueError, TypeError):
            return None
