"""The defaults of the rate limits and stock caps (``config`` reads and checks them).

Kept apart from ``config`` because the table grows with every limited route.
"""

from __future__ import annotations

# Limits for shoppers (Flask-Limiter syntax, several separated by ";"). Tests get generous
# values so that suites with many shoppers on one loopback address are not throttled.
RATE_LIMIT_DEFAULTS = {
    "RATELIMIT_CHECKOUT_PER_IP": "30 per minute;300 per hour",
    "RATELIMIT_CHECKOUT_PER_SESSION": "10 per minute;60 per hour",
    "RATELIMIT_PAYMENT_PER_IP": "60 per minute;600 per hour",
    "RATELIMIT_PAYMENT_PER_SESSION": "20 per minute;120 per hour",
    # Failed sign-ins only: per address, and per (account, address). The windows grow, so
    # each refusal asks a guesser to wait longer (1 minute, 15 minutes, an hour, a day).
    "RATELIMIT_LOGIN_PER_IP": "30 per minute;300 per hour",
    "RATELIMIT_LOGIN_PER_ACCOUNT": "5 per minute;10 per 15 minutes;20 per hour;50 per day",
    # Every sign-up, reset and verification-link request (each may send an e-mail), per
    # address and per e-mail.
    "RATELIMIT_REGISTER_PER_IP": "10 per hour;50 per day",
    "RATELIMIT_REGISTER_PER_EMAIL": "3 per hour;10 per day",
    "RATELIMIT_RESET_PER_IP": "10 per hour;50 per day",
    "RATELIMIT_RESET_PER_EMAIL": "3 per hour;10 per day",
    "RATELIMIT_VERIFY_PER_IP": "10 per hour;50 per day",
    "RATELIMIT_VERIFY_PER_EMAIL": "3 per hour;10 per day",
    # The guest order lookup: what a correct guess yields is an e-mail to the order's own
    # address, and these keep guessing (and mailing) slow.
    "RATELIMIT_LOOKUP_PER_IP": "10 per minute;50 per hour",
    "RATELIMIT_LOOKUP_PER_EMAIL": "5 per hour;20 per day",
    # State-changing admin and staff-API actions per staff member or API key (reading is
    # never limited, so nobody is locked out; docs/operations.md).
    "RATELIMIT_ADMIN_ACTIONS": "60 per minute",
    # Saved cards, per signed-in account: each add-a-card page creates a SetupIntent (where
    # a card tester would try numbers), each default or removal calls Stripe.
    "RATELIMIT_SAVED_CARDS_PER_USER": "20 per hour;100 per day",
    "CARD_TESTING_PER_IP": "10 per hour",
    "CARD_TESTING_PER_SESSION": "4 per hour",
}
TESTING_RATE_LIMIT = "10000 per minute"
# Unpaid checkouts holding stock at once, per browser session and per address. Tests run
# many shoppers from one loopback address, so under SHOP_ENV=testing they default high too.
OPEN_CHECKOUT_DEFAULTS = {"MAX_OPEN_CHECKOUTS_PER_SESSION": 3, "MAX_OPEN_CHECKOUTS_PER_IP": 10}
TESTING_OPEN_CHECKOUTS = 10000
