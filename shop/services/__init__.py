"""Use cases, one transaction each, grouped by area (docs/architecture.md has the map):

catalog/        what the storefront shows, and staff editing products and images
cart/           the cart, and refilling it from a saved cart or an old order
checkout/       one checkout token -> one order, its holds and its payment attempt
payments/       PaymentIntents, the settle function, capture and void, the ledger, reconciliation
refunds/        money after capture: refunds, their policy and lines, disputes, out-of-stock refunds
webhooks/       Stripe's events: verify, dedup, dispatch, replay
inventory/      holds and stock: availability, staff adjustments, releasing lapsed and unpaid orders
orders/         fulfilment and staff cancel, notes, and the order pages' read models
accounts/       users, staff, addresses, passwords, API keys
notifications/  the outbox, e-mails and receipts
platform/       transactions, audit, alerts, settings, the dashboard, API idempotency keys
"""
