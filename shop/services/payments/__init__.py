"""Payments up to capture: creating the PaymentIntent and the one settle function that the
webhook and the shopper's return both call (``settle``), the payment page (``page``), staff
capture and void (``capture``), attempts started through the API (``attempts``), the ledger's
bookkeeping and a captured order's status from its ledger (``ledger``),
reconciliation with Stripe (``reconciliation``), the card-testing guard (``card_testing``),
the staff pages' read models (``admin``, ``queries``), and the shopper's payment history with
the writes of its read model (``history``)."""
