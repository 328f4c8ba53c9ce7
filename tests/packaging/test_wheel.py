"""The Python package that ships the binary: the wheel carries complete metadata; `pip
install` of it into a fresh virtual environment, with no Rust anywhere on PATH, gives an
`arcade-mcp-gateway` command that runs `tools` and `call` on the emulator and serves the
TypeScript SDK over stdio; `uvx --from WHEEL` runs it too; and `configure` run from
either writes an entry that still starts after `uv cache clean`."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from sdk_launch import launch

NO_RUST_PATH = "/usr/bin:/bin"
DEMO_TOOLS = {"Math_Add", "Mail_ListEmails", "CodeHost_CreateIssue"}


def metadata(wheel):
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(name).decode()), archive.namelist()


def test_the_wheel_carries_the_binary_and_complete_metadata(wheel):
    meta, names = metadata(wheel)
    assert meta["Name"] == "arcade-mcp-gateway"
    assert meta["Version"] == "0.1.0"
    assert "per-user authorization" in meta["Summary"]
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta["Requires-Python"] == ">=3.8"
    urls = meta.get_all("Project-URL")
    assert any(url.startswith("Repository, https://") for url in urls), urls
    assert any(url.startswith("Changelog, https://") for url in urls), urls
    classifiers = meta.get_all("Classifier")
    assert "Programming Language :: Rust" in classifiers and len(classifiers) >= 8
    assert meta.get_payload().startswith("# arcade-mcp-gateway"), "the README is the description"
    assert any(n.endswith(".data/scripts/arcade-mcp-gateway") for n in names), names


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """A fresh virtual environment with the wheel installed by pip, from the file alone."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--no-index", str(wheel)],
        check=True,
    )
    return venv


def no_rust_env(venv, home):
    path = f"{venv / 'bin'}:{NO_RUST_PATH}"
    assert shutil.which("cargo", path=path) is None and shutil.which("rustc", path=path) is None
    return {"PATH": path, "HOME": str(home)}


