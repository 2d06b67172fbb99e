"""The stand-in for Stripe's hosted Checkout page, served at the session's ``url``.

A plain, accessible form: pick a test card (one that pays, one that asks for 3-D Secure, one
the bank declines) and Pay, or Cancel back to ``cancel_url``. Paying makes the PaymentIntent
and charge through the same code as the API, completes the session, sends a signed
``checkout.session.completed`` and redirects to ``success_url`` with ``{CHECKOUT_SESSION_ID}``
filled in, as Stripe does.
"""

from __future__ import annotations

import html
import time

from aiohttp import web
from localstripe.resources import PaymentIntent, PaymentMethod, store

from . import payments
from .checkout import PAGE_PREFIX, CheckoutSession, find
from .common import emit, new_payment_intent
from .errors import StripeError
from .patches import PROCESSING_CARD, new_card_payment_method

CARDS = {"4242424242424242": "Visa 4242: pays",
         "4000002760003184": "Visa 3184: asks for 3-D Secure",
         "4000000000000002": "Visa 0002: declined by the bank",
         PROCESSING_CARD: "Visa 4954: delayed, the bank decides later"}
PLACEHOLDER = "{CHECKOUT_SESSION_ID}"


def _money(session: CheckoutSession) -> str:
    return f"{session.amount_total / 100:.2f} {session.currency.upper()}"


def _page(session: CheckoutSession, body: str, *, status: int = 200,
          alert: str | None = None) -> web.Response:
    esc = html.escape
    lines = "".join(f"<li>{esc(line['description'])} × {line['quantity']}: "
                    f"{line['amount_total'] / 100:.2f}</li>" for line in session._line_items)
    notice = f'<p role="alert" class="error">{esc(alert)}</p>' if alert else ""
    page = f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stripe sandbox Checkout</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#111}}
