"""Receipts and credit notes as records: issued with a per-store number, without gaps, in the
transaction that marks an order paid or a refund succeeded (``issue``); found again for the
shopper, staff and API keys of their store (``documents``); drawn as PDF from their frozen
snapshot (``notifications.receipts``)."""