def test_pip_install_of_the_wheel_puts_a_working_command_on_path(installed, tmp_path):
    env = no_rust_env(installed, tmp_path)
    command = shutil.which("arcade-mcp-gateway", path=env["PATH"])
    assert command == str(installed / "bin" / "arcade-mcp-gateway")

    tools = subprocess.run(
        ["arcade-mcp-gateway", "tools", "--emulator"], env=env, capture_output=True, text=True, check=True
    )
    assert all(tool in tools.stdout for tool in DEMO_TOOLS), tools.stdout

    called = subprocess.run(
        ["arcade-mcp-gateway", "call", "Math.Add", "--emulator", "--input", '{"a": 20, "b": 22}'],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert called.stdout.strip() == "42", called

    version = subprocess.run(["arcade-mcp-gateway", "--version"], env=env, capture_output=True, text=True)
    assert version.stdout.startswith("arcade-mcp-gateway 0.1.0 ("), version.stdout


def test_the_typescript_sdk_launches_the_installed_command_over_stdio(installed, tmp_path):
    spec = {"command": str(installed / "bin" / "arcade-mcp-gateway"), "args": ["serve", "--emulator"], "env": {}}
    names, _ = launch({**spec, "call": {"name": "Math_Add", "arguments": {"a": 1, "b": 2}}}, {"HOME": str(tmp_path)})
    assert DEMO_TOOLS <= set(names), names


def configured_entry(home):
    config = json.loads((home / ".claude.json").read_text())
    return config["mcpServers"]["arcade"]


def test_configure_from_a_pip_install_launches_the_environment_s_binary(installed, tmp_path):
    env = {**no_rust_env(installed, tmp_path), "ARCADE_USER_ID": "ann@example.com"}
    subprocess.run(
        ["arcade-mcp-gateway", "configure", "claude-code", "--emulator"], env=env, check=True, capture_output=True
    )
    entry = configured_entry(tmp_path)
    assert entry["command"] == str(installed / "bin" / "arcade-mcp-gateway"), entry
    assert entry["args"] == ["serve", "--emulator"], entry


@pytest.fixture
def uv_home(tmp_path):
    """A home of its own, with uv's cache in it, and uvx (from PyPI) by absolute path."""
    uvx = Path(sys.executable).with_name("uvx")
    assert uvx.is_file(), "uv is installed from tests/packaging/requirements.txt"
    env = {
        "HOME": str(tmp_path),
        "PATH": NO_RUST_PATH,
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_OFFLINE": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_CONFIG": "1",
    }
    return tmp_path, uvx, env


def test_uvx_runs_the_wheel_and_configure_writes_an_entry_that_survives_uv_cache_clean(wheel, uv_home):
    home, uvx, env = uv_home
    ran = subprocess.run(
        [str(uvx), "--from", str(wheel), "arcade-mcp-gateway", "tools", "--emulator"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0 and "Math_Add" in ran.stdout, ran

    subprocess.run(
        [str(uvx), "--from", str(wheel), "arcade-mcp-gateway", "configure", "claude-code", "--emulator"],
        env={**env, "ARCADE_USER_ID": "ann@example.com"},
        check=True,
        capture_output=True,
    )
    entry = configured_entry(home)
    # Started through uvx from the wheel, not by the path of its copy in uv's cache.
    assert entry["command"] == str(uvx), entry
    assert entry["args"] == ["--from", str(wheel), "arcade-mcp-gateway", "serve", "--emulator"], entry

    subprocess.run([str(uvx.with_name("uv")), "cache", "clean"], env=env, check=True, capture_output=True)
    assert not any((home / "uv-cache").rglob("arcade-mcp-gateway")), "the cache is empty"

    spec = {"command": entry["command"], "args": entry["args"], "env": entry.get("env", {})}
    client_env = {k: env[k] for k in ("HOME", "UV_CACHE_DIR", "UV_OFFLINE", "UV_PYTHON_DOWNLOADS")}
    names, _ = launch({**spec, "env": {**spec["env"], **client_env}}, {"HOME": str(home)})
    assert DEMO_TOOLS <= set(names), names


def test_configure_from_a_uv_tool_install_names_the_tool_s_own_binary(wheel, uv_home):
    home, uvx, env = uv_home
    env = {**env, "UV_TOOL_DIR": str(home / "tools"), "UV_TOOL_BIN_DIR": str(home / "bin")}
    uv = str(uvx.with_name("uv"))
    subprocess.run([uv, "tool", "install", str(wheel)], env=env, check=True, capture_output=True)
    installed = home / "bin" / "arcade-mcp-gateway"
    subprocess.run(
        [str(installed), "configure", "claude-code", "--emulator"],
        env={**env, "ARCADE_USER_ID": "ann@example.com"},
        check=True,
        capture_output=True,
    )
    entry = configured_entry(home)
    # The tool's environment, not uv's cache: it stays until `uv tool uninstall`.
    assert entry["command"].startswith(str(home / "tools")), entry
    subprocess.run([uv, "cache", "clean"], env=env, check=True, capture_output=True)
    names, _ = launch({"command": entry["command"], "args": entry["args"], "env": {}}, {"HOME": str(home)})
    assert DEMO_TOOLS <= set(names), names


def test_pip_install_from_a_clone_puts_a_working_command_on_path(tmp_path):
    """`pip install .` in a clone builds the wheel here (that needs Rust), with the `dev`
    profile so that it reuses the suite's debug build, and installs the command."""
    repo = Path(__file__).resolve().parents[2]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**os.environ, "MATURIN_PEP517_ARGS": "--profile dev"}
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(repo)], env=env, check=True
    )
    command = venv / "bin" / "arcade-mcp-gateway"
    called = subprocess.run(
        [str(command), "call", "Math.Add", "--emulator", "--input", '{"a": 2, "b": 3}'],
        env={"PATH": NO_RUST_PATH, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert called.stdout.strip() == "5", called
