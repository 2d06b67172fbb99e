"""Stock and holds: availability and holds (``holds``: available = on hand - live holds,
enforced in the database; ``counting`` is the one rule of what a hold counts), staff stock
changes (``stock``), and releasing what nobody paid for, lapsed holds and unpaid orders, by
both its paths (``expiry``)."""
