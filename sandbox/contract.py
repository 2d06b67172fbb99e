"""The API contract the sandbox holds every request to: Stripe's published parameters for one
API version, read from the installed SDK's generated request types (``stripe/params``, "File
generated from our OpenAPI spec") and its generated services (which path takes which params).

Nothing here is a hand-written list: a parameter the pinned version does not have, or an enum
value it does not allow, is refused exactly as Stripe refuses it. A sandbox that accepted what
Stripe refuses would let the suite pass for a shop that cannot take a real payment.
"""

from __future__ import annotations

import ast
import functools
import importlib
import re
import sys
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import stripe
import stripe.params
import typing_extensions
from stripe._api_version import _ApiVersion

from .errors import StripeError, invalid

API_VERSION = _ApiVersion.CURRENT
"""The version the installed SDK's types describe: the only one this sandbox can check."""

# Sent by Stripe.js next to a publishable key; no server-side SDK type lists them.
STRIPE_JS_TRANSPORT = frozenset({"key", "client_secret", "_stripe_version"})


@dataclass(frozen=True)
class Spec:
    """One parameter's shape: ``kind`` is object, map, list, enum, str, int, bool, number or any."""

    kind: str
    fields: dict[str, Spec] | None = None  # object
    required: frozenset[str] = frozenset()  # object
    item: Spec | None = None  # list, map
    values: frozenset[str] = frozenset()  # enum
    alternatives: tuple[Spec, ...] = ()  # a union of several kinds


@dataclass(frozen=True)
class Endpoint:
    method: str
    template: str  # the SDK's path, its ids written {}
    params: str  # the generated TypedDict's name, e.g. PaymentIntentCreateParams


def normalize(template: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", template)


# --- the SDK's services: which path takes which params class -----------------------------

def _service_files() -> list[Path]:
    root = Path(stripe.__file__).parent
    return sorted(p for p in root.rglob("*_service.py") if "/v2/" not in p.as_posix())


def _annotation_name(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Subscript):  # Optional["XParams"]
        return _annotation_name(node.slice)
    return None


def _request_target(func: ast.FunctionDef) -> tuple[str, str] | None:
    for node in ast.walk(func):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "_request" and len(node.args) >= 2):
            continue
        method, path = node.args[0], node.args[1]
        if isinstance(path, ast.Call) and isinstance(path.func, ast.Attribute):
            path = path.func.value  # "/v1/x/{id}".format(...)
        if isinstance(method, ast.Constant) and isinstance(path, ast.Constant):
            return str(method.value).upper(), str(path.value)
    return None


@functools.cache
def endpoints() -> dict[tuple[str, str], Endpoint]:
    """Every v1 call the SDK can make, keyed by (METHOD, normalized path)."""
    found: dict[tuple[str, str], Endpoint] = {}
    root = Path(stripe.__file__).parent
    for path in _service_files():
        # stripe/checkout/_session_service.py takes stripe.params.checkout's classes.
        namespace = ".".join(path.relative_to(root).parts[:-1])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            params = next((a for a in node.args.args if a.arg == "params"), None)
            name = _annotation_name(params.annotation) if params else None
            target = _request_target(node)
            if name and target and target[1].startswith("/v1/"):
                key = (target[0], normalize(target[1]))
                qualified = f"{namespace}.{name}" if namespace else name
                found[key] = Endpoint(target[0], key[1], qualified)
    return found


# --- the generated TypedDicts as specs ---------------------------------------------------

_SCALARS = {str: "str", int: "int", bool: "bool", float: "number"}
_WRAPPERS = {typing.NotRequired, typing.Required, typing_extensions.NotRequired,
             typing_extensions.Required}


def _params_class(name: str) -> type:
    # Namespaced resources (checkout.Session) keep their params in stripe.params.<namespace>.
    namespace, _, short = name.rpartition(".")
    module = importlib.import_module(f"stripe.params.{namespace}") if namespace \
        else stripe.params
    return getattr(module, short)


def _own_annotations(cls: type) -> dict[str, Any]:
    skip = set(stripe.RequestOptions.__annotations__)  # api_key, idempotency_key, ...
    merged: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        if base is stripe.RequestOptions:
            continue
        merged.update(base.__dict__.get("__annotations__", {}))
    return {k: v for k, v in merged.items() if k not in skip}


def _spec(tp: Any, module_globals: dict[str, Any], depth: int = 0) -> Spec:
    if depth > 40:
        return Spec("any")
    if isinstance(tp, typing.ForwardRef):
        tp = tp.__forward_arg__
    if isinstance(tp, str):
        tp = eval(tp, module_globals)  # noqa: S307 - the SDK's own generated annotations
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return _union([_spec(a, module_globals, depth + 1) for a in args])
    if origin is typing.Literal:
        return Spec("enum", values=frozenset(str(v) for v in args))
    if origin in (list, typing.List):  # noqa: UP006
        return Spec("list", item=_spec(args[0], module_globals, depth + 1))
    if origin in (dict, typing.Dict):  # noqa: UP006
        return Spec("map", item=_spec(args[1], module_globals, depth + 1))
    if origin in _WRAPPERS:
        return _spec(args[0], module_globals, depth + 1)
    if typing.is_typeddict(tp) or _is_typeddict(tp):
        return _object(tp, depth + 1)
    if tp in _SCALARS:
        return Spec(_SCALARS[tp])
    return Spec("any")  # UntypedStripeObject and the like: free-form


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and hasattr(tp, "__required_keys__")


