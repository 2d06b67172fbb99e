"""The catalog: what the storefront shows (``browse``, with per-process copies in ``cache``)
and staff editing products (``products``) and their images (``media``). Plain CRUD: no domain
model is needed here."""
