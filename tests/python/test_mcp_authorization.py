"""Authorization without a retry, driven by the Python `mcp` SDK: URL elicitation on a
2025-11-25 connection (`mode="legacy"`) and a multi round-trip request on 2026-07-28
(the default `auto` mode discovers it). The elicitation callback plays the person:
it opens the link and approves it on the emulator's page, then accepts."""

import os
import urllib.parse
import urllib.request

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import ElicitResult

GATEWAY_BIN = os.environ.get("GATEWAY_BIN", "target/debug/arcade-mcp-gateway")


def gateway(emulator, user):
    """Launch parameters for `arcade-mcp-gateway serve` as `user` against the emulator."""
    return StdioServerParameters(
        command=GATEWAY_BIN,
        args=["serve"],
        env={
            "ARCADE_API_KEY": emulator.api_key,
            "ARCADE_BASE_URL": emulator.base_url,
            "ARCADE_USER_ID": user,
        },
    )


def decide(url, decision):
    """What the person does: open the link and press a button."""
    with urllib.request.urlopen(url) as page:
        assert page.status == 200
    body = urllib.parse.urlencode({"decision": decision}).encode()
    request = urllib.request.Request(url, data=body, method="POST")
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200


def text(result):
    return "\n".join(block.text for block in result.content if block.type == "text")


class Person:
    """An elicitation callback that records what it was asked and answers."""

    def __init__(self, decision="approve", action="accept"):
        self.decision = decision
        self.action = action
        self.asked = []

    async def __call__(self, context, params):
        self.asked.append((params.mode, params.message, params.url))
        if self.decision:
            await anyio.to_thread.run_sync(decide, params.url, self.decision)
        return ElicitResult(action=self.action)


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["legacy", "auto"], ids=["url-elicitation-2025-11-25", "mrtr-2026-07-28"])
async def test_one_call_returns_the_tools_result_once_approved(emulator, mode):
    person = Person()
    async with Client(gateway(emulator, "ann@example.com"), mode=mode, elicitation_callback=person) as ann:
        result = await ann.call_tool("Mail_ListEmails", {})
        assert not result.is_error, text(result)
        assert "ann@example.com" in text(result)
    assert len(person.asked) == 1
    kind, message, url = person.asked[0]
    assert kind == "url"
    assert "Google" in message
    assert url.startswith(emulator.base_url)


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["legacy", "auto"], ids=["url-elicitation-2025-11-25", "mrtr-2026-07-28"])
async def test_declining_keeps_the_link(emulator, mode):
    person = Person(decision=None, action="decline")
    async with Client(gateway(emulator, "ann@example.com"), mode=mode, elicitation_callback=person) as ann:
        result = await ann.call_tool("Mail_ListEmails", {})
        assert result.is_error
        assert result.structured_content["status"] == "declined"
        assert result.structured_content["authorization_url"] == person.asked[0][2]
