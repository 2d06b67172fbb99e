"""Checkout: one checkout token -> one order, its inventory holds and its payment attempt
(``place``), in one transaction whose statements are built once (``statements``); who a
checkout came from, as keyed hashes (``client_keys``)."""
