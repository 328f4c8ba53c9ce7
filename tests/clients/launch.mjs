// Launches one configured stdio entry as a desktop client does, with the TypeScript MCP
// SDK, and prints the names of the tools it lists, one a line; or, when it cannot
// connect, `connect failed: ` and the error the SDK gives (what a client would show),
// with exit code 1. With a `call` ({"name": …, "arguments": {…}}) it then calls that tool
// and prints `called NAME: ` and the result's text on one more line.
//
//   node tests/clients/launch.mjs '{"command": "/abs/arcade-mcp-gateway", "args": ["serve", "--emulator"], "env": {}}'
//
// The server gets the entry's env and PATH=/usr/bin:/bin, nothing of the caller's PATH
// (a desktop app launched from a dock has no shell PATH); the SDK adds the few variables
// every client passes on (HOME, USER, SHELL, TERM, LOGNAME).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const entry = JSON.parse(process.argv[2] ?? "null");
if (!entry || typeof entry.command !== "string") {
  console.error("usage: node launch.mjs '{\"command\": …, \"args\": […], \"env\": {…}}'");
  process.exit(2);
}

const transport = new StdioClientTransport({
  command: entry.command,
  args: entry.args ?? [],
  env: { ...(entry.env ?? {}), PATH: "/usr/bin:/bin" },
  stderr: "inherit",
});
const client = new Client({ name: "configure-launch-test", version: "1.0.0" });
try {
  await client.connect(transport);
} catch (error) {
  console.log(`connect failed: ${error.message}`);
  process.exit(1);
}
const names = [];
let cursor;
do {
  const page = await client.listTools(cursor ? { cursor } : {});
  names.push(...page.tools.map((tool) => tool.name));
  cursor = page.nextCursor;
} while (cursor);
console.log(names.join("\n"));
if (entry.call) {
  const result = await client.callTool({ name: entry.call.name, arguments: entry.call.arguments ?? {} });
  const text = result.content.filter((block) => block.type === "text").map((block) => block.text);
  console.log(`called ${entry.call.name}: ${text.join(" ")}`);
}
await client.close();
