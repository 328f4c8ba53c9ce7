"""Authorization without a retry, driven by the Python `mcp` SDK: URL elicitation on a
2025-11-25 connection (`mode="legacy"`) and a multi round-trip request on 2026-07-28
(the default `auto` mode discovers it). The elicitation callback plays the person:
it opens the link and approves it on the emulator's page, then accepts.
The helpers come from `test_mcp_stdio` (pytest puts this folder on `sys.path`)."""

import anyio
import pytest
from mcp import Client
from mcp_types import ElicitResult
from test_mcp_stdio import approve, gateway, text


class Person:
    """An elicitation callback that records what it was asked and answers."""

    def __init__(self, approves=True, action="accept"):
        self.approves = approves
        self.action = action
        self.asked = []

    async def __call__(self, context, params):
        self.asked.append((params.mode, params.message, params.url))
        if self.approves:
            await anyio.to_thread.run_sync(approve, params.url)
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
    person = Person(approves=False, action="decline")
    async with Client(gateway(emulator, "ann@example.com"), mode=mode, elicitation_callback=person) as ann:
        result = await ann.call_tool("Mail_ListEmails", {})
        assert result.is_error
        assert result.structured_content["status"] == "declined"
        assert result.structured_content["authorization_url"] == person.asked[0][2]
