"""The distinct Stripe calls a test run made, as the sandboxes recorded them
(``STRIPE_SANDBOX_CALL_LOG``): written to test-artifacts/stripe-calls.md and checked."""

from __future__ import annotations

import json
from pathlib import Path

ARTIFACT = Path(__file__).resolve().parent.parent / "test-artifacts" / "stripe-calls.md"


def read_calls(path: str) -> list[dict]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


def summarize(calls: list[dict]) -> dict[tuple[str, str, str | None], set[str]]:
    """(method, route, contract) -> every parameter sent with it by the SDK and accepted."""
    table: dict[tuple[str, str, str | None], set[str]] = {}
    for call in calls:
        if call["client"] != "sdk" or call["refused"]:
            continue
        table.setdefault((call["method"], call["route"], call["contract"]), set()).update(
            call["params"])
    return table


def check_recorded_calls(path: str) -> list[str]:
    """Write the artifact; return the SDK calls that no contract checked."""
    calls = read_calls(path)
    if not calls:
        return []
    ARTIFACT.parent.mkdir(exist_ok=True)
    rows = [f"| {m} | `{r}` | {c} | {', '.join(sorted(p)) or '-'} |"
            for (m, r, c), p in sorted(summarize(calls).items(), key=lambda kv: kv[0][:2])]
    ARTIFACT.write_text("| method | route | contract | parameters sent |\n|---|---|---|---|\n"
                        + "\n".join(rows) + "\n", encoding="utf-8")
    return sorted({f"{c['method']} {c['route']}" for c in calls
                   if c["client"] == "sdk" and c["contract"] is None})
