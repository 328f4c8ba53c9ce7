// Reads the conformance suite's results for each run of run.sh, compares every failing
// check with expected-failures.txt, prints a digest, and exits:
//   0  every failure is expected and every entry of the list was used
//   1  an unexpected failure, or a stale entry (one that no longer fails: remove it)
//   2  a run is broken (suite crashed, scenarios missing, bad list)
//
// Usage: node report.mjs <expected-failures.txt> <label>=<results-dir>=<suite-log> ...
//
// The suite writes <results-dir>/server-<scenario>-<timestamp>/checks.json, one per
// scenario; a check whose status is FAILURE fails the scenario, WARNING does not (the
// suite counts it as passed) but is printed.
//
// expected-failures.txt: one entry a line, `<scenario>  # reason` (every check of that
// scenario may fail) or `<scenario>:<check-id>  # reason` (only that check may fail).
// An entry applies to every mode and requirement set. The reason is mandatory.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const [listFile, ...runs] = process.argv.slice(2);
if (!listFile || runs.length === 0) {
  console.error("usage: node report.mjs <expected-failures.txt> <label>=<results-dir>=<suite-log> ...");
  process.exit(2);
}
const fullMatrix = process.env.CONFORMANCE_FULL_MATRIX !== "0";
const oneLine = (s) => String(s ?? "").replace(/\s+/g, " ").trim();
let broken = false;

// ---- the list ----
const whole = new Map(); // scenario -> reason
const single = new Map(); // scenario:check -> reason
readFileSync(listFile, "utf8").split("\n").forEach((raw, i) => {
  const line = raw.trim();
  if (line === "" || line.startsWith("#")) return;
  const hash = line.indexOf("#");
  const entry = (hash < 0 ? line : line.slice(0, hash)).trim();
  const reason = hash < 0 ? "" : line.slice(hash + 1).trim();
  const where = `${listFile}:${i + 1}`;
  if (!/^[\w./-]+(:[\w./-]+)?$/.test(entry)) {
    console.log(`BROKEN  ${where}: not "<scenario>[:<check-id>]  # reason": ${line}`);
    broken = true;
  } else if (!reason) {
    console.log(`BROKEN  ${where}: ${entry} has no "# reason"`);
    broken = true;
  } else {
    (entry.includes(":") ? single : whole).set(entry, reason);
  }
});
for (const k of single.keys())
  if (whole.has(k.split(":")[0])) {
    console.log(`BROKEN  ${listFile}: ${k} is also listed as a whole scenario`);
    broken = true;
  }
const used = new Set();

// ---- the runs ----
let scenarioPassed = 0;
let scenarioFailed = 0;
let unexpectedTotal = 0;
const unexpectedByRun = [];
for (const spec of runs) {
  const [label, dir, log] = spec.split("=");
  const logText = existsSync(log) ? readFileSync(log, "utf8") : "";
  const announced = /Running requirements \S+ \((\d+) scenarios\)/.exec(logText);
  const notScored = new Map();
  for (const m of logText.matchAll(/^\s+[✓✗] (\S+) \(([\w-]+)\)\s*$/gmu)) notScored.set(m[1], m[2]);
  const dirs = existsSync(dir) ? readdirSync(dir).filter((d) => /^server-.+-\d{4}-\d\d-\d\dT[\d-]+Z$/.test(d)) : [];
  console.log(`\n== ${label}: ${dirs.length} scenarios run`);
  if (!logText.includes("=== SUMMARY ===") || !announced) {
    console.log(`BROKEN  the suite did not finish (no summary in ${log})`);
    broken = true;
  } else if (Number(announced[1]) !== dirs.length) {
    console.log(`BROKEN  the suite announced ${announced[1]} scenarios but wrote results for ${dirs.length}`);
    broken = true;
  }
  const unexpected = [];
  for (const d of dirs.sort()) {
    const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(d)[1];
    const tag = notScored.has(scenario) ? ` [not scored: ${notScored.get(scenario)}]` : "";
    let checks;
    try {
      checks = JSON.parse(readFileSync(join(dir, d, "checks.json"), "utf8"));
    } catch (e) {
      checks = [{ id: "(checks.json)", status: "FAILURE", errorMessage: `unreadable: ${e.message}` }];
    }
    let unexpectedHere = false;
    for (const c of checks) {
      let msg = oneLine(c.errorMessage || c.details?.message);
      if (c.id === "wire-schema-valid" && c.status === "FAILURE")
        msg = `${msg} ${(c.details?.violations ?? []).map((v) => oneLine(JSON.stringify(v))).join(" | ")}`.trim();
      msg = msg.slice(0, 600);
      if (c.status === "WARNING") {
        console.log(`  warning     ${scenario}:${c.id}${tag}: ${msg}`);
        continue;
      }
      if (c.status !== "FAILURE") continue;
      const key = `${scenario}:${c.id}`;
      if (whole.has(scenario) || single.has(key)) {
        used.add(whole.has(scenario) ? scenario : key);
        console.log(`  expected    ${key}${tag}: ${msg}`);
      } else {
        unexpectedHere = true;
        unexpected.push(`${key}${tag}: ${msg}`);
        console.log(`  UNEXPECTED  ${key}${tag}: ${msg}`);
      }
    }
    if (unexpectedHere) scenarioFailed++;
    else scenarioPassed++;
  }
  unexpectedTotal += unexpected.length;
  unexpectedByRun.push([label, unexpected]);
}

// ---- verdict ----
const stale = [...whole.keys(), ...single.keys()].filter((k) => !used.has(k));
console.log("\n== verdict");
for (const [label, list] of unexpectedByRun) {
  if (list.length === 0) continue;
  console.log(`unexpected failures in ${label}:`);
  for (const u of list) console.log(`  ${u}`);
}
if (stale.length > 0) {
  console.log(`${fullMatrix ? "stale" : "unused (partial run, not an error)"} entries in ${listFile}: they failed in no run${fullMatrix ? "; remove them" : ""}:`);
  for (const s of stale) console.log(`  ${s}`);
}
if (broken) console.log("some runs are broken (see BROKEN above)");
// The closing line, in the plain form CI reads: scenario runs (one scenario under one mode
// and requirement set) with no unexpected failure, and with one.
console.log(`conformance: ${scenarioPassed} passed, ${scenarioFailed} failed`);
process.exit(broken ? 2 : unexpectedTotal > 0 || (fullMatrix && stale.length > 0) ? 1 : 0);
