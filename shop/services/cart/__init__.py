"""The cart (``carts``: add, change, remove, merge on sign-in) and refilling it from the
account's saved cart or a closed order (``refill``)."""
