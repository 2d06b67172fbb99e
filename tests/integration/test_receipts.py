"""Receipts as records: numbered per store without gaps (also under 20 payments at once),
frozen when issued, and credit notes for refunds."""

from __future__ import annotations

import io
import threading

from pypdf import PdfReader
from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, PaymentAttempt, Product
from shop.models.receipt import CREDIT_NOTE, RECEIPT, Receipt
from shop.services.payments.settle import ensure_payment_intent
from shop.services.receipts.documents import pdf_of
from shop.services.receipts.legal import update_legal_details
from shop.services.refunds.refunds import refund_payment

from ..factories import make_product
from ..payments import captured, make_order
from ..shopper import post_event, sandbox_events


def receipts(kind: str = RECEIPT) -> list[Receipt]:
    db.session.rollback()
    return list(db.session.scalars(select(Receipt).where(Receipt.kind == kind)
                                   .order_by(Receipt.store_id, Receipt.number)))


def text_of(document: Receipt) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_of(document))).pages)


def test_paying_issues_one_numbered_receipt_per_order_and_store(
        store, product, other_store, other_product, stripe_client):
    first = captured(store, product, stripe_client)
    second = captured(store, product, stripe_client)
    elsewhere = captured(other_store, other_product, stripe_client)
    found = {(r.store_id, r.order_id): r for r in receipts()}
    assert [(r.label, r.amount) for r in (found[(store.id, first.order_id)],
                                          found[(store.id, second.order_id)])] == \
        [("R-000001", 1650), ("R-000002", 1650)]
    assert found[(other_store.id, elsewhere.order_id)].label == "R-000001"  # its own series
    receipt = found[(store.id, first.order_id)]
    assert receipt.payment_method == {"type": "card", "brand": "visa", "last4": "4242"}
    assert receipt.snapshot["lines"][0] | {"line_id": 0} == {
        "line_id": 0, "name": "Kenya Nyeri", "quantity": 1, "unit_price": 1650, "total": 1650}
    assert receipt.snapshot["reference"] == first.provider_reference
    text = text_of(receipt)
    assert "Receipt number R-000001" in text and "Paid with Visa ending in 4242" in text


def test_an_unpaid_or_declined_order_gets_no_receipt(store, product, stripe_client):
    from ..payments import pay

    attempt = pay(stripe_client, make_order(store, product, capture_method="automatic"),
                  card="pm_card_visa_chargeDeclined")
    assert attempt.status != "captured"
    assert receipts() == []