def _union(members: list[Spec]) -> Spec:
    enums = [m for m in members if m.kind == "enum"]
    others = [m for m in members if m.kind != "enum"]
    values = frozenset().union(*(m.values for m in enums)) if enums else frozenset()
    # The SDK widens every enum with ``|str`` so that old SDKs accept new values; the API
    # itself accepts only the listed ones. A plain ``Literal['']|str`` is an emptyable string.
    if values - {""}:
        others = [m for m in others if m.kind != "str"]
    elif enums and any(m.kind == "str" for m in others):
        enums = []
    specs = ([Spec("enum", values=values)] if enums else []) + others
    return specs[0] if len(specs) == 1 else Spec("union", alternatives=tuple(specs))


@functools.cache
def _object(cls: type, depth: int = 0) -> Spec:
    module_globals = vars(sys.modules[cls.__module__])
    fields = {name: _spec(tp, module_globals, depth)
              for name, tp in _own_annotations(cls).items()}
    required = frozenset(getattr(cls, "__required_keys__", frozenset())) & set(fields)
    return Spec("object", fields=fields, required=required)


@functools.cache
def params_spec(name: str) -> Spec:
    return _object(_params_class(name))


# --- checking a request ------------------------------------------------------------------

def _unknown(param: str) -> StripeError:
    return invalid(f"Received unknown parameter: {param}", code="parameter_unknown",
                   param=param)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}[{name}]" if prefix else name


def _match_union(spec: Spec, value: Any, param: str) -> StripeError | None:
    errors = [_matches(alt, value, param) for alt in spec.alternatives]
    if any(e is None for e in errors):
        return None
    # Report the error of the alternative of the value's own shape (a dict's unknown key).
    shaped = [e for alt, e in zip(spec.alternatives, errors, strict=True)
              if (alt.kind in ("object", "map")) == isinstance(value, dict)]
    return (shaped or errors)[0]


def _match_object(spec: Spec, value: Any, param: str) -> StripeError | None:
    if value == "":
        return None  # "unset", as the SDK encodes an empty object
    if not isinstance(value, dict):
        return invalid("Invalid object", code="parameter_invalid_object", param=param)
    for name, item in value.items():
        if spec.kind == "object" and name not in spec.fields:
            return _unknown(_join(param, name))
        inner = spec.fields[name] if spec.kind == "object" else spec.item
        error = _matches(inner, item, _join(param, name))
        if error:
            return error
    missing = sorted(spec.required - set(value))
    if missing:
        name = _join(param, missing[0])
        return invalid(f"Missing required param: {name}.", code="parameter_missing",
                       param=name)
    return None


def _match_list(spec: Spec, value: Any, param: str) -> StripeError | None:
    # The SDK sends lists as ``x[0]=a``, which arrive as {"0": "a"}.
    items = value if isinstance(value, list) else \
        list(value.values()) if isinstance(value, dict) else None
    if items is None:
        return invalid("Invalid array", code="parameter_invalid_array", param=param)
    for i, item in enumerate(items):
        error = _matches(spec.item, item, f"{param}[{i}]")
        if error:
            return error
    return None


_SCALAR_FORMS = {
    "int": (r"-?\d+", "Invalid integer: {}", "parameter_invalid_integer"),
    "bool": (r"(?i)true|false", "Invalid boolean: {}", "parameter_invalid_boolean"),
    "number": (r"-?\d+(\.\d+)?", "Invalid decimal: {}", None),
}


def _match_scalar(spec: Spec, value: Any, param: str) -> StripeError | None:
    if isinstance(value, (dict, list)):
        return invalid(f"Invalid {param}: expected a single value.", param=param)
    text = str(value)
    if spec.kind == "enum":
        if text in spec.values:
            return None
        allowed = sorted(v for v in spec.values if v)
        return invalid(f"Invalid {param}: must be one of {', '.join(allowed)}", param=param)
    form = _SCALAR_FORMS.get(spec.kind)
    if form and not re.fullmatch(form[0], text):
        return invalid(form[1].format(text), code=form[2], param=param)
    return None


def _matches(spec: Spec, value: Any, param: str) -> StripeError | None:
    """``None`` when ``value`` fits ``spec``, else the error Stripe would answer."""
    if spec.kind == "any":
        return None
    if spec.kind == "union":
        return _match_union(spec, value, param)
    if spec.kind in ("object", "map"):
        return _match_object(spec, value, param)
    if spec.kind == "list":
        return _match_list(spec, value, param)
    return _match_scalar(spec, value, param)


def check(endpoint: Endpoint, data: dict, *, publishable: bool = False) -> None:
    """Raise the error Stripe would answer if ``data`` breaks the pinned version's params."""
    if publishable:
        data = {k: v for k, v in data.items() if k not in STRIPE_JS_TRANSPORT}
    error = _matches(params_spec(endpoint.params), data, "")
    if error:
        raise error


def param_paths(data: Any, prefix: str = "") -> list[str]:
    """The parameter names a request sent (nested ones as ``a[b]``), for the call log."""
    if isinstance(data, dict):
        names = []
        for key, value in data.items():
            path = _join(prefix, key)
            inner = param_paths(value, path) if key != "metadata" else []
            names += inner or [path]
        return names
    if isinstance(data, list):
        return [p for item in data for p in param_paths(item, f"{prefix}[]")] or [prefix]
    return []
