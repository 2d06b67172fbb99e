"""People: accounts and sign-in checks (``users``), store staff (``staff``), saved addresses
(``addresses``), password reset (``passwords``) and per-store API keys (``api_keys``)."""
