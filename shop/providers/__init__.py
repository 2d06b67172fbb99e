"""Payment providers behind one small protocol (``base.PaymentProvider``).

One module per provider; only that module imports its SDK or HTTP client. ``registry`` builds
the providers a store has enabled from settings. Stripe still lives in ``shop/stripe_gateway.py``
until checkout is wired through this protocol (docs/payments.md, "Providers").
"""
