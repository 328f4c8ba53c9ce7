"""Checks the recorded exchanges of a test run against the Arcade API contract.

    python tests/contract/check_contract.py LOG_DIR [--contract tests/contract/arcade-api.json]

LOG_DIR holds the `emulator-<pid>.jsonl` files the emulator writes when
`ARCADE_EMULATOR_CONTRACT_LOG=LOG_DIR` is set (crates/arcade-emulator/src/contract_log.rs),
one line per `/v1` exchange. The contract is the project's own JSON description of the
part of Arcade's Engine API it speaks (docs/arcade-api.md).

Every answer the emulator gave is checked (status, content type, body against the
status's schema, retry hints). Every request sent by a client the contract speaks for
(the gateway, `arcadepy`, `@arcadeai/arcadejs`, told apart by their user agent) is
checked too (query names and the types of their values, body fields, the key); a test's
own raw requests, often wrong on purpose, are only counted. The run fails when there is
a violation, when nothing was recorded, or when an operation the gateway uses was never
exercised by it. Error statuses an operation's spec does not list (the engine's list
is incomplete: no 429 anywhere) are checked against the error shape and reported as
notes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import parse_qsl

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

DEFAULT_CONTRACT = Path(__file__).with_name("arcade-api.json")

# Which client sent a request, by its user agent.
CLIENTS = (
    ("gateway", re.compile(r"^arcade-mcp-gateway/")),
    ("arcadepy", re.compile(r"^(Async)?Arcade/Python ")),
    ("arcadejs", re.compile(r"^Arcade/JS ")),
)


# Tool definitions that break the contract on purpose: the awkward fixture
# (tests/fixtures/awkward) serves one, as a real engine's bad data, to show the gateway
# skips it and serves the rest. Answers holding them are checked without them.
UNREADABLE_ON_PURPOSE = frozenset({"Awkward.Broken"})


@dataclass
class Exchange:
    """One recorded line, and where it came from (for the report)."""

    record: dict[str, Any]
    source: str

    @property
    def client(self) -> str | None:
        agent = self.record.get("user_agent") or ""
        return next((name for name, pattern in CLIENTS if pattern.search(agent)), None)


@dataclass
class Report:
    """What the check found: violations fail the run, notes are told."""

    violations: Counter = field(default_factory=Counter)
    notes: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    exchanges: int = 0
    by_client: Counter = field(default_factory=Counter)
    reduced: int = 0
    gateway_operations: set[str] = field(default_factory=set)

    def violation(self, message: str, where: str) -> None:
        self.violations[message] += 1
        self.examples.setdefault(message, where)

    def note(self, message: str, where: str) -> None:
        self.notes[message] += 1
        self.examples.setdefault(message, where)


class Contract:
    """The contract file, with a validator per schema."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.operations: dict[str, dict[str, Any]] = document["operations"]
        self.defs = document["$defs"]
        Draft202012Validator.check_schema({"$defs": self.defs})
        self.by_route = {(op["method"], op["path"]): name for name, op in self.operations.items()}
        self._validators: dict[str, Draft202012Validator] = {}

    @classmethod
    def load(cls, path: Path) -> "Contract":
        return cls(json.loads(path.read_text()))

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            self._validators[key] = Draft202012Validator({"$defs": self.defs, **schema})
        return self._validators[key]


def schema_errors(validator: Draft202012Validator, value: Any) -> Iterator[str]:
    """Each error as `at <path>: <what>`, array indices folded to `[*]` so that one
    fault repeated over a page reads as one."""
    for error in validator.iter_errors(value):
        deepest = best_match(error.context) if error.context else error
        yield describe(deepest)


def describe(error: ValidationError) -> str:
    path = re.sub(r"\[\d+\]", "[*]", error.json_path)
    message = error.message if len(error.message) <= 160 else error.message[:160] + "…"
    return f"at {path}: {message}"


