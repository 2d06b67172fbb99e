"""Orders after checkout: staff fulfilment and cancel (``fulfilment``), internal notes
(``notes``), and the read models of the order pages (``detail``, ``history``, ``queries``).
Closing an unpaid order (expired, canceled) lives with hold expiry: ``inventory.expiry``."""
