"""Stock and holds: availability and holds (``holds``: available = on hand - live holds,
enforced in the database), staff stock changes (``stock``), and the two paths that release
what nobody paid for: lapsed holds in batches (``lapsed``) and unpaid orders (``expiry``)."""
