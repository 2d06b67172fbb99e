"""Checkout: one checkout token -> one order, its inventory holds and its payment attempt,
in one transaction (``place``); who a checkout came from, as keyed hashes (``client_keys``)."""
