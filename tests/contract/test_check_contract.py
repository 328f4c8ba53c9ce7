"""The contract check itself: it reports what breaks the contract (the old `user.id`
query, a body field the spec lacks, an answer field or type the spec lacks), passes
what keeps it (nulls where the spec allows them), and the emulator's recorder feeds it."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from check_contract import DEFAULT_CONTRACT, Contract, Exchange, check, main, render
from emulator_process import start_emulator, stop

GATEWAY = "arcade-mcp-gateway/0.1.0"


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract.load(DEFAULT_CONTRACT)


def exchange(method: str, route: str, *, query: str | None = None, body=None, status=200, answer=None,
             agent: str = GATEWAY, headers: dict | None = None) -> Exchange:
    def recorded(value):
        return {"bytes": 0} if value is None else {"bytes": len(json.dumps(value)), "json": value}

    return Exchange({
        "route": route, "method": method, "path": route, "query": query, "user_agent": agent, "key": "bearer",
        "request": recorded(body), "status": status,
        "response_headers": {"content-type": "application/json", **(headers or {})},
        "response": recorded(answer),
    }, "test:1")


def violations(contract: Contract, *exchanges: Exchange) -> list[str]:
    return list(check(contract, exchanges, require_gateway_coverage=False).violations)


PAGE = {"items": [], "limit": 25, "offset": 0, "page_count": 0, "total_count": 0}


def test_the_old_user_dot_id_query_is_a_violation_naming_it(contract):
    found = violations(contract, exchange("GET", "/v1/admin/user_connections",
                                          query="user.id=ann&provider.id=google&limit=100", answer=PAGE))
    assert any("query `user.id` is not a query parameter" in v for v in found), found
    assert any("query `provider.id`" in v for v in found), found
    assert len(found) == 2, found


def test_the_real_query_names_pass(contract):
    assert violations(contract, exchange("GET", "/v1/admin/user_connections",
                                         query="user_id=ann&provider_id=google&limit=100&offset=200",
                                         answer=PAGE)) == []


def test_a_body_field_the_spec_lacks_is_a_violation_naming_it(contract):
    body = {"tool_name": "Math.Add", "input": {"a": 1}, "user_id": "ann", "toolkit_version": "1.0.0"}
    answer = {"success": True, "output": {"value": 3}}
    found = violations(contract, exchange("POST", "/v1/tools/execute", body=body, answer=answer))
    assert found and all("'toolkit_version' was unexpected" in v for v in found), found


def test_a_query_value_of_the_wrong_type_is_a_violation(contract):
    found = violations(contract, exchange("GET", "/v1/auth/status", query="id=ac_1&wait=120",
                                          answer={"id": "ac_1", "status": "pending"}))
    assert any("query `wait`" in v and "59" in v for v in found), found
    found = violations(contract, exchange("GET", "/v1/auth/status", query="wait=5", answer={"status": "pending"}))
    assert any("required query `id` is missing" in v for v in found), found


def test_nulls_where_the_spec_marks_fields_optional_pass(contract):
    tool = {"fully_qualified_name": "A.B@1.0.0", "qualified_name": "A.B", "name": "B",
            "toolkit": {"name": "A", "version": None}, "input": {"parameters": None},
            "requirements": {"authorization": None, "secrets": None, "met": None}, "output": None, "metadata": None}
    page = {"items": [tool], "limit": None, "offset": 0, "page_count": 1, "total_count": 1}
    assert violations(contract, exchange("GET", "/v1/tools", query="toolkit=A&limit=100&offset=0", answer=page)) == []
    assert violations(contract, exchange("GET", "/v1/tools", answer={**PAGE, "items": None})) == []


def test_an_answer_field_or_type_the_spec_lacks_is_a_violation(contract):
    connection = {"id": "c1", "user_id": "ann", "provider_id": "google", "granted_at": "2026-01-01"}
    found = violations(contract, exchange("GET", "/v1/admin/user_connections",
                                          answer={**PAGE, "items": [connection]}))
    assert found == ["answer GET /v1/admin/user_connections 200: body at $.items[*]: "
                     "Additional properties are not allowed ('granted_at' was unexpected)"], found
    found = violations(contract, exchange("GET", "/v1/tools", answer={**PAGE, "total_count": "10"}))
    assert any("$.total_count" in v for v in found), found
    found = violations(contract, exchange("GET", "/v1/tools/{name}",
                                          answer={"qualified_name": "A.B", "name": "B", "toolkit": {"name": "A"}}))
    assert any("'input' is a required property" in v for v in found), found


def test_the_fixture_unreadable_on_purpose_is_told_not_failed(contract):
    broken = {"fully_qualified_name": "Awkward.Broken@2.0.0", "qualified_name": "Awkward.Broken", "name": "Broken",
              "toolkit": {"name": "Awkward"}, "input": {"parameters": "text: string"}}
    other = {**broken, "qualified_name": "Awkward.Other", "input": {"parameters": "x"}}
    report = check(contract, [exchange("GET", "/v1/tools", answer={**PAGE, "items": [broken]}),
                              exchange("GET", "/v1/tools/{name}", answer=broken)], require_gateway_coverage=False)
    assert not report.violations and len(report.notes) == 2, render(report)
    found = violations(contract, exchange("GET", "/v1/tools", answer={**PAGE, "items": [broken, other]}))
    assert found == ["answer GET /v1/tools 200: body at $.items[*].input.parameters: "
                     "'x' is not of type 'array', 'null'"], found


def test_health_503_and_the_wrong_success_status(contract):
    assert violations(contract, exchange("GET", "/v1/health", status=503,
                                         answer={"healthy": False, "reason": "database down"})) == []
    found = violations(contract, exchange("DELETE", "/v1/admin/user_connections/{id}", status=200, answer={}))
    assert any("status not in the contract" in v for v in found), found


def test_retry_after_as_seconds_or_date_and_unlisted_error_statuses(contract):
    error = {"name": "rate_limited", "message": "slow down"}
    ok_date = exchange("POST", "/v1/tools/execute", body={"tool_name": "A.B"}, status=429, answer=error,
                       headers={"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT", "retry-after-ms": "1500"})
    report = check(contract, [ok_date], require_gateway_coverage=False)
    assert not report.violations and report.notes, render(report)
    bad = exchange("POST", "/v1/tools/execute", body={"tool_name": "A.B"}, status=429, answer=error,
                   headers={"retry-after": "soon"})
    assert any("Retry-After 'soon'" in v for v in violations(contract, bad))


def test_a_test_s_own_raw_requests_are_not_checked_but_answers_are(contract):
    raw = exchange("GET", "/v1/admin/user_connections", query="user.id=ann", answer=PAGE, agent="")
    assert violations(contract, raw) == []


def test_an_empty_log_and_an_unexercised_gateway_operation_fail(contract):
    assert violations(contract) == ["no exchange was recorded: is ARCADE_EMULATOR_CONTRACT_LOG set for the tests?"]
    report = check(contract, [exchange("GET", "/v1/health", answer={"healthy": True})])
    assert any("POST /v1/tools/execute: the gateway uses it, but no test exercised it" in v
               for v in report.violations), render(report)


def test_the_emulator_records_and_the_checker_reports_user_dot_id(tmp_path: Path, monkeypatch, capsys):
    """The whole path: a real emulator process recording, a request shaped like the
    gateway's old one, the checker's command line failing on it."""
    monkeypatch.setenv("ARCADE_EMULATOR_CONTRACT_LOG", str(tmp_path))
    process, emulator = start_emulator()
    try:
        for query in ("user.id=ann&provider.id=google", "user_id=ann&provider_id=google"):
            request = urllib.request.Request(f"{emulator.base_url}/v1/admin/user_connections?{query}",
                                             headers={"Authorization": f"Bearer {emulator.api_key}",
                                                      "User-Agent": GATEWAY})
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.status == 200
    finally:
        stop(process)
    logs = list(tmp_path.glob("emulator-*.jsonl"))
    assert len(logs) == 1
    recorded = [json.loads(line) for line in logs[0].read_text().splitlines()]
    assert [r["query"] for r in recorded] == ["user.id=ann&provider.id=google", "user_id=ann&provider_id=google"]
    assert all(r["key"] == "bearer" and emulator.api_key not in json.dumps(r) for r in recorded)

    assert main([str(tmp_path)]) == 1
    said = capsys.readouterr().out
    assert "query `user.id` is not a query parameter of this operation" in said, said
    assert "query `user_id`" not in said, said
