"""openapi.json, generated from the endpoint table (so it always says what the server does)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from cts_tui import __version__
from cts_tui.api.endpoints import Endpoint

_REF = "#/components/schemas/{model}"
_STATUS_TEXT = {
    400: "Bad request: malformed JSON or query parameter (the message names it)",
    401: "Missing or invalid bearer token",
    404: "Unknown id",
    409: "Conflicts with what is stored: not possible in the connection's current state, or the name is taken",
    413: "Request body too large",
    422: "Body failed validation (the message names the field)",
}
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["success", "error"],
    "properties": {"success": {"const": False}, "error": {"type": "string"}},
}


def _schema_of(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    """A ``$ref`` to ``model``'s schema, hoisting its nested definitions into components."""
    schema = model.model_json_schema(ref_template=_REF)
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": _REF.format(model=model.__name__)}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=_REF)
    required = set(schema.get("required", []))
    defs = schema.get("$defs", {})
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": _inline_refs(prop, defs),
            }
        )
    return parameters


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """Query parameters are small: inline their enum definitions rather than reference them."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            return _inline_refs(defs[ref.rsplit("/", 1)[-1]], defs)
        return {k: _inline_refs(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


def _operation(endpoint: Endpoint, components: dict[str, Any]) -> dict[str, Any]:
    parameters = [
        {"name": name, "in": "path", "required": True, "description": text, "schema": {"type": "string"}}
        for name, text in endpoint.params.items()
    ]
    if endpoint.query is not None:
        parameters += _query_parameters(endpoint.query)
    success: dict[str, Any] = {"description": "Success"}
    if endpoint.content_type == "application/json":
        schema = _schema_of(endpoint.response, components) if endpoint.response else {"type": "object"}
        success["content"] = {"application/json": {"schema": schema}}
    else:
        success["content"] = {endpoint.content_type: {"schema": {"type": "string"}}}
    responses: dict[str, Any] = {str(endpoint.status): success}
    error_ref = {"application/json": {"schema": {"$ref": _REF.format(model="Error")}}}
    for status in sorted(set(endpoint.errors) | ({401} if endpoint.auth else set())):
        responses[str(status)] = {"description": _STATUS_TEXT[status], "content": error_ref}
    operation: dict[str, Any] = {
        "operationId": endpoint.handler.__name__,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "parameters": parameters,
        "responses": responses,
        "security": [{"bearerAuth": []}] if endpoint.auth else [],
    }
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema_of(endpoint.body, components)}},
        }
    return operation


def build_openapi(endpoints: Iterable[Endpoint]) -> dict[str, Any]:
    components: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        path = re.sub(r"\{(\w+)(?::[^}]*)?\}", r"{\1}", endpoint.path)
        paths.setdefault(path, {})[endpoint.method.lower()] = _operation(endpoint, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cts-tui REST API",
            "version": __version__,
            "description": "Manage and watch crypto-exchange API connections. Secrets are never "
            "returned; mutating endpoints and reads of account data need a bearer token.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
