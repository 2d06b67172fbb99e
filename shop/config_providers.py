"""Settings of the payment methods besides Stripe (issue 20): read by ``config.load_config``.

In development and tests an unset key points at the loopback sandbox (``python -m
sandbox.paystack`` / ``python -m sandbox.flutterwave``); in production an unset key leaves the
provider disabled.
"""

from __future__ import annotations

import os
from typing import Any

PAYMENT_METHODS = ("stripe", "stripe_checkout", "paystack", "flutterwave", "bank_transfer", "cod")

SANDBOX_PAYSTACK_PORT = 8421
SANDBOX_FLUTTERWAVE_PORT = 8422
SANDBOX_PAYSTACK_SECRET_KEY = "sk_test_paystack_sandbox"  # noqa: S105 - only the sandbox takes it
SANDBOX_PAYSTACK_PUBLIC_KEY = "pk_test_paystack_sandbox"
SANDBOX_FLUTTERWAVE_SECRET_KEY = "FLWSECK_TEST-sandbox-X"  # noqa: S105 - same
SANDBOX_FLUTTERWAVE_SECRET_HASH = "flw-sandbox-hash"  # noqa: S105 - same

DEFAULT_METHODS = ("stripe", "stripe_checkout")

PAYSTACK_API_BASE = "https://api.paystack.co"
FLUTTERWAVE_API_BASE = "https://api.flutterwave.com"


def provider_config(relaxed: bool) -> dict[str, Any]:
    """The PAYSTACK_*, FLUTTERWAVE_*, DEFAULT_PAYMENT_GATEWAY and COD_* settings."""
    # Imported here: config.py imports this module at its top.
    from .config import ConfigError, env_choice, env_int, env_list, env_secret

    paystack_key = env_secret("PAYSTACK_SECRET_KEY")
    paystack_sandbox = relaxed and not paystack_key
    flw_key = env_secret("FLUTTERWAVE_SECRET_KEY")
    flw_sandbox = relaxed and not flw_key
    config: dict[str, Any] = {
        "PAYSTACK_SECRET_KEY": paystack_key
        or (SANDBOX_PAYSTACK_SECRET_KEY if paystack_sandbox else ""),
        "PAYSTACK_PUBLIC_KEY": os.environ.get("PAYSTACK_PUBLIC_KEY")
        or (SANDBOX_PAYSTACK_PUBLIC_KEY if paystack_sandbox else ""),
        "PAYSTACK_API_BASE": os.environ.get("PAYSTACK_API_BASE")
        or (f"http://127.0.0.1:{SANDBOX_PAYSTACK_PORT}" if paystack_sandbox
            else PAYSTACK_API_BASE),
        "FLUTTERWAVE_SECRET_KEY": flw_key
        or (SANDBOX_FLUTTERWAVE_SECRET_KEY if flw_sandbox else ""),
        "FLUTTERWAVE_SECRET_HASH": env_secret("FLUTTERWAVE_SECRET_HASH")
        or (SANDBOX_FLUTTERWAVE_SECRET_HASH if flw_sandbox else ""),
        "FLUTTERWAVE_API_BASE": os.environ.get("FLUTTERWAVE_API_BASE")
        or (f"http://127.0.0.1:{SANDBOX_FLUTTERWAVE_PORT}" if flw_sandbox
            else FLUTTERWAVE_API_BASE),
        "PROVIDER_TIMEOUT_SECONDS": env_int("PROVIDER_TIMEOUT_SECONDS", 10, minimum=1),
        "DEFAULT_PAYMENT_GATEWAY": env_choice("DEFAULT_PAYMENT_GATEWAY", PAYMENT_METHODS,
                                              "stripe"),
        # In the store currency's minor units; unset: no cap on cash on delivery.
        "COD_MAX_AMOUNT": env_int("COD_MAX_AMOUNT", 0, minimum=1)
        if os.environ.get("COD_MAX_AMOUNT") else None,
        "COD_FEE": env_int("COD_FEE", 0),
        # The methods a store offers until its owner chooses in /admin/settings.
        "PAYMENT_METHODS": _methods(env_list("PAYMENT_METHODS") or DEFAULT_METHODS),
        "BANK_TRANSFER_HOLD_DAYS": env_int("BANK_TRANSFER_HOLD_DAYS", 3, minimum=1),
        # Printed on bank-transfer instructions until the store sets its own.
        "BANK_TRANSFER_ACCOUNT": os.environ.get("BANK_TRANSFER_ACCOUNT", "").strip(),
    }
    if config["FLUTTERWAVE_SECRET_KEY"] and not config["FLUTTERWAVE_SECRET_HASH"]:
        # Without the hash no webhook can be told from a forgery.
        raise ConfigError("FLUTTERWAVE_SECRET_KEY needs FLUTTERWAVE_SECRET_HASH (the webhook "
                          "secret hash from the Flutterwave dashboard)")
    return config


def _methods(names: tuple[str, ...]) -> tuple[str, ...]:
    from .config import ConfigError

    unknown = [name for name in names if name not in PAYMENT_METHODS]
    if unknown:
        raise ConfigError(f"PAYMENT_METHODS: unknown method(s) {', '.join(unknown)}; "
                          f"known: {', '.join(PAYMENT_METHODS)}")
    return names
