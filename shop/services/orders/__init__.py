"""Orders after checkout: staff fulfilment and cancel (``fulfilment``), closing an unpaid order
(``closing``), internal notes (``notes``), and the read models of the order pages (``detail``,
``history``, ``queries``)."""
