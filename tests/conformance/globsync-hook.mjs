// Node 20 lacks fs.globSync (added in Node 22), which @modelcontextprotocol/conformance
// imports by name (`import { globSync } from "fs"`). Load this file with
//   node --import ./globsync-hook.mjs node_modules/@modelcontextprotocol/conformance/dist/index.js ...
// It does two things:
//   1. sets fs.globSync (from the npm `glob` package) on the shared fs object, so
//      `require("fs").globSync` and `import fs from "fs"; fs.globSync` work;
//   2. registers an ESM resolve/load hook that serves `fs` and `node:fs` from a small
//      shim module re-exporting everything of node:fs plus a named `globSync` export
//      (named exports of builtins are fixed, so step 1 alone is not enough for ESM).
// On a Node that already has fs.globSync it does nothing.
import fs from "node:fs";
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";
import { globSync as npmGlobSync } from "glob";

const SHIM_URL = "globsync-shim:fs";

export function globSync(pattern, options = {}) {
  const { exclude, withFileTypes, ...rest } = options ?? {};
  const opts = { ...rest, withFileTypes: !!withFileTypes };
  if (Array.isArray(exclude)) opts.ignore = exclude;
  else if (typeof exclude === "function")
    opts.ignore = { ignored: (p) => exclude(withFileTypes ? p : p.relative()) };
  return npmGlobSync(pattern, opts);
}

const native = typeof fs.globSync === "function";
// The hooks below run in Node's loader thread, which evaluates this file too: register
// only from the main thread.
if (!native && isMainThread) {
  fs.globSync = globSync;
  register(import.meta.url);
}

// ---- loader hooks (run in the loader thread) ----
let hooksActive = false;
export async function initialize() {
  hooksActive = true;
}

export async function resolve(specifier, context, nextResolve) {
  if (hooksActive && (specifier === "fs" || specifier === "node:fs") && context.parentURL !== SHIM_URL) {
    return { url: SHIM_URL, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (url === SHIM_URL) {
    const names = Object.keys(fs).filter((n) => n !== "default" && n !== "globSync" && /^[A-Za-z_$][\w$]*$/.test(n));
    const hookUrl = import.meta.url;
    const source = [
      `import fs from "node:fs";`,
      `import { globSync as shimGlobSync } from ${JSON.stringify(hookUrl)};`,
      `if (typeof fs.globSync !== "function") fs.globSync = shimGlobSync;`,
      `export default fs;`,
      `export const globSync = fs.globSync;`,
      `export const { ${names.join(", ")} } = fs;`,
    ].join("\n");
    return { format: "module", source, shortCircuit: true };
  }
  return nextLoad(url, context);
}
