"""Property-based check of the payments API against docs/openapi.yaml (schemathesis).

Generated requests, valid and not, go to the real app on a database holding payments in
several states, as a caller with an API key. Every answer must be documented: its status,
its content type, its body's schema, no server error, and for an error a ``code`` listed in
that response's ``x-error-codes``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.transport.wsgi import WSGI_TRANSPORT

from ..payments import Api, authorized, captured, make_order
from .test_api_contract import SPEC, _resolve

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs/openapi.yaml"

# Loaded eagerly: schemathesis' lazy fixture loader does not run under pytest 9.
schema = schemathesis.openapi.from_path(SPEC_PATH)
# The checks that judge one answer; those that replay modified requests need a server URL.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]


@pytest.fixture
def key_headers(clean_app, store, product, stripe_client):
    """A store with payments in several states, and its API key's headers."""
    authorized(store, product, stripe_client)
    captured(store, product, stripe_client)
    make_order(store, product, attempt=False)
    return dict(Api.key(clean_app, store).headers)


def documented_codes(method: str, path: str, status: int) -> list[str]:
    operation = SPEC["paths"][path].get(method.lower())
    if operation is None:  # schemathesis also tries methods the path does not have
        return ["method_not_allowed"] if status == 405 else []
    response = operation["responses"].get(str(status))
    return _resolve(response).get("x-error-codes", []) if response else []


@schema.exclude(path="/api/payments/csrf").parametrize()  # a helper for staff sessions
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.filter_too_much, HealthCheck.too_slow])
def test_api_answers_as_documented(case, key_headers, client):
    headers = {**(case.headers or {}), **key_headers}
    # Sent through the suite's IsolatedClient: each request its own context, as on a server.
    request = WSGI_TRANSPORT.serialize_case(case, headers=headers)
    response = client.open(**request)
    case.validate_response(response, headers=headers, checks=CHECKS)
    if response.status_code >= 400:
        code = response.get_json()["error"]["code"]
        assert code in documented_codes(case.method, case.path, response.status_code), (
            case.method, case.path, response.status_code, code)
