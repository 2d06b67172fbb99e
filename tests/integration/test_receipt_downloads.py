"""Receipt and credit-note downloads for the shopper (token, account), staff and API keys,
404 for anyone else; the shopper's re-send, 3 an hour per order through the outbox."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import AuditEvent, Order, OutboxMessage, Role
from shop.services.refunds.refunds import refund_payment

from ..factories import PASSWORD, make_user
from ..payments import Api, captured
from ..shopper import csrf_token, login


def signed_in(app, email: str):
    client = app.test_client()
    assert login(client, email, PASSWORD).status_code == 303
    return client


def pdf_text(response) -> str:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"].startswith("private")
    return PdfReader(io.BytesIO(response.data)).pages[0].extract_text()


def paid_and_refunded(store, product, stripe_client, user=None) -> Order:
    attempt = captured(store, product, stripe_client)
    refund_payment(attempt_id=attempt.id, amount=500, actor="staff:owner@example.com")
    order = db.session.get(Order, attempt.order_id)
    if user is not None:
        order.user_id = user.id
        db.session.commit()
    return order


def test_the_guest_downloads_by_token_and_nobody_else(client, store, product, stripe_client):
    order = paid_and_refunded(store, product, stripe_client)
    token, number = order.token, order.number
    assert "Receipt number R-000001" in pdf_text(client.get(f"/orders/{token}/receipt.pdf"))
    note = client.get(f"/orders/{token}/credit-notes/CN-000001.pdf")
    assert "Corrects receipt R-000001" in pdf_text(note)
    assert note.headers["Content-Disposition"] == \
        'attachment; filename="credit-note-CN-000001.pdf"'
    page = client.get(f"/orders/{token}").get_data(as_text=True)
    assert f"/orders/{token}/receipt.pdf" in page and "Credit note CN-000001" in page
    assert f"Order {number}" in pdf_text(client.get(f"/orders/{token}/receipt.pdf"))
    for url in (f"/orders/{'x' * 20}/receipt.pdf", f"/orders/{token}/credit-notes/CN-2.pdf",
                f"/orders/{token}/credit-notes/R-000001.pdf"):
        assert client.get(url).status_code == 404, url


def test_the_account_holder_downloads_and_another_shopper_gets_404(
        clean_app, store, product, stripe_client):
    ada, bob = make_user("ada@example.com"), make_user("bob@example.com")
    order = paid_and_refunded(store, product, stripe_client, user=ada)
    own, other = signed_in(clean_app, ada.email), signed_in(clean_app, bob.email)
    base = f"/account/orders/{order.id}"
    assert "R-000001" in pdf_text(own.get(f"{base}/receipt.pdf"))
    assert "CN-000001" in pdf_text(own.get(f"{base}/credit-notes/CN-000001.pdf"))
    assert f"{base}/receipt.pdf" in own.get(base).get_data(as_text=True)
    for url in (f"{base}/receipt.pdf", f"{base}/credit-notes/CN-000001.pdf"):
        assert other.get(url).status_code == 404
        assert clean_app.test_client().get(url).status_code == 302  # to the login page


def test_staff_of_the_store_download_and_staff_of_another_get_404(
        clean_app, store, other_store, product, stripe_client):
    order = paid_and_refunded(store, product, stripe_client)
    make_user("staff@example.com", store=store, role=Role.STAFF)
    make_user("outsider@example.com", store=other_store, role=Role.STAFF)
    staff, outsider = (signed_in(clean_app, "staff@example.com"),
                       signed_in(clean_app, "outsider@example.com"))
    detail = staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    url = f"/admin/orders/{order.id}/documents/R-000001.pdf"
    assert url in detail and "Credit note CN-000001" in detail
    assert "R-000001" in pdf_text(staff.get(url))
    assert outsider.get(url).status_code == 404
    assert staff.get(f"/admin/orders/{order.id}/documents/R-000009.pdf").status_code == 404


def test_api_keys_list_and_download_their_store_only(
        clean_app, store, other_store, product, other_product, stripe_client):
    order = paid_and_refunded(store, product, stripe_client)
    captured(other_store, other_product, stripe_client)  # R-000001 of the other store
    mine, theirs = Api.key(clean_app, store), Api.key(clean_app, other_store)
    listed = mine.client.get("/api/receipts", query_string={"order_id": order.id},
                             headers=mine.headers)
    assert listed.status_code == 200
    assert [(d["number"], d["kind"], d["amount"]) for d in listed.get_json()["data"]] == [
        ("R-000001", "receipt", 1650), ("CN-000001", "credit_note", 500)]
    pdf = mine.client.get(listed.get_json()["data"][0]["pdf"], headers=mine.headers)
    assert "Kenya Nyeri" in pdf_text(pdf)
    refused = theirs.client.get("/api/receipts", query_string={"order_id": order.id},
                                headers=theirs.headers)
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_found"
    other_pdf = theirs.client.get("/api/receipts/CN-000001.pdf", headers=theirs.headers)
    assert other_pdf.status_code == 404  # their store has no credit note
    assert "Other Beans" in pdf_text(theirs.client.get("/api/receipts/R-000001.pdf",
                                                       headers=theirs.headers))
    for bad in ("", "abc", "0", "99999999999"):
        answer = mine.client.get("/api/receipts", query_string={"order_id": bad},
                                 headers=mine.headers)
        assert answer.status_code == 400
        assert answer.get_json()["error"]["code"] == "invalid_order_id"
    assert mine.client.get("/api/receipts/X-1.pdf", headers=mine.headers).status_code == 404
    anonymous = clean_app.test_client().get("/api/receipts/R-000001.pdf")
    assert anonymous.status_code == 401


def test_the_shopper_asks_again_three_times_an_hour(client, store, product, stripe_client):
    order = db.session.get(Order, captured(store, product, stripe_client).order_id)
    token = order.token
    jobs_before = db.session.scalar(select(func.count(OutboxMessage.id)))

    def ask():
        page = client.get(f"/orders/{token}").get_data(as_text=True)
        return client.post(f"/orders/{token}/receipt/resend",
                           data={"csrf_token": csrf_token(page)}, follow_redirects=True)

    answers = [ask().get_data(as_text=True) for _ in range(4)]
    assert all("We are e-mailing your receipt" in a for a in answers[:3])
    assert "already sent again 3 times in the last hour" in answers[3]
    db.session.rollback()
    jobs = db.session.scalars(select(OutboxMessage.args).where(
        OutboxMessage.job == "send_receipt").order_by(OutboxMessage.id)).all()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == jobs_before + 3
    assert len({j for j in jobs}) == len(jobs)  # each re-send its own e-mail
    asked = db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "receipt_resend_asked", AuditEvent.entity_id == order.id))
    assert asked == 3
    refused = client.post(f"/orders/{token}/receipt/resend", data={})
    assert refused.status_code == 400  # no CSRF token: nothing asked
