"""Load test of the HTTP transport: N concurrent MCP sessions (Streamable HTTP, stateful),
each with its own user and bearer token, each making tool calls against the emulator.

Starts the emulator and the gateway (`serve --transport http`) as real processes on
loopback, runs the sessions, and prints calls/s, p50/p99 latency of a tools/call and the
gateway's peak resident memory (VmHWM). A script to run by hand, not a timed test:

    .venv/bin/python bench/http_load.py --sessions 500 --calls 10 [--binary target/release/arcade-mcp-gateway]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx2

REPO = Path(__file__).resolve().parents[1]
API_KEY = "arc_bench_key"
PROTOCOL = "2025-06-18"


def start(args: list[str], env: dict[str, str], prefix: str, stream: str) -> tuple[subprocess.Popen, str]:
    """Starts a process and returns it with the URL from its `... listening on URL` line."""
    process = subprocess.Popen(
        args,
        stdout=subprocess.PIPE if stream == "stdout" else subprocess.DEVNULL,
        stderr=subprocess.PIPE if stream == "stderr" else subprocess.DEVNULL,
        text=True,
        env={**os.environ, **env},
    )
    pipe = process.stdout if stream == "stdout" else process.stderr
    found: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        for line in pipe:
            if not ready.is_set() and line.startswith(prefix):
                found.append(line[len(prefix):].strip())
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    if not ready.wait(30):
        process.kill()
        raise SystemExit(f"{args[0]} did not start")
    return process, found[0]


def rpc_result(response: httpx2.Response) -> dict:
    """The JSON-RPC answer of a POST, whether sent as JSON or as an SSE stream."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    for line in response.text.splitlines():
        if line.startswith("data:") and line[5:].strip():
            message = json.loads(line[5:])
            if "id" in message:
                return message
    raise RuntimeError(f"no answer in {response.text[:200]!r}")


async def session(client: httpx2.AsyncClient, url: str, token: str, calls: int, latencies: list[float]) -> int:
    """One MCP session: initialize, then `calls` sequential Math_Add calls. Returns errors."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    init = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}}
    response = await client.post(url, json=init, headers=headers)
    response.raise_for_status()
    headers["Mcp-Session-Id"] = response.headers["mcp-session-id"]
    headers["MCP-Protocol-Version"] = PROTOCOL
    await client.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
    errors = 0
    for i in range(calls):
        call = {"jsonrpc": "2.0", "id": i + 1, "method": "tools/call",
                "params": {"name": "Math_Add", "arguments": {"a": i, "b": 1}}}
        started = time.perf_counter()
        response = await client.post(url, json=call, headers=headers)
        answer = rpc_result(response)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200 or answer.get("result", {}).get("isError"):
            errors += 1
    await client.delete(url, headers=headers)
    return errors


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--calls", type=int, default=10, help="tool calls per session")
    parser.add_argument("--binary", default=str(REPO / "target" / "debug" / "arcade-mcp-gateway"))
    options = parser.parse_args()

    tokens = {f"user{n}@example.com": f"bench-token-{n:04d}-{os.urandom(8).hex()}" for n in range(options.sessions)}
    with tempfile.TemporaryDirectory() as tmp:
        token_file = Path(tmp) / "tokens"
        token_file.write_text("".join(f"sha256:{hashlib.sha256(t.encode()).hexdigest()} {u}\n" for u, t in tokens.items()))
        env = {"ARCADE_API_KEY": API_KEY, "RUST_LOG": "warn"}
        emulator, arcade = start([options.binary, "emulator", "--bind", "127.0.0.1:0"], env,
                                 "arcade emulator listening on ", "stdout")
        gateway, base = start(
            [options.binary, "serve", "--transport", "http", "--bind", "127.0.0.1:0", "--tokens-file", str(token_file),
             "--calls-per-minute", "100000"],
            {**env, "ARCADE_BASE_URL": arcade}, "arcade-mcp-gateway listening on ", "stderr")
        try:
            latencies: list[float] = []
            limits = httpx2.Limits(max_connections=options.sessions, max_keepalive_connections=options.sessions)
            async with httpx2.AsyncClient(limits=limits, timeout=120) as client:
                started = time.perf_counter()
                errors = await asyncio.gather(*(
                    session(client, f"{base}/mcp", token, options.calls, latencies) for token in tokens.values()
                ))
                elapsed = time.perf_counter() - started
            latencies.sort()
            total = len(latencies)
            print(f"sessions={options.sessions} calls={total} errors={sum(errors)} elapsed={elapsed:.1f}s")
            print(f"throughput={total / elapsed:.0f} calls/s")
            print(f"latency p50={latencies[total // 2] * 1000:.1f}ms p99={latencies[int(total * 0.99)] * 1000:.1f}ms")
            print(f"gateway peak RSS={peak_rss_mib(gateway.pid):.1f} MiB")
        finally:
            for process in (gateway, emulator):
                process.terminate()
                process.wait(10)


if __name__ == "__main__":
    asyncio.run(main())
