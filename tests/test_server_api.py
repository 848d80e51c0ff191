"""The HTTP API in process (Starlette's test client): auth, scopes, tenants (403 + audit row), rate
limits (429), body limits (413), JSON errors naming fields (422), every endpoint, the OpenAPI schema."""

from __future__ import annotations

import pytest

pytest.importorskip("starlette")
pytest.importorskip("mcp")

from starlette.testclient import TestClient  # noqa: E402

from agentmem.learning.audit import AuditLog  # noqa: E402
from agentmem.server.app import create_app  # noqa: E402
from agentmem.server.keys import KeyStore  # noqa: E402
from agentmem.server.service import HomeService  # noqa: E402


@pytest.fixture
def served(settings):
    keys = KeyStore(settings.home)
    tokens = {
        "alice_w": keys.create("alice", "write").token,
        "alice_r": keys.create("alice", "read").token,
        "bob_w": keys.create("bob", "write").token,
        "admin": keys.create("*", "admin").token,
        "alice_admin": keys.create("alice", "admin").token,
        "slow": keys.create("carol", "read", rate_per_s=0.01, burst=2).token,  # one token per 100 s: no refill during the test
    }
    service = HomeService(settings)
    app = create_app(service, keys=keys, require_keys=True, max_body_bytes=4096)
    with TestClient(app) as client:
        yield client, tokens, settings


def h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_health_and_openapi_need_no_key(served):
    client, _, _ = served
    health = client.get("/v1/health").json()
    assert health["status"] == "ok" and health["auth"] == "keys" and "facts" in health["stores"]
    schema = client.get("/openapi.json").json()
    assert schema["openapi"].startswith("3.") and "/v1/recall" in schema["paths"]
    assert "RecallRequest" in schema["components"]["schemas"] and "RecallContext" in schema["components"]["schemas"]


def test_missing_or_bad_key_is_401(served):
    client, tokens, _ = served
    r = client.post("/v1/recall", json={"query": "x"})
    assert r.status_code == 401 and r.json()["error"] == "unauthorized" and r.headers["www-authenticate"] == "Bearer"
    assert client.post("/v1/recall", json={"query": "x"}, headers=h(tokens["alice_w"] + "x")).status_code == 401


def test_remember_recall_items_show_why_in_own_namespace(served):
    client, tokens, _ = served
    r = client.post("/v1/remember", json={"text": "The deploy key lives in vault://ops/deploy"}, headers=h(tokens["alice_w"]))
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["namespace"] == "alice/default" and saved["store"] == "facts"
    ctx = client.post("/v1/recall", json={"query": "where is the deploy key?"}, headers=h(tokens["alice_r"])).json()
    assert saved["id"] in [i["record"]["id"] for i in ctx["items"]] and "vault://ops/deploy" in ctx["text"]
    listed = client.get("/v1/items", params={"store": "facts"}, headers=h(tokens["alice_r"])).json()
    assert [i["id"] for i in listed["items"]] == [saved["id"]]
    shown = client.get(f"/v1/items/facts/{saved['id']}", headers=h(tokens["alice_r"])).json()
    assert shown["text"] == "The deploy key lives in vault://ops/deploy" and shown["namespace"] == "alice/default"
    why = client.get(f"/v1/items/facts/{saved['id']}/why", headers=h(tokens["alice_r"])).json()
    assert why["found"] is True and why["written_by"], why  # written through the controller: an edit with provenance
    assert client.get("/v1/items/facts/nope", headers=h(tokens["alice_r"])).status_code == 404
    assert client.get("/v1/items/nostore/x", headers=h(tokens["alice_r"])).status_code == 404


def test_writes_go_through_the_controller_audit_log(served):
    client, tokens, settings = served
    saved = client.post("/v1/remember", json={"text": "Alice prefers window seats"}, headers=h(tokens["alice_w"])).json()
    rows = AuditLog(settings.home / "audit.sqlite").entries()
    assert any(r.status == "applied" and r.kind == "add_item" and r.store == "facts" and r.item_id == saved["id"] for r in rows)


def test_other_namespace_is_403_with_an_audit_row_and_nothing_leaks(served):
    client, tokens, settings = served
    secret = client.post("/v1/remember", json={"text": "Bob's locker code is 4711"}, headers=h(tokens["bob_w"])).json()
    r = client.post("/v1/recall", json={"query": "locker code", "namespace": "bob"}, headers=h(tokens["alice_w"]))
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert client.post("/v1/remember", json={"text": "x", "namespace": "bob/default"}, headers=h(tokens["alice_w"])).status_code == 403
    assert client.get(f"/v1/items/facts/{secret['id']}", headers=h(tokens["alice_r"])).status_code == 403
    assert client.get("/v1/items", params={"namespace": "alicia"}, headers=h(tokens["alice_r"])).status_code == 403
    own = client.post("/v1/recall", json={"query": "Bob's locker code 4711"}, headers=h(tokens["alice_r"])).json()
    assert all(i["record"]["namespace"].startswith("alice/") for i in own["items"])
    assert "4711" not in own["text"]
    denied = [r for r in AuditLog(settings.home / "audit.sqlite").entries() if r.kind == "access"]
    assert len(denied) == 4 and all(r.status == "refused" for r in denied)
    assert denied[0].payload["namespace"] == "bob/default" and denied[0].payload["key_namespace"] == "alice"


