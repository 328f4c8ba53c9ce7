#!/usr/bin/env bash
# Writes OUT_DIR/arcade-mcp-gateway.mcpb: an MCP Bundle for Claude Desktop holding this
# platform's binary, packaging/mcpb/manifest.json (its version and platform filled in
# from the binary) and the icon. Claude Desktop asks for the Arcade key when the bundle
# is installed and keeps it in the operating system's keychain.
#
#   bash scripts/bundle-mcpb.sh OUT_DIR
#
# The binary is GATEWAY_BIN when set, else a `cargo build --profile dist` of this
# checkout. The manifest is validated and the bundle packed with @anthropic-ai/mcpb,
# installed from tests/packaging's lockfile.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:?usage: bundle-mcpb.sh OUT_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

case "$(uname -s)" in
  Darwin) platform=darwin exe="" ;;
  MINGW* | MSYS* | CYGWIN* | Windows_NT) platform=win32 exe=".exe" ;;
  *) platform=linux exe="" ;;
esac

bin="${GATEWAY_BIN:-}"
if [ -z "$bin" ]; then
  (cd "$root" && cargo build --locked --profile dist --bin arcade-mcp-gateway)
  bin="${CARGO_TARGET_DIR:-$root/target}/dist/arcade-mcp-gateway$exe"
fi
version="$("$bin" --version | awk '{print $2}')"

mcpb="$root/tests/packaging/node_modules/.bin/mcpb"
[ -x "$mcpb" ] || npm ci --prefix "$root/tests/packaging" --no-audit --no-fund --loglevel=error

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/server"
cp "$bin" "$stage/server/arcade-mcp-gateway$exe"
cp "$root/packaging/mcpb/icon.png" "$stage/"
node - "$root/packaging/mcpb/manifest.json" "$stage/manifest.json" "$version" "$platform" "$exe" <<'JS'
const fs = require("fs");
const [source, target, version, platform, exe] = process.argv.slice(2);
const manifest = JSON.parse(fs.readFileSync(source, "utf8"));
manifest.version = version;
manifest.server.entry_point = `server/arcade-mcp-gateway${exe}`;
manifest.compatibility.platforms = [platform];
fs.writeFileSync(target, JSON.stringify(manifest, null, 2) + "\n");
JS
"$mcpb" validate "$stage/manifest.json"
rm -f "$out/arcade-mcp-gateway.mcpb"
"$mcpb" pack "$stage" "$out/arcade-mcp-gateway.mcpb"