def test_twenty_orders_paid_at_once_are_numbered_1_to_20(clean_app, store, stripe_client):
    """Twenty signed ``payment_intent.succeeded`` webhooks through the endpoint at the same
    instant: each order gets one receipt, numbers 1..20, no gap and no duplicate."""
    events = []
    for n in range(20):
        # A product each: paying one order locks its products' rows, which would queue the
        # twenty for a reason other than the counter.
        product = make_product(store, name=f"Beans {n}", price=900, stock=5)
        order = make_order(store, product, capture_method="automatic")
        intent_id = ensure_payment_intent(order_id=order.id).provider_reference
        stripe_client.v1.payment_intents.confirm(intent_id,
                                                 params={"payment_method": "pm_card_visa"})
        [event] = sandbox_events(stripe_client, intent_id, "payment_intent.succeeded")
        events.append(event)
    db.session.rollback()
    barrier = threading.Barrier(len(events))
    statuses: list[int] = []

    def deliver(event: dict) -> None:
        client = clean_app.test_client()
        barrier.wait()
        statuses.append(post_event(client, event).status_code)

    threads = [threading.Thread(target=deliver, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert statuses == [200] * 20
    issued = receipts()
    assert sorted(r.number for r in issued) == list(range(1, 21))
    assert len({r.order_id for r in issued}) == 20
    paid = db.session.scalars(select(Order.id).where(Order.payment_status == "paid")).all()
    assert sorted(paid) == sorted(r.order_id for r in issued)


def test_an_issued_receipt_never_changes(store, product, stripe_client):
    """Renaming and repricing the product and changing the legal details later changes
    nothing on an issued receipt; the next receipt reads the new details."""
    update_legal_details(store_id=store.id, name="Bean & Leaf Ltd",
                         address="1 Roast Street\nPortland OR 97201", tax_id="US-123",
                         actor="staff:owner@example.com")
    first = captured(store, product, stripe_client)
    [before] = receipts()
    text_before = text_of(before)
    assert "Bean & Leaf Ltd" in text_before and "1 Roast Street" in text_before
    assert "Tax ID: US-123" in text_before and "Kenya Nyeri" in text_before

    renamed = db.session.get(Product, product.id)
    renamed.name, renamed.price = "Kenya Nyeri AA (new crop)", 2450
    db.session.commit()
    update_legal_details(store_id=store.id, name="Bean and Leaf Holdings", address="9 New Road",
                         tax_id="", actor="staff:owner@example.com")
    captured(store, product, stripe_client)

    old, new = receipts()
    assert old.order_id == first.order_id
    assert text_of(old) == text_before
    assert old.snapshot == before.snapshot
    new_text = text_of(new)
    assert "Bean and Leaf Holdings" in new_text and "Kenya Nyeri AA (new crop)" in new_text
    assert "Bean & Leaf Ltd" not in new_text


def test_a_refund_issues_a_credit_note_against_the_receipt(store, product, stripe_client,
                                                           mailbox):
    attempt = captured(store, product, stripe_client, quantity=2)
    refund_payment(attempt_id=attempt.id, amount=1000, reason="requested_by_customer",
                   actor="staff:owner@example.com")
    line_id = db.session.scalar(select(Order).where(Order.id == attempt.order_id)).lines[0].id
    refund_payment(attempt_id=attempt.id, lines={line_id: 1}, actor="staff:owner@example.com")
    [receipt] = receipts()
    notes = receipts(CREDIT_NOTE)
    assert [(n.label, n.amount, n.receipt_id) for n in notes] == [
        ("CN-000001", 1000, receipt.id), ("CN-000002", 1650, receipt.id)]
    text = text_of(notes[0])
    assert "Credit note number CN-000001" in text and "Corrects receipt R-000001" in text
    assert "$10.00" in text and "Refunded to Visa ending in 4242" in text
    assert "1 x Kenya Nyeri returned" in text_of(notes[1])
    assert receipt.label == "R-000001"  # the receipt keeps its number and snapshot
    refund_mails = [m for m in mailbox() if m["Subject"].startswith("Refund")]
    assert len(refund_mails) == 2
    [pdf] = [part for part in refund_mails[0].iter_attachments()
             if part.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == "credit-note-CN-000001.pdf"
    assert "Corrects receipt R-000001" in PdfReader(io.BytesIO(pdf.get_content())).pages[0] \
        .extract_text()
    assert "Your credit note CN-000001 is attached" in \
        refund_mails[0].get_body(("plain",)).get_content()
    assert db.session.get(PaymentAttempt, attempt.id).status == "captured"


def test_a_receipt_issued_from_a_webhook_copy_gets_its_card_once(client, store, product,
                                                                 stripe_client, mailbox):
    """The signed ``succeeded`` copy names its charge by id only; the receipt job fills the
    card in from Stripe before the first e-mail is drawn."""
    order = make_order(store, product, capture_method="automatic")
    intent_id = ensure_payment_intent(order_id=order.id).provider_reference
    stripe_client.v1.payment_intents.confirm(intent_id, params={"payment_method": "pm_card_visa"})
    [event] = sandbox_events(stripe_client, intent_id, "payment_intent.succeeded")
    assert post_event(client, event).status_code == 200
    [receipt] = receipts()
    assert receipt.payment_method == {"type": "card", "brand": "visa", "last4": "4242"}
    [mail] = [m for m in mailbox() if "is confirmed" in m["Subject"]]
    body = mail.get_body(("plain",)).get_content()
    assert "Paid with: Visa ending in 4242" in body and "Receipt R-000001" in body