def test_scopes(served):
    client, tokens, _ = served
    r = client.post("/v1/remember", json={"text": "x"}, headers=h(tokens["alice_r"]))
    assert r.status_code == 403 and "needs scope write" in r.json()["message"]
    assert client.get("/v1/metrics", headers=h(tokens["alice_w"])).status_code == 403
    # a namespaced admin cannot snapshot or roll back the whole home
    r = client.post("/v1/snapshots", json={"name": "x"}, headers=h(tokens["alice_admin"]))
    assert r.status_code == 403 and "namespace '*'" in r.json()["message"]
    m = client.get("/v1/metrics", headers=h(tokens["alice_admin"]))
    assert m.status_code == 200 and "agentmem_requests_total" in m.text


def test_rate_limit_is_429_with_retry_after(served):
    client, tokens, _ = served
    codes = [client.post("/v1/recall", json={"query": "x"}, headers=h(tokens["slow"])).status_code for _ in range(4)]
    assert codes == [200, 200, 429, 429]
    r = client.post("/v1/recall", json={"query": "x"}, headers=h(tokens["slow"]))
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and r.json()["error"] == "rate_limited"
    assert client.post("/v1/recall", json={"query": "x"}, headers=h(tokens["alice_r"])).status_code == 200  # other keys unaffected


def test_body_limit_is_413_and_bad_input_is_422_with_field_names(served):
    client, tokens, _ = served
    r = client.post("/v1/remember", json={"text": "x" * 5000}, headers=h(tokens["alice_w"]))
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    r = client.post("/v1/recall", json={"query": "x", "budget_tokens": 0}, headers=h(tokens["alice_r"]))
    assert r.status_code == 422 and [f["field"] for f in r.json()["fields"]] == ["budget_tokens"]
    r = client.post("/v1/recall", json={"qury": "x"}, headers=h(tokens["alice_r"]))
    assert r.status_code == 422 and {f["field"] for f in r.json()["fields"]} == {"query", "qury"}
    r = client.post("/v1/recall", content=b"{not json", headers={**h(tokens["alice_r"]), "content-type": "application/json"})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "body"
    r = client.post("/v1/learn", json={"task": "t", "items": [{"store": "facts", "id": "nope"}], "outcome": {"score": 1, "success": True}}, headers=h(tokens["alice_w"]))
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "items.0"
    r = client.post("/v1/recall", json={"query": "x", "namespace": "a//b"}, headers=h(tokens["admin"]))
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "namespace"
    r = client.get("/v1/items", params={"limit": 0}, headers=h(tokens["alice_r"]))
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "limit"


def test_learn_records_outcome_and_utility_through_the_controller(served):
    client, tokens, settings = served
    saved = client.post("/v1/remember", json={"text": "Use the staging database for tests"}, headers=h(tokens["alice_w"])).json()
    r = client.post("/v1/learn", json={"task": "run the tests", "items": [{"store": "facts", "id": saved["id"]}], "outcome": {"score": 1.0, "success": True, "source": "user"}},
                    headers=h(tokens["alice_w"]))
    assert r.status_code == 200, r.text
    rid = r.json()["run_id"]
    from agentmem.learning.outcome_log import OutcomeLog

    rows = [row for row in OutcomeLog(settings.home / "outcomes.sqlite").rows() if row.run_id == rid]
    assert [(row.store, row.item_id, row.namespace) for row in rows] == [("facts", saved["id"], "alice/default")]
    shown = client.get(f"/v1/items/facts/{saved['id']}/why", headers=h(tokens["alice_r"])).json()
    assert shown["used_in"] and shown["used_in"][0]["run_id"] == rid
    audit = AuditLog(settings.home / "audit.sqlite").entries(run_id=rid)
    assert any(a.kind == "update_utility" and a.status == "applied" for a in audit)
    other = client.post("/v1/learn", json={"task": "t", "items": [{"store": "facts", "id": saved["id"]}], "outcome": {"score": 1, "success": True}}, headers=h(tokens["bob_w"]))
    assert other.status_code == 403


def test_snapshot_and_rollback_by_the_home_admin(served):
    client, tokens, _ = served
    a = client.post("/v1/remember", json={"text": "first fact about the release train"}, headers=h(tokens["alice_w"])).json()
    snap = client.post("/v1/snapshots", json={"name": "before"}, headers=h(tokens["admin"])).json()
    b = client.post("/v1/remember", json={"text": "second fact about the release train"}, headers=h(tokens["alice_w"])).json()
    assert [s["id"] for s in client.get("/v1/snapshots", headers=h(tokens["admin"])).json()["snapshots"]] == [snap["id"]]
    r = client.post("/v1/rollback", json={"ref": snap["id"]}, headers=h(tokens["admin"]))
    assert r.status_code == 200 and r.json()["id"] == snap["id"]
    ids = [i["id"] for i in client.get("/v1/items", params={"store": "facts"}, headers=h(tokens["alice_r"])).json()["items"]]
    assert ids == [a["id"]] and b["id"] not in ids
    assert client.post("/v1/rollback", json={"ref": "no-such-snapshot"}, headers=h(tokens["admin"])).status_code == 404


def test_open_loopback_server_needs_no_key(settings):
    service = HomeService(settings)
    with TestClient(create_app(service, require_keys=False, mcp=False)) as client:
        assert client.get("/v1/health").json()["auth"] == "open"
        saved = client.post("/v1/remember", json={"text": "an open fact"}).json()
        assert saved["namespace"] == "default/default"
