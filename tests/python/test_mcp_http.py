"""The gateway over HTTP, driven by the Python `mcp` SDK: Streamable HTTP at /mcp and the
legacy HTTP+SSE transport at /sse, two users with their own bearer tokens at once (each
their own link, grant and result), and a session that only its opener may use."""

import contextlib
import hashlib
import json
import os
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request

import httpx2
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from emulator_process import stop

GATEWAY_BIN = os.environ.get("GATEWAY_BIN", "target/debug/arcade-mcp-gateway")
from test_mcp_stdio import approve, text

LISTENING = "arcade-mcp-gateway listening on "
TOKENS = {
    "ann@example.com": "ann-py-token-5b7d9f1a3c5e7a9b1d3f",
    "bob@example.com": "bob-py-token-8e0a2c4e6a8c0e2a4c6e",
}


@contextlib.contextmanager
def http_gateway(emulator, *flags, env=None):
    """`serve --transport http` on a free loopback port against `emulator` with `flags`;
    yields its base URL."""
    env = {**os.environ, "ARCADE_API_KEY": emulator.api_key, "ARCADE_BASE_URL": emulator.base_url,
           "RUST_LOG": "info", **(env or {})}
    env.pop("ARCADE_USER_ID", None)
    process = subprocess.Popen(
        [GATEWAY_BIN, "serve", "--no-catalog-cache", "--transport", "http", "--bind", "127.0.0.1:0", *flags],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    found = threading.Event()
    base = []

    def drain():
        for line in process.stderr:
            if not found.is_set() and line.startswith(LISTENING):
                base.append(line[len(LISTENING):].strip())
                found.set()

    threading.Thread(target=drain, daemon=True).start()
    if not found.wait(timeout=20):
        process.kill()
        pytest.fail("the gateway did not print where it listens")
    try:
        yield base[0]
    finally:
        stop(process)


@pytest.fixture
def gateway(emulator, tmp_path):
    """The HTTP gateway with a token file for ann and bob."""
    tokens = tmp_path / "tokens"
    tokens.write_text(
        "".join(f"sha256:{hashlib.sha256(t.encode()).hexdigest()} {u}\n" for u, t in TOKENS.items())
    )
    with http_gateway(emulator, "--tokens-file", str(tokens)) as base:
        yield base


def auth(user):
    return {"Authorization": f"Bearer {TOKENS[user]}"}


def streamable(base, user):
    return streamable_http_client(f"{base}/mcp", http_client=httpx2.AsyncClient(headers=auth(user)))


def legacy_sse(base, user):
    return sse_client(f"{base}/sse", headers=auth(user))


async def two_users_authorize_separately(transport, base):
    async with Client(transport(base, "ann@example.com")) as ann, Client(transport(base, "bob@example.com")) as bob:
        names = {tool.name for tool in (await ann.list_tools()).tools}
        assert {"Math_Add", "Mail_ListEmails"} <= names
        added = await bob.call_tool("Math_Add", {"a": 2, "b": 40})
        assert text(added) == "42"

        ann_first = await ann.call_tool("Mail_ListEmails", {})
        bob_first = await bob.call_tool("Mail_ListEmails", {})
        ann_url = ann_first.structured_content["authorization_url"]
        bob_url = bob_first.structured_content["authorization_url"]
        assert ann_first.is_error and ann_url != bob_url

        approve(ann_url)
        ann_again = await ann.call_tool("Mail_ListEmails", {})
        assert not ann_again.is_error, text(ann_again)
        bob_again = await bob.call_tool("Mail_ListEmails", {})
        assert bob_again.structured_content["authorization_url"] == bob_url


@pytest.mark.anyio
async def test_streamable_http_two_users(gateway):
    await two_users_authorize_separately(streamable, gateway)


@pytest.mark.anyio
async def test_legacy_sse_two_users(gateway):
    await two_users_authorize_separately(legacy_sse, gateway)


def test_legacy_sse_session_is_only_for_its_opener(gateway):
    stream = urllib.request.urlopen(urllib.request.Request(f"{gateway}/sse", headers=auth("ann@example.com")))
    try:
        lines = [stream.readline().decode().strip() for _ in range(2)]
        assert lines[0] == "event: endpoint", lines
        endpoint = lines[1].removeprefix("data: ")
        message = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()
        headers = {**auth("bob@example.com"), "Content-Type": "application/json"}
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(gateway + endpoint, data=message, headers=headers))
        assert refused.value.code == 403
        assert json.load(refused.value)["error"] == "session_not_yours"
    finally:
        stream.close()


def test_no_token_is_refused_with_a_challenge(gateway):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{gateway}/sse")
    assert refused.value.code == 401
    assert refused.value.headers["WWW-Authenticate"].startswith("Bearer")
