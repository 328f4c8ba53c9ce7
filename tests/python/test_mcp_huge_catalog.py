"""The full fixture catalog (about 6,400 real Arcade tools) through the Python `mcp` SDK,
with its default limits (it refuses an SSE event over 1 MiB): paging through every tool
over stateful Streamable HTTP and over legacy SSE, and discovery (search, describe,
call_tool): a tool without a grant, bad arguments (nothing goes upstream), an unknown
name (the closest are suggested), and a tool that needs a grant: with the link in the
result, in one call through URL elicitation, and in one call through a multi
round-trip request whose rounds a load balancer sends to two stateless replicas."""

import json

from pathlib import Path

import httpx2
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from emulator_process import start_emulator, stop
from test_mcp_authorization import Person
from test_mcp_http import http_gateway
from test_mcp_stdio import approve, text

ARCHIVE = Path(__file__).resolve().parents[1] / "fixtures" / "catalog.tar.gz"
USER = "ann@example.com"
# What stateless replicas share so one can read the requestState another sealed.
STATE_KEY = "replicas-share-this-state-key-0123456789"


@pytest.fixture
def catalog_emulator():
    """An emulator serving the repository's copy of the real catalog."""
    assert ARCHIVE.is_file(), f"the fixture catalog {ARCHIVE} is missing"
    process, running = start_emulator("--catalog", str(ARCHIVE))
    try:
        yield running
    finally:
        stop(process)


def runs(emulator):
    """How many tool runs the emulator has seen, of every tool and user."""
    stats = httpx2.get(f"{emulator.base_url}/_emulator/stats",
                       headers={"Authorization": f"Bearer {emulator.api_key}"}).json()
    return sum(sum(users.values()) for users in stats["executions"].values())


async def every_tool(client):
    names, cursor, pages = [], None, 0
    while True:
        page = await client.list_tools(cursor=cursor)
        assert page.tools, "an empty page"
        names.extend(tool.name for tool in page.tools)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            return names, pages


async def send_email_arguments(client):
    """Arguments for Gmail.SendEmail, read from describe_tools: an address for each
    required one."""
    described = await client.call_tool("describe_tools", {"names": ["Gmail.SendEmail"]})
    assert not described.is_error, text(described)
    required = described.structured_content["tools"][0]["inputSchema"].get("required", [])
    return {name: "x@example.com" for name in required}


async def send_email_in_one_call(client):
    """call_tool of Gmail_SendEmail, which needs a grant, answered with its result in
    that one call (the client's elicitation callback approves)."""
    arguments = await send_email_arguments(client)
    result = await client.call_tool("call_tool", {"name": "Gmail_SendEmail", "arguments": arguments})
    assert not result.is_error, text(result)
    assert USER in text(result)


def assert_whole_catalog(names, pages):
    assert pages > 10, pages
    assert len(names) == len(set(names)), "a tool listed twice"
    assert len(names) > 6300, len(names)
    assert "GithubApi_CreateGithubIssue" in names or any(n.startswith("GithubApi_") for n in names)


@pytest.mark.anyio
async def test_streamable_http_pages_through_the_whole_catalog(catalog_emulator):
    with http_gateway(catalog_emulator, "--user-id", USER, "--discovery", "never") as base:
        transport = streamable_http_client(f"{base}/mcp", http_client=httpx2.AsyncClient())
        async with Client(transport) as client:
            assert_whole_catalog(*await every_tool(client))


@pytest.mark.anyio
async def test_legacy_sse_pages_through_the_whole_catalog(catalog_emulator):
    with http_gateway(catalog_emulator, "--user-id", USER, "--discovery", "never") as base:
        async with Client(sse_client(f"{base}/sse")) as client:
            assert_whole_catalog(*await every_tool(client))


@pytest.mark.anyio
async def test_discovery_search_describe_and_call(catalog_emulator):
    with http_gateway(catalog_emulator, "--user-id", USER) as base:
        # The first search may wait for the index of 6,400 tools: slow in a debug build.
        transport = streamable_http_client(f"{base}/mcp", http_client=httpx2.AsyncClient(timeout=60))
        async with Client(transport) as client:
            listed = [tool.name for tool in (await client.list_tools()).tools]
            assert listed[:3] == ["search_tools", "describe_tools", "call_tool"], listed

            found = await client.call_tool("search_tools", {"query": "send an email with gmail"})
            assert not found.is_error, text(found)
            hits = found.structured_content["tools"]
            assert "Gmail_SendEmail" in [hit["name"] for hit in hits[:5]], text(found)
            gmail = next(hit for hit in hits if hit["name"] == "Gmail_SendEmail")
            assert gmail["qualified_name"] == "Gmail.SendEmail"
            assert gmail["authorization"]["provider_id"]

            arguments = await send_email_arguments(client)
            first = await client.call_tool("call_tool", {"name": "Gmail_SendEmail", "arguments": arguments})
            assert first.is_error, text(first)
            approve(first.structured_content["authorization_url"])
            second = await client.call_tool("call_tool", {"name": "Gmail_SendEmail", "arguments": arguments})
            assert not second.is_error, text(second)
            assert USER in text(second)


