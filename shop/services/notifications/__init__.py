"""Telling people: the transactional outbox (``outbox``), e-mails sent once per order and kind
(``mail``) and the PDF receipt (``receipts``)."""
