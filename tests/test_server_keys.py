"""API keys of the memory service: hashed storage, prefixes, scopes, revocation, the CLI, and the
refusal to listen on a public address without keys."""

from __future__ import annotations

import json

import pytest

from agentmem.errors import ConfigError
from agentmem.server import check_listen, is_loopback
from agentmem.server.keys import KeyStore, Scope, reaches


def test_keys_are_stored_hashed_and_verified_in_constant_time_form(tmp_path):
    keys = KeyStore(tmp_path)
    created = keys.create("alice", "write", label="bots")
    raw = (tmp_path / "server" / "keys.json").read_text()
    secret = created.token.split("_", 2)[2]
    assert secret not in raw and created.token not in raw
    assert created.key.digest in raw
    p = keys.verify(created.token)
    assert p is not None and p.key_id == created.key.id and p.scope == Scope.write and p.namespace == "alice"
    assert keys.verify(created.token[:-1] + ("A" if created.token[-1] != "A" else "B")) is None
    assert keys.verify("am_" + created.key.id + "_wrong") is None
    assert keys.verify("") is None and keys.verify("garbage") is None
    listed = [k.public() for k in keys.list()]
    assert listed and all("digest" not in k for k in listed)


def test_revoked_key_is_refused_and_revocation_reaches_an_open_store(tmp_path):
    server_view = KeyStore(tmp_path)
    created = KeyStore(tmp_path).create("*", "admin")
    assert server_view.verify(created.token) is not None
    KeyStore(tmp_path).revoke(created.key.id)  # another process (the CLI) revokes it
    assert server_view.verify(created.token) is None
    with pytest.raises(ConfigError, match="no key with id"):
        server_view.revoke("nope")


def test_prefix_reaches_whole_segments_only():
    assert reaches("alice", "alice/default") and reaches("alice", "alice/bot/run1")
    assert reaches("alice/bot", "alice/bot") and reaches("alice/bot", "alice/bot/r")
    assert not reaches("alice", "alicia/default") and not reaches("alice/bot", "alice/bots")
    assert reaches("*", "anyone/else")


@pytest.mark.parametrize("bad", ["", "a//b", "a/b/c/d", "a /b"])
def test_bad_prefix_and_scope_are_named(tmp_path, bad):
    with pytest.raises(ConfigError, match="--namespace"):
        KeyStore(tmp_path).create(bad, "read")
    with pytest.raises(ConfigError, match="--scope"):
        KeyStore(tmp_path).create("alice", "owner")


def test_scopes_are_ordered():
    assert Scope.admin.allows(Scope.write) and Scope.write.allows(Scope.read)
    assert not Scope.read.allows(Scope.write) and not Scope.write.allows(Scope.admin)


def test_public_address_without_keys_is_refused(tmp_path):
    keys = KeyStore(tmp_path)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and not is_loopback("0.0.0.0")
    assert check_listen("127.0.0.1", keys) is False  # key-less loopback: open
    with pytest.raises(ConfigError, match="refusing to serve"):
        check_listen("0.0.0.0", keys)
    keys.create("alice", "read")
    assert check_listen("0.0.0.0", keys) is True
    assert check_listen("127.0.0.1", keys) is True  # keys exist: always required


def test_keys_cli_create_list_revoke(home):
    from typer.testing import CliRunner

    from agentmem.cli import app

    runner = CliRunner()
    out = runner.invoke(app, ["--json", "keys", "create", "--namespace", "alice", "--scope", "write", "--label", "ci"])
    assert out.exit_code == 0, out.output
    made = json.loads(out.stdout)
    assert made["token"].startswith("am_") and made["scope"] == "write" and "digest" not in made
    listed = runner.invoke(app, ["--json", "keys", "list"])
    assert listed.exit_code == 0 and made["token"] not in listed.stdout
    assert [k["id"] for k in json.loads(listed.stdout)] == [made["id"]]
    gone = runner.invoke(app, ["keys", "revoke", made["id"]])
    assert gone.exit_code == 0 and "revoked" in gone.stdout
    assert json.loads(runner.invoke(app, ["--json", "keys", "list"]).stdout) == []
    assert len(json.loads(runner.invoke(app, ["--json", "keys", "list", "--all"]).stdout)) == 1
    bad = runner.invoke(app, ["keys", "create", "--namespace", "alice", "--scope", "root"])
    assert bad.exit_code == 2 and "--scope" in bad.output


def test_serve_refuses_public_host_without_keys(home):
    from typer.testing import CliRunner

    from agentmem.cli import app

    out = CliRunner().invoke(app, ["serve", "--http", "--host", "0.0.0.0", "--port", "1"])
    assert out.exit_code == 2 and "refusing to serve" in out.output
