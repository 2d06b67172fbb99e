"""What every area uses: one transaction per use case (``tx``), audit rows (``audit``), staff
alerts (``alerts``), their thresholds (``thresholds``), e-mail and webhook (``alert_notices``),
a store's effective settings (``settings``), the dashboard's figures
(``dashboard``) and API idempotency keys (``idempotency``)."""
