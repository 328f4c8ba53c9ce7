"""The official Python client (`arcadepy`) against the emulator: proves the emulator
speaks the real Arcade API (paths, auth header, bodies, pagination, long-poll)."""

from __future__ import annotations

import threading
import time
import urllib.parse
import urllib.request

import pytest
from arcadepy import Arcade, PermissionDeniedError

READ_SCOPE = "https://www.googleapis.com/auth/gmail.readonly"


@pytest.fixture
def client(emulator):
    return Arcade(api_key=emulator.api_key, base_url=emulator.base_url, max_retries=0)


def approve(url: str, decision: str = "approve") -> str:
    """Does what the user's browser does on the authorization page."""
    body = urllib.parse.urlencode({"decision": decision}).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=10) as page:
        return page.read().decode()


def test_list_get_and_execute_math(client):
    tools = list(client.tools.list(toolkit="Math"))
    assert {t.qualified_name for t in tools} >= {"Math.Add", "Math.Divide", "Math.SumList"}
    add = client.tools.get(name="Math.Add")
    assert add.fully_qualified_name.startswith("Math.Add@")
    assert [p.name for p in add.input.parameters] == ["a", "b"]

    result = client.tools.execute(tool_name="Math.Add", input={"a": 2, "b": 40}, user_id="py-user")
    assert result.success is True
    assert result.output.value == 42


def test_pagination_follows_offsets(client):
    first = client.tools.list(limit=4)
    assert len(first.items) == 4 and first.total_count == 10
    assert len(list(first)) == 10  # the client's auto-paging walks every page


def test_divide_by_zero_is_a_tool_error(client):
    result = client.tools.execute(tool_name="Math.Divide", input={"a": 1, "b": 0}, user_id="py-user")
    assert result.success is False
    assert result.output.error.kind == "TOOL_RUNTIME_BAD_INPUT_VALUE"
    assert result.output.error.additional_prompt_content


def test_tool_authorization_flow(client):
    with pytest.raises(PermissionDeniedError):
        client.tools.execute(tool_name="Mail.ListEmails", input={}, user_id="py-alice")

    pending = client.tools.authorize(tool_name="Mail.ListEmails", user_id="py-alice")
    assert pending.status == "pending"
    assert pending.url and pending.url.endswith(f"/authorize/{pending.id}")
    other = client.tools.authorize(tool_name="Mail.ListEmails", user_id="py-bob")
    assert other.id != pending.id and other.url != pending.url

    # Approve from another thread while the client long-polls.
    threading.Timer(0.3, approve, args=(pending.url,)).start()
    started = time.monotonic()
    done = client.auth.wait_for_completion(pending)
    assert time.monotonic() - started < 10
    assert done.status == "completed"

    result = client.tools.execute(tool_name="Mail.ListEmails", input={"n_emails": 3}, user_id="py-alice")
    assert result.success is True
    assert len(result.output.value["emails"]) == 3
    with pytest.raises(PermissionDeniedError):
        client.tools.execute(tool_name="Mail.ListEmails", input={}, user_id="py-bob")


def test_status_long_poll_and_deny(client):
    pending = client.tools.authorize(tool_name="CodeHost.CreateIssue", user_id="py-carol")
    assert client.auth.status(id=pending.id).status == "pending"
    page = approve(pending.url, "deny")
    assert "Access denied" in page
    assert client.auth.status(id=pending.id, wait=5).status == "failed"


def test_auth_start_returns_a_token(client):
    started = client.auth.start("py-dave", "google", scopes=[READ_SCOPE])
    assert started.status == "pending" and started.url
    assert "Access granted" in approve(started.url)
    done = client.auth.status(id=started.id, wait=5)
    assert done.status == "completed"
    assert done.context.token.startswith("tok_")
    again = client.auth.start("py-dave", "google", scopes=[READ_SCOPE])
    assert again.status == "completed" and again.context.token == done.context.token


def grant(client, user: str, provider: str) -> None:
    started = client.auth.start(user, provider, scopes=["read"])
    approve(started.url)
    assert client.auth.status(id=started.id, wait=5).status == "completed"


def connections(client, **query):
    """Every connection matching `query`, by the real query names (`user_id`,
    `provider_id`): arcadepy 1.10.0's own `user=`/`provider=` arguments send
    `user[id]`/`provider[id]`, which Arcade's published API does not have."""
    return list(client.admin.user_connections.list(extra_query=query))


def test_connections_by_user_id_and_provider_id_across_pages_and_delete(client):
    for provider in ("google", "github", "slack"):
        grant(client, "py-erin", provider)
    grant(client, "py-frank", "google")

    first = client.admin.user_connections.list(extra_query={"user_id": "py-erin", "limit": 1})
    assert len(first.items) == 1 and first.total_count == 3
    erins = connections(client, user_id="py-erin", limit=1)  # three pages, walked by offset
    assert sorted(c.provider_id for c in erins) == ["github", "google", "slack"]
    assert all(c.user_id == "py-erin" and c.id for c in erins)
    assert sorted(c.user_id for c in connections(client, provider_id="google")) == ["py-erin", "py-frank"]
    [erin_google] = connections(client, user_id="py-erin", provider_id="google")

    client.admin.user_connections.delete(erin_google.id)
    assert sorted(c.provider_id for c in connections(client, user_id="py-erin")) == ["github", "slack"]
    assert len(connections(client, user_id="py-frank")) == 1
    assert client.auth.start("py-erin", "google", scopes=["read"]).status == "pending"
