"""The gateway over stdio, driven by the Python `mcp` SDK (another MCP implementation
than the server's own rmcp): list, a tool without authorization, the authorization
round trip, bad input, and a second user who gets their own link."""

import json
import os
import urllib.parse
import urllib.request

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

GATEWAY_BIN = os.environ.get("GATEWAY_BIN", "target/debug/arcade-mcp-gateway")


def gateway(emulator, user):
    """Launch parameters for `arcade-mcp-gateway serve` as `user` against the emulator."""
    return StdioServerParameters(
        command=GATEWAY_BIN,
        args=["serve", "--no-catalog-cache"],
        env={
            "ARCADE_API_KEY": emulator.api_key,
            "ARCADE_BASE_URL": emulator.base_url,
            "ARCADE_USER_ID": user,
        },
    )


def approve(url):
    """What the person does: open the link and press Approve."""
    with urllib.request.urlopen(url) as page:
        assert page.status == 200
    body = urllib.parse.urlencode({"decision": "approve"}).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST")) as answer:
        assert answer.status == 200


def text(result):
    return "\n".join(block.text for block in result.content if block.type == "text")


@pytest.mark.anyio
async def test_list_and_call_a_tool_without_authorization(emulator):
    async with Client(gateway(emulator, "ann@example.com")) as client:
        tools = (await client.list_tools()).tools
        names = {tool.name for tool in tools}
        assert {"Math_Add", "Mail_ListEmails"} <= names
        result = await client.call_tool("Math_Add", {"a": 20, "b": 22})
        assert not result.is_error, text(result)
        assert text(result) == "42"
        assert result.structured_content == {"result": 42}


@pytest.mark.anyio
async def test_authorization_round_trip_and_a_second_user(emulator):
    async with Client(gateway(emulator, "ann@example.com")) as ann:
        first = await ann.call_tool("Mail_ListEmails", {})
        prompt = first.structured_content
        assert prompt["authorization_required"] is True
        url = prompt["authorization_url"]
        assert url in text(first)
        assert prompt["provider_id"] == "google"

        approve(url)
        second = await ann.call_tool("Mail_ListEmails", {})
        assert not second.is_error, text(second)
        assert "ann@example.com" in text(second)

    async with Client(gateway(emulator, "bob@example.com")) as bob:
        bobs = await bob.call_tool("Mail_ListEmails", {})
        assert bobs.structured_content["authorization_required"] is True
        assert bobs.structured_content["authorization_url"] != url


@pytest.mark.anyio
async def test_bad_arguments_get_a_clear_tool_error(emulator):
    async with Client(gateway(emulator, "ann@example.com")) as client:
        result = await client.call_tool("Math_Add", {"a": "two", "b": 1})
        assert result.is_error
        assert "`a`" in text(result)
        ok = await client.call_tool("Math_Add", {"a": 1, "b": 2})
        assert json.loads(text(ok)) == 3
