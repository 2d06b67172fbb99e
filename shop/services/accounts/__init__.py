"""People: accounts and sign-in checks (``users``), store staff (``staff``), saved addresses
(``addresses``), password reset (``passwords``), e-mail verification and the guest orders a
verified address claims (``verification``), the signed links both mail (``signed``) and
per-store API keys (``api_keys``)."""
