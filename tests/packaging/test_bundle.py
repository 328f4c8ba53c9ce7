"""The Claude Desktop bundle: `scripts/bundle-mcpb.sh` writes a `.mcpb` that
@anthropic-ai/mcpb validates and unpacks; launched exactly as its manifest says, with
the `user_config` values substituted the way Claude Desktop substitutes them
(`${__dirname}` included), it serves the TypeScript SDK: lists the tools, calls one."""

import json
import os
import re
import subprocess

import pytest

from sdk_launch import GATEWAY_BIN, NODE_BIN, REPO, launch


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    """The bundle built from the test binary, then unpacked by the mcpb CLI."""
    out = tmp_path_factory.mktemp("bundle")
    subprocess.run(
        ["bash", str(REPO / "scripts" / "bundle-mcpb.sh"), str(out)],
        env={**os.environ, "GATEWAY_BIN": GATEWAY_BIN},
        check=True,
        capture_output=True,
    )
    bundle = out / "arcade-mcp-gateway.mcpb"
    info = subprocess.run([str(NODE_BIN / "mcpb"), "info", str(bundle)], capture_output=True, text=True, check=True)
    assert "arcade-mcp-gateway" in info.stdout, info.stdout
    into = out / "unpacked"
    subprocess.run([str(NODE_BIN / "mcpb"), "unpack", str(bundle), str(into)], check=True, capture_output=True)
    validated = subprocess.run(
        [str(NODE_BIN / "mcpb"), "validate", str(into / "manifest.json")], capture_output=True, text=True
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    return into


def substitute(value, dirname, user_config):
    """What Claude Desktop does to the strings of `mcp_config`."""

    def one(match):
        name = match.group(1)
        if name == "__dirname":
            return str(dirname)
        return str(user_config[name.removeprefix("user_config.")])

    return re.sub(r"\$\{([A-Za-z_.]+)\}", one, value)


def manifest_launch(unpacked, user_config):
    """The launch the manifest describes on this platform, substituted."""
    manifest = json.loads((unpacked / "manifest.json").read_text())
    config = manifest["server"]["mcp_config"]
    # The bundle holds the binary; an unpacker may drop its executable bit, which
    # Claude Desktop sets for a `binary` server.
    os.chmod(unpacked / manifest["server"]["entry_point"], 0o755)
    return {
        "command": substitute(config["command"], unpacked, user_config),
        "args": [substitute(arg, unpacked, user_config) for arg in config["args"]],
        "env": {k: substitute(v, unpacked, user_config) for k, v in config["env"].items()},
    }


def defaults(unpacked):
    manifest = json.loads((unpacked / "manifest.json").read_text())
    return {name: field.get("default", "") for name, field in manifest["user_config"].items()}


def test_the_manifest_keeps_the_key_in_the_keychain_and_describes_the_bundle(unpacked):
    manifest = json.loads((unpacked / "manifest.json").read_text())
    assert manifest["server"]["type"] == "binary"
    assert manifest["version"] == "0.1.0"
    key = manifest["user_config"]["api_key"]
    assert key["sensitive"] is True and key["required"] is True
    assert manifest["user_config"]["user_id"]["required"] is True
    assert manifest["user_config"]["toolkits"]["required"] is False
    env = manifest["server"]["mcp_config"]["env"]
    assert env["ARCADE_API_KEY"] == "${user_config.api_key}"
    assert env["ARCADE_USER_ID"] == "${user_config.user_id}"
    assert env["ARCADE_GATEWAY_TOOLKITS"] == "${user_config.toolkits}"
    assert manifest["server"]["mcp_config"]["command"].startswith("${__dirname}/")
    assert manifest["compatibility"]["platforms"] == ["linux"]
    assert manifest["tools_generated"] is True and manifest["tools"]
    assert (unpacked / manifest["icon"]).read_bytes().startswith(b"\x89PNG")


def test_the_bundle_launched_as_its_manifest_says_lists_and_calls_tools(unpacked, emulator, tmp_path):
    user_config = {
        **defaults(unpacked),
        "api_key": emulator.api_key,
        "user_id": "ann@example.com",
        "toolkits": "Math",
        "base_url": emulator.base_url,
    }
    spec = manifest_launch(unpacked, user_config)
    assert spec["command"] == str(unpacked / "server" / "arcade-mcp-gateway")
    names, called = launch({**spec, "call": {"name": "Math_Add", "arguments": {"a": 20, "b": 22}}}, {"HOME": str(tmp_path)})
    assert {"Math_Add", "Math_Multiply"} <= set(names), names
    assert not any(name.startswith("Mail_") for name in names), "only the chosen toolkit"
    assert called == ["called Math_Add: 42"], called


def test_a_blank_toolkit_list_serves_every_tool(unpacked, emulator, tmp_path):
    user_config = {**defaults(unpacked), "api_key": emulator.api_key, "user_id": "ann@example.com"}
    user_config["base_url"] = emulator.base_url
    assert user_config["toolkits"] == ""
    names, _ = launch(manifest_launch(unpacked, user_config), {"HOME": str(tmp_path)})
    assert {"Math_Add", "Mail_ListEmails", "CodeHost_CreateIssue"} <= set(names), names