class RoundRobin(httpx2.AsyncBaseTransport):
    """A load balancer in the client: each request goes to the next replica. Records
    which replica got each JSON-RPC method."""

    def __init__(self, bases):
        self.ports = [httpx2.URL(base).port for base in bases]
        self.inner = httpx2.AsyncHTTPTransport()
        self.sent = []

    async def handle_async_request(self, request):
        port = self.ports[len(self.sent) % len(self.ports)]
        request.url = request.url.copy_with(port=port)
        try:
            method = json.loads(request.content).get("method")
        except ValueError:
            method = None
        self.sent.append((port, method))
        return await self.inner.handle_async_request(request)

    async def aclose(self):
        await self.inner.aclose()


@pytest.mark.anyio
async def test_discovery_call_in_one_round_trip_across_two_stateless_replicas(catalog_emulator):
    flags = ("--user-id", USER, "--stateless")
    env = {"ARCADE_GATEWAY_STATE_KEY": STATE_KEY}
    with http_gateway(catalog_emulator, *flags, env=env) as one, http_gateway(catalog_emulator, *flags, env=env) as two:
        balancer = RoundRobin([one, two])
        http = httpx2.AsyncClient(transport=balancer, timeout=60)
        person = Person()
        transport = streamable_http_client(f"{one}/mcp", http_client=http)
        async with Client(transport, mode="auto", elicitation_callback=person) as client:
            await send_email_in_one_call(client)
    assert [kind for kind, _, _ in person.asked] == ["url"], person.asked
    rounds = [port for port, method in balancer.sent if method == "tools/call"][-2:]
    assert len(rounds) == 2 and rounds[0] != rounds[1], balancer.sent


@pytest.mark.anyio
async def test_discovery_of_a_tool_without_a_grant_bad_arguments_and_unknown_names(catalog_emulator):
    with http_gateway(catalog_emulator, "--user-id", USER) as base:
        transport = streamable_http_client(f"{base}/mcp", http_client=httpx2.AsyncClient(timeout=60))
        async with Client(transport) as client:
            found = await client.call_tool("search_tools", {"query": "look up airport codes for a city"})
            hits = found.structured_content["tools"]
            airports = next(hit for hit in hits if hit["qualified_name"] == "GoogleFlights.LookupAirports")
            assert airports["authorization"] is None, airports

            described = await client.call_tool("describe_tools", {"names": [airports["name"]]})
            schema = described.structured_content["tools"][0]["inputSchema"]
            assert "query" in schema["required"], schema

            start = runs(catalog_emulator)
            ran = await client.call_tool("call_tool", {"name": airports["name"], "arguments": {"query": "Lisbon"}})
            assert not ran.is_error, text(ran)
            before = runs(catalog_emulator)
            assert before == start + 1, "the emulator counts the run"
            wrong = await client.call_tool("call_tool", {"name": airports["name"], "arguments": {"query": 7}})
            assert wrong.is_error and "`query`" in text(wrong), text(wrong)
            assert runs(catalog_emulator) == before, "nothing went upstream"

            unknown = await client.call_tool("call_tool", {"name": "GoogleFlights_LookupAirport", "arguments": {}})
            assert unknown.is_error and "GoogleFlights_LookupAirports" in text(unknown), text(unknown)


@pytest.mark.anyio
async def test_discovery_call_through_url_elicitation_in_one_call(catalog_emulator):
    person = Person()
    with http_gateway(catalog_emulator, "--user-id", USER) as base:
        transport = streamable_http_client(f"{base}/mcp", http_client=httpx2.AsyncClient(timeout=60))
        async with Client(transport, mode="legacy", elicitation_callback=person) as client:
            await send_email_in_one_call(client)
    assert [kind for kind, _, _ in person.asked] == ["url"], person.asked
