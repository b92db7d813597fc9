from __future__ import annotations

import pytest

from shared.adapters.firebase.id_tokens import FirebaseIdTokenVerifier
from shared.auth import Authenticator, DevAuthOnCloud, api_keys, dev_caller
from shared.config import Settings
from shared.domain.errors import Unauthenticated
from shared.ports.api_keys import ApiKeyRecord, ApiKeyStore


class Keys(ApiKeyStore):
    def __init__(self) -> None:
        self.records: dict[str, ApiKeyRecord] = {}
        self.reads = 0

    def get(self, key_hash: str) -> ApiKeyRecord | None:
        self.reads += 1
        return self.records.get(key_hash)

    def put(self, record: ApiKeyRecord) -> None:
        self.records[record.key_hash] = record


def auth(mode: str = "dev", **kw: object) -> tuple[Authenticator, Keys]:
    keys = Keys()
    settings = Settings(auth_mode=mode, **kw)  # type: ignore[arg-type]  # the test passes any setting by name
    id_tokens = FirebaseIdTokenVerifier.from_settings(settings)
    return Authenticator(settings, lambda: keys, lambda: id_tokens), keys


def test_dev_tokens() -> None:
    assert dev_caller("dev:acme:alice").model_dump(include={"tenant_id", "user_id"}) == {
        "tenant_id": "acme",
        "user_id": "alice",
    }
    assert dev_caller("dev:bob").tenant_id == "default"
    for bad in ["alice", "dev:", "dev:a:b:c:d", "dev:a:b:", "dev:a/b:c", "dev::x"]:
        with pytest.raises(Unauthenticated):
            dev_caller(bad)


def test_dev_mode_refuses_cloud_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("K_SERVICE", "hs-prod-chat")
    with pytest.raises(DevAuthOnCloud):
        auth("dev")
    auth("firebase")  # the production mode starts


def test_dev_mode_refuses_to_import_on_cloud(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.config import get_settings
    from shared.web import LazyApp

    monkeypatch.setenv("K_SERVICE", "hs-prod-chat")
    monkeypatch.setenv("HS_AUTH_MODE", "dev")
    get_settings.cache_clear()
    with pytest.raises(DevAuthOnCloud):
        LazyApp("shared.api.chat")


def test_api_key_by_header_or_bearer_hashed_with_pepper() -> None:
    authenticator, keys = auth("firebase", api_key_pepper="pepper")
    key = api_keys.generate()
    stored_hash = api_keys.hash_key(key, "pepper")
    assert key not in stored_hash and stored_hash != api_keys.hash_key(key, None)
    keys.put(ApiKeyRecord(key_hash=stored_hash, tenant_id="acme", user_id="svc-1"))
    for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        caller = authenticator.authenticate(headers)
        assert (caller.tenant_id, caller.user_id, caller.auth_method) == (
            "acme",
            "svc-1",
            "api_key",
        )
    assert keys.reads == 1  # cached


def test_unknown_or_disabled_api_key() -> None:
    authenticator, keys = auth()
    key = api_keys.generate()
    with pytest.raises(Unauthenticated):
        authenticator.authenticate({"X-API-Key": key})
    other = api_keys.generate()
    keys.put(ApiKeyRecord(api_keys.hash_key(other, None), "t", "u", disabled=True))
    with pytest.raises(Unauthenticated):
        authenticator.authenticate({"X-API-Key": other})


def test_firebase_token_claims_give_tenant_and_user(monkeypatch: pytest.MonkeyPatch) -> None:
    from google.oauth2 import id_token

    seen = {}

    def verify(token, request, audience=None, clock_skew_in_seconds=0):
        seen["audience"] = audience
        if token != "good":
            raise ValueError("Token expired")
        return {
            "iss": "https://securetoken.google.com/proj",
            "sub": "uid-1",
            "firebase": {"tenant": "tenant-a"},
        }

    monkeypatch.setattr(id_token, "verify_firebase_token", verify)
    authenticator, _ = auth("firebase", firebase_project="proj")
    caller = authenticator.authenticate({"Authorization": "Bearer good"})
    assert (caller.tenant_id, caller.user_id, seen["audience"]) == ("tenant-a", "uid-1", "proj")
    with pytest.raises(Unauthenticated):
        authenticator.authenticate({"Authorization": "Bearer bad"})
    # dev tokens mean nothing in firebase mode
    with pytest.raises(Unauthenticated):
        authenticator.authenticate({"Authorization": "Bearer dev:t:u"})
    # behind API Gateway the caller's token is forwarded; the gateway's own is in Authorization
    forwarded = {"Authorization": "Bearer gateway-oidc", "X-Forwarded-Authorization": "Bearer good"}
    assert authenticator.authenticate(forwarded).user_id == "uid-1"
    with pytest.raises(Unauthenticated):
        authenticator.authenticate({**forwarded, "X-Forwarded-Authorization": "Bearer bad"})


def test_firebase_token_of_other_project_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from google.oauth2 import id_token

    monkeypatch.setattr(
        id_token,
        "verify_firebase_token",
        lambda *a, **k: {"iss": "https://securetoken.google.com/evil", "sub": "u"},
    )
    authenticator, _ = auth("firebase", firebase_project="proj")
    with pytest.raises(Unauthenticated):
        authenticator.authenticate({"Authorization": "Bearer t"})
