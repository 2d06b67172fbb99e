"""Errors shaped like Stripe's, so that the official SDK raises the matching exception class."""

from __future__ import annotations

from typing import Any

from localstripe.errors import UserError


class StripeError(UserError):
    """A ``UserError`` with a body we control (localstripe forces ``invalid_request_error``)."""

    def __init__(self, status: int, type_: str, message: str, **fields: Any):
        Exception.__init__(self, message)
        self.code = status
        error = {"type": type_, "message": message}
        error.update({k: v for k, v in fields.items() if v is not None})
        self.body = {"error": error}


def invalid(message: str, *, status: int = 400, code: str | None = None,
            param: str | None = None) -> StripeError:
    return StripeError(status, "invalid_request_error", message, code=code, param=param)


def unknown_params(data: dict, allowed: set[str]) -> None:
    for name in data:
        if name not in allowed:
            raise invalid(f"Received unknown parameter: {name}", code="parameter_unknown",
                          param=name)


def unsupported_params(data: dict, supported: set[str]) -> None:
    """For a Stripe route, after the contract gate accepted the request: a parameter Stripe
    knows but this sandbox does not act on is refused, never silently ignored."""
    for name in data:
        if name not in supported and name != "expand":
            raise invalid(f"The sandbox does not implement the parameter {name} (valid at "
                          "Stripe): extend sandbox/.", code="sandbox_unsupported",
                          param=name)


def unexpected_state(verb: str, participle: str, status: str,
                     allowed: tuple[str, ...]) -> StripeError:
    return invalid(
        f"You cannot {verb} this PaymentIntent because it has a status of {status}. "
        f"Only a PaymentIntent with one of the following statuses may be {participle}: "
        f"{', '.join(allowed)}.",
        code="payment_intent_unexpected_state",
    )


def missing(param: str) -> StripeError:
    return invalid(f"Missing required param: {param}.", code="parameter_missing", param=param)


def to_int(value: Any, param: str) -> int:
    if isinstance(value, bool):
        raise invalid(f"Invalid integer: {value}", code="parameter_invalid_integer", param=param)
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        raise invalid(f"Invalid integer: {value}", code="parameter_invalid_integer",
                      param=param) from None


def to_bool(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid(f"Invalid boolean: {value}", code="parameter_invalid_boolean", param=param)


def check_metadata(metadata: Any) -> dict[str, str]:
    # The SDK encodes an empty dict as ``metadata=``, which Stripe reads as "no metadata".
    if metadata in (None, ""):
        return {}
    if not isinstance(metadata, dict):
        raise invalid("Invalid object", code="parameter_invalid_object", param="metadata")
    if len(metadata) > 50:
        raise invalid("Metadata can have up to 50 keys.", param="metadata")
    for key, value in metadata.items():
        if len(key) > 40 or not isinstance(value, str) or len(value) > 500:
            raise invalid(f"Invalid metadata value for key {key!r}: keys are limited to 40 "
                          "characters and values to 500 characters.", param=f"metadata[{key}]")
    return dict(metadata)