button,.cancel{{display:block;width:100%;margin:.5rem 0;padding:.75rem;font-size:1rem;
box-sizing:border-box;text-align:center}}
fieldset{{border:1px solid #555;padding:1rem}} label{{display:block;padding:.4rem 0}}
.error{{color:#8a0000;font-weight:bold}} a{{color:#0645ad}}</style></head>
<body><main>
<h1>Stripe sandbox Checkout</h1>
<h2>Order</h2>
<ul>{lines}</ul>
<p>Total: <strong>{esc(_money(session))}</strong></p>
{notice}
{body}
</main></body></html>"""
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")


def _cancel_link(session: CheckoutSession) -> str:
    if not session.cancel_url:
        return ""
    return f'<a class="cancel" href="{html.escape(session.cancel_url)}">Cancel and go back</a>'


def _pay_form(session: CheckoutSession) -> str:
    esc = html.escape
    choices = "\n".join(
        f'<label><input type="radio" name="card" value="{number}"'
        f'{" checked" if i == 0 else ""}> {esc(label)}</label>'
        for i, (number, label) in enumerate(CARDS.items()))
    return (f'<form method="post" action="{esc(PAGE_PREFIX + session.id)}">\n'
            f"<fieldset><legend>Test card</legend>\n{choices}\n</fieldset>\n"
            f'<button type="submit">Pay {esc(_money(session))}</button>\n</form>\n'
            f"{_cancel_link(session)}")


def _closed(session: CheckoutSession, *, status: int = 200) -> web.Response:
    if session.status == "complete":
        return _page(session, '<p role="status">This payment is complete.</p>', status=status)
    return _page(session, '<p role="status">This checkout session has expired.</p>',
                 status=status, alert="This checkout session has expired." if status >= 400
                 else None)


async def show(request: web.Request) -> web.Response:
    session = find(request.match_info["id"])
    if session.status != "open":
        return _closed(session)
    return _page(session, _pay_form(session))


def _complete(session: CheckoutSession, pi: PaymentIntent) -> web.Response:
    session.status = "complete"
    # A delayed method completes the session unpaid; the bank's answer comes as
    # checkout.session.async_payment_succeeded or _failed.
    session.payment_status = "unpaid" if pi.status == "processing" else "paid"
    session.url = None
    session.customer_details = {"email": session.customer_email, "name": None,
                                "phone": None, "address": None, "tax_exempt": "none",
                                "tax_ids": []}
    emit("checkout.session.completed", session)
    if not session.success_url:
        return _closed(session)
    return web.Response(status=303, headers={
        "Location": session.success_url.replace(PLACEHOLDER, session.id)})


def _new_intent(session: CheckoutSession) -> PaymentIntent:
    pi = new_payment_intent(amount=session.amount_total, currency=session.currency,
                            metadata=dict(session._intent_metadata), types=["card"],
                            dynamic=False)
    emit("payment_intent.created", pi)
    session.payment_intent = pi.id
    return pi


def _authenticate_form(session: CheckoutSession) -> str:
    action = html.escape(f"{PAGE_PREFIX}{session.id}/authenticate")
    return (f'<form method="post" action="{action}">\n<fieldset>'
            "<legend>3-D Secure test: your bank asks you to confirm this payment</legend>\n"
            '<button type="submit" name="outcome" value="complete">Complete authentication'
            '</button>\n<button type="submit" name="outcome" value="fail">Fail '
            "authentication</button>\n</fieldset>\n</form>")


async def pay(request: web.Request) -> web.Response:
    session = find(request.match_info["id"])
    if session.status != "open":
        return _closed(session, status=409)
    form = await request.post()
    number = form.get("card")
    if number not in CARDS:
        return _page(session, _pay_form(session), status=400, alert="Choose a test card.")
    pm = new_card_payment_method(str(number), 12, time.gmtime().tm_year + 2, "123")
    pi = _new_intent(session) if session.payment_intent is None \
        else PaymentIntent._api_retrieve(session.payment_intent)
    try:
        payments._confirm(pi, {"payment_method": pm.id})
    except StripeError as exc:
        return _page(session, _pay_form(session), status=402,
                     alert=exc.body["error"]["message"])
    if pi.status == "requires_action":
        return _page(session, _authenticate_form(session))
    return _complete(session, pi)


async def authenticate(request: web.Request) -> web.Response:
    session = find(request.match_info["id"])
    if session.status != "open":
        return _closed(session, status=409)
    pi = PaymentIntent._api_retrieve(session.payment_intent or "")
    if pi.status != "requires_action":
        return _page(session, _pay_form(session), status=409,
                     alert="Nothing is waiting for authentication.")
    form = await request.post()
    pm = PaymentMethod._api_retrieve(pi.payment_method)
    pi.next_action = None
    if form.get("outcome") == "complete":
        payments._charge(pi, pm)
        return _complete(session, pi)
    pi.payment_method = None
    pi._sandbox_error = {"type": "invalid_request_error",
                         "code": "payment_intent_authentication_failure",
                         "message": payments.AUTH_FAILURE_MESSAGE,
                         "payment_method": pm._export()}
    emit("payment_intent.payment_failed", pi)
    return _page(session, _pay_form(session), status=402,
                 alert=payments.AUTH_FAILURE_MESSAGE)


def _settled(pi: PaymentIntent, success: bool) -> None:
    session = next((obj for key, obj in store.items() if key.startswith("checkout.session:")
                    and obj.payment_intent == pi.id), None)
    if session is None or (session.status, session.payment_status) != ("complete", "unpaid"):
        return
    if success:
        session.payment_status = "paid"
        emit("checkout.session.async_payment_succeeded", session)
    else:
        emit("checkout.session.async_payment_failed", session)


payments.SETTLE_HOOKS.append(_settled)

ROUTES = [
    ("GET", PAGE_PREFIX + "{id}", show),
    ("POST", PAGE_PREFIX + "{id}", pay),
    ("POST", PAGE_PREFIX + "{id}/authenticate", authenticate),
]