def parse_query_value(raw: str, schema: dict[str, Any]) -> Any:
    """A query string value as the type its schema names (None when it is not one)."""
    kind = schema.get("type", "string")
    if kind == "integer":
        return int(raw) if re.fullmatch(r"-?\d+", raw) else None
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw)
    if kind == "array":
        return raw.split(",")
    return raw


def check_query(contract: Contract, name: str, exchange: Exchange, report: Report) -> None:
    op = contract.operations[name]
    allowed = op.get("query", {})
    label = f"{op['method']} {op['path']}"
    where = exchange.source
    pairs = parse_qsl(exchange.record.get("query") or "", keep_blank_values=True)
    for key, raw in pairs:
        schema = allowed.get(key)
        if schema is None:
            names = ", ".join(sorted(allowed)) or "none"
            report.violation(
                f"request {label}: query `{key}` is not a query parameter of this operation (allowed: {names})",
                where,
            )
            continue
        value_schema = {k: v for k, v in schema.items() if k != "required"}
        value = parse_query_value(raw, value_schema)
        if value is None:
            report.violation(
                f"request {label}: query `{key}`={raw!r} is not a {value_schema.get('type')}", where
            )
            continue
        for problem in schema_errors(contract.validator(value_schema), value):
            report.violation(f"request {label}: query `{key}` {problem}", where)
    sent = {key for key, _ in pairs}
    for key, schema in allowed.items():
        if schema.get("required") and key not in sent:
            report.violation(f"request {label}: required query `{key}` is missing", where)


def check_request(contract: Contract, name: str, exchange: Exchange, report: Report) -> None:
    op = contract.operations[name]
    label = f"{op['method']} {op['path']}"
    where = exchange.source
    record = exchange.record
    check_query(contract, name, exchange, report)
    if op.get("key_required", True) and record.get("key") == "absent":
        report.violation(f"request {label}: sent without the API key", where)
    body = record.get("request") or {}
    schema = op.get("request_body")
    if schema is None:
        if body.get("bytes"):
            report.violation(f"request {label}: has a body, but this operation takes none", where)
        return
    if body.get("not_json") or "json" not in body:
        report.violation(f"request {label}: the body is not JSON", where)
        return
    for problem in schema_errors(contract.validator(schema), body["json"]):
        report.violation(f"request {label}: body {problem}", where)


def check_retry_hints(label: str, headers: dict[str, str], where: str, report: Report) -> None:
    after = headers.get("retry-after")
    if after is not None and not re.fullmatch(r"\d+", after.strip()):
        try:
            parsedate_to_datetime(after)
        except (TypeError, ValueError):
            report.violation(f"answer {label}: Retry-After {after!r} is neither seconds nor an HTTP date", where)
    after_ms = headers.get("retry-after-ms")
    if after_ms is not None and not re.fullmatch(r"\d+(\.\d+)?", after_ms.strip()):
        report.violation(f"answer {label}: retry-after-ms {after_ms!r} is not a number", where)


def check_response(contract: Contract, name: str, exchange: Exchange, report: Report) -> None:
    op = contract.operations[name]
    record = exchange.record
    where = exchange.source
    status = str(record.get("status"))
    label = f"{op['method']} {op['path']} {status}"
    headers = record.get("response_headers") or {}
    check_retry_hints(label, headers, where, report)
    body = record.get("response") or {}
    schema = op["responses"].get(status)
    if schema is None:
        if not status.startswith(("4", "5")):
            listed = ", ".join(op["responses"])
            report.violation(f"answer {label}: status not in the contract (listed: {listed})", where)
            return
        report.note(f"answer {label}: error status the spec does not list for this operation", where)
        schema = {"$ref": "#/$defs/Error"}
    if schema.get("const", "") is None:
        if body.get("bytes"):
            report.violation(f"answer {label}: has a body, but this status has none", where)
        return
    if body.get("skipped"):
        report.violation(f"answer {label}: body too large to record even reduced; raise the recorder's bound", where)
        return
    if body.get("not_json") or "json" not in body:
        report.violation(f"answer {label}: the body is not JSON", where)
        return
    if not (headers.get("content-type") or "").startswith("application/json"):
        report.violation(f"answer {label}: content type {headers.get('content-type')!r} is not application/json", where)
    if body.get("reduced"):
        report.reduced += 1
    answer, left_out = without_unreadable_on_purpose(body["json"])
    for name in left_out:
        report.note(f"answer {label}: served {name}, unreadable on purpose (not checked)", where)
    if answer is None and left_out:
        return
    for problem in schema_errors(contract.validator(schema), answer):
        report.violation(f"answer {label}: body {problem}", where)


