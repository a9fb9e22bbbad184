"""The API against its own OpenAPI schema, with Schemathesis: for every operation, requests generated from the
schema as each persona (anonymous, a rep, a manager, an admin), sent in-process to the WSGI application, never
answer 5xx, and each answer matches the schema: its documented body, content type and status code (the error
answers every operation may give are documented by crm/api/schema.py). No check is left out. Run once with 40
examples per operation and persona (2026-12-07): no failure, after the fix of a PATCH leaving out owner_username.

A bounded number of examples per operation keeps this to a minute or two. Writes are generated too (new
customers, interactions, retrain requests): the test uses a transactional database, because the WSGI handler
closes the connection a test transaction would hold."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import AnonRateThrottle
from schemathesis import checks

from tests.factories import CustomerFactory, InteractionFactory, OrderFactory, OrderItemFactory

# serialized_rollback: its flush must not re-create the roles (post_migrate) under the browser tests that
# restore the migrations' data after it, or their groups collide by name (IntegrityError in every e2e test).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

EXAMPLES = 8  # per operation and persona
CHECKS = [
    checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.content_type_conformance,
    checks.status_code_conformance,
]


def openapi() -> dict:
    """The schema /api/v1/schema/ serves, as JSON."""
    spec = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(spec))


def exercise_for(operation, app, headers: dict):
    """A Hypothesis test of `operation`: each generated request, sent as each persona, passes CHECKS."""

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def exercise(case):
        for persona, auth in headers.items():
            response = case.call(app=app, headers=auth)
            try:
                case.validate_response(response, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:
                raise AssertionError(f"as {persona}: {exc}") from exc

    return exercise


def test_the_schema_is_valid_openapi():
    schema = schemathesis.openapi.from_dict(openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15


def test_every_operation_as_every_persona_answers_without_5xx_and_as_documented(alice, bob, charlie, dana, monkeypatch):
    # Hundreds of requests in a few seconds: the throttles would answer most of them 429.
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "100000/minute")
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "user", "100000/minute")
    for user in (alice, bob):
        customer = CustomerFactory(owner=user)
        OrderItemFactory(order=OrderFactory(customer=customer), line_number=1)
        InteractionFactory(customer=customer, user=user)
    headers = {"anonymous": {}} | {
        user.username: {"Authorization": f"Token {Token.objects.create(user=user).key}"}
        for user in (alice, charlie, dana)
    }
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_dict(openapi())
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            exercise_for(operation, app, headers)()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failure, not only the first one's
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures[:60])


def test_every_operation_documents_the_errors_it_may_answer():
    for path, methods in openapi()["paths"].items():
        for method, operation in methods.items():
            documented = set(operation["responses"])
            assert "429" in documented, (method, path)
            if path != "/api/v1/auth/token/":
                assert {"401", "403"} <= documented, (method, path)
            if "{id}" in path:
                assert "404" in documented, (method, path)
            if method in ("post", "put", "patch"):
                assert "400" in documented, (method, path)
