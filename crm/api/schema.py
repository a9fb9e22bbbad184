"""The answers every endpoint may give besides its success, written into the OpenAPI schema (drf-spectacular's
POSTPROCESSING_HOOKS), so that the schema documents each status the API really answers and Schemathesis' status
code check holds it to that (tests/crm/test_api_schema.py).

    400  a body, filter, sort or page size that cannot be read: each field or parameter in error, with why
    401  not signed in (no token or session, or a token that is not valid)
    403  signed in without the role's permission for the model and method (crm/api/permissions.py)
    404  a record the caller may not see or that does not exist, or a page past the last
    429  too many requests (the throttles in settings.REST_FRAMEWORK)

An operation that documents one of these itself (the retrain's 409, the token's 400) keeps its own.
"""

from __future__ import annotations

ERROR = {
    "type": "object",
    "description": "`detail` says why; a 400 names each field or parameter in error instead, with a list of reasons.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {},
}
WHY = {
    "400": "A body, filter, sort or page size that cannot be read: each field or parameter in error, with why.",
    "401": "Not signed in: no token or session, or a token that is not valid.",
    "403": "Signed in without the permission the role needs for this.",
    "404": "Not found: a record the caller may not see or that does not exist, or a page past the last.",
    "429": "Too many requests; `Retry-After` says when to try again.",
}
UNAUTHENTICATED = {"/api/v1/auth/token/"}  # signing in: no 401 or 403, a wrong password is a 400


def _answers(path: str, operation: dict) -> list[str]:
    """The error statuses `operation` on `path` may answer."""
    parameters = {parameter["in"] for parameter in operation.get("parameters", [])}
    names = {parameter["name"] for parameter in operation.get("parameters", [])}
    statuses = ["429"]
    if path not in UNAUTHENTICATED:
        statuses += ["401", "403"]
    if "query" in parameters or "requestBody" in operation:
        statuses.append("400")
    if "path" in parameters or "page" in names:
        statuses.append("404")
    return statuses


def document_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: add the error answers (module docstring) each operation may give."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    for path, methods in result.get("paths", {}).items():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            for status in sorted(_answers(path, operation)):
                responses.setdefault(
                    status,
                    {
                        "description": WHY[status],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result
