"""Mail to shoppers. Each message is recorded once, so a repeated job sends nothing more."""

from __future__ import annotations

from flask import render_template, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..mail import send_mail
from ..models import Order, SentEmail
from .tx import write_transaction


def send_receipt(order_id: int) -> bool:
    """Send the payment receipt for a paid order; False if it was sent already."""
    already = db.session.scalar(select(SentEmail.id).where(
        SentEmail.order_id == order_id, SentEmail.kind == "receipt"))
    if already:
        return False
    try:
        with write_transaction() as session:
            order = session.get(Order, order_id)
            if order is None or order.paid_at is None:
                return False
            subject = f"Your order {order.number} is confirmed"
            session.add(SentEmail(order_id=order.id, kind="receipt", recipient=order.email,
                                  subject=subject))
            session.flush()
            link = url_for("orders.status", token=order.token, _external=True)
            body = render_template("mail/receipt.txt", order=order, link=link)
            # Sent inside the transaction: if sending fails the row rolls back and the job
            # is retried; the unique row stops a second copy.
            send_mail(to=order.email, subject=subject, body=body)
    except IntegrityError:
        return False
    return True
