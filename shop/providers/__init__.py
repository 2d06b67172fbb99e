"""Payment providers behind one small protocol (``base.PaymentProvider``).

One module per provider; only that module imports its SDK or HTTP client: ``stripe_gateway``
(the official ``stripe`` SDK, with ``stripe_http``, the SDK's HTTP client it builds, and
``stripe_objects``, the plain values it returns),
``paystack`` and ``flutterwave`` (``httpx``). ``registry`` builds the providers a store has
enabled from settings.
"""
