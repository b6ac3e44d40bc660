"""Sign-in with OpenID Connect: the authorization code flow with PKCE, for enterprises' identity providers.

The user's roles (the ``OIDC_ROLES_CLAIM`` of the ID token, e.g. ``groups``) map to Isthmus scopes
(``OIDC_ROLE_SCOPES``). The user has no Isthmus token: the console calls the APIs with its own
(``HUB_TOKEN``) and refuses, before calling, what the user's scopes do not allow; the audit trails
name the user as the actor and the console as the principal.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from starlette.responses import RedirectResponse, Response

from isthmus.console.session import Session
from isthmus.console.settings import Oidc
from isthmus.console.signin import safe_next
from isthmus.console.web import Ctx, expiry

_TIMEOUT = 10.0
_METADATA_SECONDS = 3600.0


class Provider:
    def __init__(self, settings: Oidc) -> None:
        self.settings = settings
        self.hub_token = settings.hub_token
        self._metadata: dict[str, Any] = {}
        self._keys: jwt.PyJWKSet | None = None
        self._fetched = 0.0

    async def metadata(self, *, refresh: bool = False) -> dict[str, Any]:
        if refresh or not self._metadata or time.monotonic() - self._fetched > _METADATA_SECONDS:
            async with httpx.AsyncClient(timeout=_TIMEOUT) as client:
                found = (await client.get(f"{self.settings.issuer}/.well-known/openid-configuration")).json()
                keys = (await client.get(found["jwks_uri"])).json()
            if found.get("issuer", "").rstrip("/") != self.settings.issuer:
                raise ValueError(
                    f"the provider names itself {found.get('issuer')!r}, not the configured issuer"
                )
            self._metadata, self._keys, self._fetched = found, jwt.PyJWKSet.from_dict(keys), time.monotonic()
        return self._metadata

    async def exchange(self, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        metadata = await self.metadata()
        async with httpx.AsyncClient(timeout=_TIMEOUT) as client:
            response = await client.post(
                metadata["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": verifier,
                },
                auth=(self.settings.client_id, self.settings.client_secret),
            )
        if response.status_code != 200:
            raise ValueError(f"the provider refused the code ({response.status_code})")
        tokens: dict[str, Any] = response.json()
        return tokens

    async def verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        await self.metadata()
        header = jwt.get_unverified_header(id_token)
        try:
            key = self._key(header.get("kid"))
        except KeyError:
            await self.metadata(refresh=True)  # the provider rotated its keys
            key = self._key(header.get("kid"))
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key.key,
            algorithms=["RS256", "ES256", "PS256"],
            audience=self.settings.client_id,
            issuer=self.settings.issuer,
            options={"require": ["exp", "iat", "sub"]},
        )
        if claims.get("nonce") != nonce:
            raise ValueError("the ID token's nonce is not this sign-in's")
        return claims

    def _key(self, kid: str | None) -> jwt.PyJWK:
        assert self._keys is not None
        for key in self._keys.keys:
            if kid is None or key.key_id == kid:
                return key
        raise KeyError(kid)

    def scopes(self, claims: dict[str, Any]) -> list[str]:
        roles = claims.get(self.settings.roles_claim, [])
        if isinstance(roles, str):
            roles = roles.split()
        granted: set[str] = set()
        for role in roles if isinstance(roles, list) else []:
            granted |= self.settings.role_scopes.get(str(role), frozenset())
        return sorted(granted)


def _redirect_uri(ctx: Ctx) -> str:
    return str(ctx.request.url_for("oidc_callback"))


async def start(ctx: Ctx) -> Response:
    provider: Provider = ctx.console.oidc
    metadata = await provider.metadata()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    ctx.session.oidc = {
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "next": safe_next(ctx.field("next")),
    }
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.settings.client_id,
            "redirect_uri": _redirect_uri(ctx),
            "scope": "openid profile email",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return RedirectResponse(f"{metadata['authorization_endpoint']}?{query}", status_code=303)


async def callback(ctx: Ctx) -> Response:
    provider: Provider = ctx.console.oidc
    pending, ctx.session.oidc = ctx.session.oidc, {}
    if not pending or not secrets.compare_digest(ctx.field("state"), pending.get("state", "")):
        return _refused(ctx, "This sign-in was not started here, or was started twice. Try again.")
    if ctx.field("error"):
        return _refused(
            ctx, f"The identity provider refused: {ctx.field('error_description') or ctx.field('error')}"
        )
    try:
        tokens = await provider.exchange(ctx.field("code"), _redirect_uri(ctx), pending["verifier"])
        claims = await provider.verify(str(tokens.get("id_token", "")), pending["nonce"])
    except (ValueError, KeyError, jwt.PyJWTError, httpx.HTTPError) as exc:
        return _refused(ctx, f"Sign-in failed: {exc}")
    scopes = provider.scopes(claims)
    if not scopes:
        return _refused(ctx, "Your account has no role that grants access to the console.")
    name = str(claims.get("name") or claims.get("email") or claims["sub"])
    ctx.session = Session(user=name, subject=str(claims["sub"]), scopes=scopes, via="oidc")
    ctx.session.expires = expiry(ctx.console)
    return ctx.redirect(pending.get("next") or "/")


def _refused(ctx: Ctx, message: str) -> Response:
    return ctx.render("signin.html", status=401, error=message, next="/", oidc=True)
