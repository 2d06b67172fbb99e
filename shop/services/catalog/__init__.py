"""The catalog: what the storefront shows (``browse``, with per-process copies in ``cache``;
``search``, full-text search behind one interface, one backend per database) and staff
editing products (``products``) and their images (``media``). Plain CRUD: no domain model
is needed here."""