def without_unreadable_on_purpose(answer: Any) -> tuple[Any, list[str]]:
    """The answer without the tool definitions of UNREADABLE_ON_PURPOSE (None when it
    is one), and their names."""
    def name_of(value: Any) -> str | None:
        name = value.get("qualified_name") if isinstance(value, dict) else None
        return name if name in UNREADABLE_ON_PURPOSE else None

    if name_of(answer):
        return None, [name_of(answer)]
    if isinstance(answer, dict) and isinstance(answer.get("items"), list):
        left_out = [name for name in map(name_of, answer["items"]) if name]
        if left_out:
            kept = [item for item in answer["items"] if not name_of(item)]
            return {**answer, "items": kept}, left_out
    return answer, []


def check_exchange(contract: Contract, exchange: Exchange, report: Report) -> None:
    record = exchange.record
    report.exchanges += 1
    client = exchange.client
    report.by_client[client or "other (not checked on the request side)"] += 1
    name = contract.by_route.get((record.get("method"), record.get("route")))
    if name is None:
        report.violation(f"{record.get('method')} {record.get('route')}: not an operation of the contract", exchange.source)
        return
    if client == "gateway":
        report.gateway_operations.add(name)
    if client is not None:
        check_request(contract, name, exchange, report)
    check_response(contract, name, exchange, report)


def read_exchanges(log_dir: Path) -> Iterator[Exchange]:
    for path in sorted(log_dir.glob("*.jsonl")):
        with path.open() as lines:
            for number, line in enumerate(lines, 1):
                yield Exchange(json.loads(line), f"{path.name}:{number}")


def check(contract: Contract, exchanges: Iterable[Exchange], require_gateway_coverage: bool = True) -> Report:
    report = Report()
    for exchange in exchanges:
        check_exchange(contract, exchange, report)
    if report.exchanges == 0:
        report.violation("no exchange was recorded: is ARCADE_EMULATOR_CONTRACT_LOG set for the tests?", "-")
    elif require_gateway_coverage:
        for name, op in contract.operations.items():
            if op.get("used_by_gateway") and name not in report.gateway_operations:
                report.violation(f"{op['method']} {op['path']}: the gateway uses it, but no test exercised it", "-")
    return report


def render(report: Report) -> str:
    clients = ", ".join(f"{name}: {count}" for name, count in sorted(report.by_client.items()))
    lines = [f"contract check: {report.exchanges} exchanges ({clients}); {report.reduced} answers recorded reduced"]
    for title, found in (("violation", report.violations), ("note", report.notes)):
        for message, count in sorted(found.items()):
            lines.append(f"{title}: {message} [{count}×, first at {report.examples[message]}]")
    lines.append(f"{len(report.violations)} distinct violations, {len(report.notes)} distinct notes")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log_dir", type=Path, help="the folder ARCADE_EMULATOR_CONTRACT_LOG named")
    parser.add_argument("--contract", type=Path, default=DEFAULT_CONTRACT)
    args = parser.parse_args(argv)
    if not args.log_dir.is_dir():
        print(f"contract check: {args.log_dir} is not a folder: run the tests with ARCADE_EMULATOR_CONTRACT_LOG={args.log_dir}", file=sys.stderr)
        return 2
    report = check(Contract.load(args.contract), read_exchanges(args.log_dir))
    print(render(report))
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
