"""``/docs``: the API reference as one readable HTML page, rendered from openapi.json.

Both come from the one endpoint table, so the page cannot say something the server does not do.
The page is self-contained (inline style, no script, no font or CDN): servers that run cts-tui
often have no internet, and a reference that needs one is no reference there.
"""

from __future__ import annotations

from html import escape
from typing import Any

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1b1b}
h1{margin-bottom:0}h2{margin-top:2.5rem;border-bottom:1px solid #ccc}h3{margin:1.8rem 0 .3rem;font-size:1.05rem}
code,.path{font-family:ui-monospace,monospace}.method{display:inline-block;min-width:4.5rem;font-weight:bold}
.get{color:#0a6b2d}.post{color:#8a4b00}.patch{color:#5b2a86}.delete{color:#a30d0d}
.auth{font-size:.85rem;padding:0 .4rem;border-radius:3px;background:#eee}
table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}nav a{display:block}
"""


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return components.get(ref.rsplit("/", 1)[-1], {}) if isinstance(ref, str) else schema


def _type_of(schema: dict[str, Any], components: dict[str, Any]) -> str:
    schema = _resolve(schema, components)
    if "enum" in schema:
        return " | ".join(escape(str(v)) for v in schema["enum"])
    if "const" in schema:
        return escape(str(schema["const"]))
    if "anyOf" in schema:
        return " or ".join(_type_of(branch, components) for branch in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_type_of(schema.get('items', {}), components)}"
    return escape(str(schema.get("type", "object")))


def _fields(schema: dict[str, Any], components: dict[str, Any]) -> str:
    schema = _resolve(schema, components)
    properties = schema.get("properties", {})
    if not properties:
        return ""
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{_type_of(prop, components)}</td>"
        f"<td>{'yes' if name in required else 'no'}</td>"
        f"<td>{escape(str(prop.get('description', '')))}{_default(prop)}</td></tr>"
        for name, prop in properties.items()
    )
    return f"<table><tr><th>field</th><th>type</th><th>required</th><th>notes</th></tr>{rows}</table>"


def _default(prop: dict[str, Any]) -> str:
    return f" default <code>{escape(str(prop['default']))}</code>" if "default" in prop else ""


def _parameters(parameters: list[dict[str, Any]], components: dict[str, Any]) -> str:
    if not parameters:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
        f"<td>{_type_of(p.get('schema', {}), components)}</td><td>{'yes' if p.get('required') else 'no'}</td>"
        f"<td>{escape(p.get('description', ''))}</td></tr>"
        for p in parameters
    )
    return (
        "<p>Parameters</p><table><tr><th>name</th><th>in</th><th>type</th><th>required</th><th>notes</th></tr>"
        f"{rows}</table>"
    )


def _operation(method: str, path: str, op: dict[str, Any], components: dict[str, Any]) -> str:
    anchor = escape(op["operationId"])
    auth = "token" if op.get("security") else "public"
    parts = [
        f'<h3 id="{anchor}"><span class="method {method}">{method.upper()}</span> '
        f'<span class="path">{escape(path)}</span> <span class="auth">{auth}</span></h3>',
        f"<p>{escape(op.get('summary', ''))}</p>",
        _parameters(op.get("parameters", []), components),
    ]
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body is not None:
        parts.append(f"<p>Body (JSON)</p>{_fields(body, components)}")
    for status, answer in op.get("responses", {}).items():
        line = f"<p><b>{escape(status)}</b> {escape(answer.get('description', ''))}"
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        fields = _fields(schema, components) if schema is not None and status.startswith("2") else ""
        parts.append(line + "</p>" + fields)
    return "".join(parts)


def render_docs(openapi: dict[str, Any]) -> str:
    """The whole reference: what authentication means, a contents list, then every endpoint."""
    info = openapi["info"]
    components = openapi["components"]["schemas"]
    groups: dict[str, list[str]] = {}
    contents: list[str] = []
    for path, methods in openapi["paths"].items():
        for method, op in methods.items():
            tag = (op.get("tags") or ["other"])[0]
            groups.setdefault(tag, []).append(_operation(method, path, op, components))
            contents.append(f'<a href="#{escape(op["operationId"])}">{method.upper()} {escape(path)}</a>')
    sections = "".join(f"<h2>{escape(tag)}</h2>{''.join(ops)}" for tag, ops in groups.items())
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(info['title'])}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(info['title'])}</h1><p>version {escape(info['version'])}. {escape(info['description'])}</p>"
        "<p>Endpoints marked <span class=auth>token</span> need <code>Authorization: Bearer &lt;token&gt;</code> "
        "(<code>api.token</code>, env <code>CTS_API_TOKEN</code>, or the token <code>cts-tui serve</code> prints "
        "on its first run). Errors are <code>{\"success\": false, \"error\": \"one line\"}</code>. "
        'The same reference as JSON: <a href="/openapi.json">/openapi.json</a>.</p>'
        f"<nav>{''.join(contents)}</nav>{sections}</body></html>"
    )
