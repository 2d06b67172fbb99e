"""Stripe's events: recorded once and applied in the same transaction (``events``), dispatched
by type (``handlers``) to the PaymentIntent handlers (``intent_events``) and the refund and
dispute handlers (``money_events``); events at another API version (``versions``); staff's
list (``listing``) and replay (``replay``)."""
