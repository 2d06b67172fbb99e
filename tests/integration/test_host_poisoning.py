"""Password-reset poisoning: a request's Host never reaches a link in an e-mail, and in
production a request addressed to a host that is not the shop's is answered 400."""

import logging
import re

import pytest

from shop.links import external_url
from shop.models import Role

from ..factories import make_store, make_user
from ..production import BASE_URL, production_app
from ..shopper import csrf_token, outbox

EVIL = "evil.example"
LINK = re.compile(r"https?://[^\s\"'<>]+")


def post_as(client, path: str, base_url: str, headers=None, **data):
    """GET ``path`` for its CSRF token and POST ``data`` back, both sent to ``base_url``."""
    page = client.get(path, base_url=base_url, headers=headers)
    token = csrf_token(page.get_data(as_text=True))
    # Over HTTPS Flask-WTF also wants a same-origin Referer, as a browser sends.
    headers = {"Referer": f"{base_url}{path}", **(headers or {})}
    return client.post(path, base_url=base_url, headers=headers,
                       data={"csrf_token": token, **data})


def links(mail) -> list[str]:
    return LINK.findall(mail.get_content())


POISONED = [
    pytest.param(f"http://{EVIL}", None, id="host"),
    pytest.param("http://localhost", {"X-Forwarded-Host": EVIL}, id="x-forwarded-host"),
    pytest.param(f"http://{EVIL}:8443", {"X-Forwarded-Host": EVIL, "X-Forwarded-Proto":
                                         "https"}, id="both"),
]


@pytest.mark.parametrize("base_url,headers", POISONED)
def test_an_owners_reset_link_stays_on_base_url_whatever_the_host(client, store, mailbox,
                                                                 base_url, headers):
    make_user("owner@example.com", store=store, role=Role.OWNER)
    response = post_as(client, "/account/password/forgot", base_url, headers,
                       email="owner@example.com")
    assert response.status_code == 200
    [mail] = mailbox()
    [link] = links(mail)
    base = client.application.config["BASE_URL"]
    assert link.startswith(f"{base}/account/password/reset/"), link
    assert EVIL not in mail.as_string()
    # The link works on the shop itself.
    assert client.get(link.removeprefix(base)).status_code == 200


@pytest.mark.parametrize("base_url,headers", POISONED)
def test_the_welcome_mail_links_to_base_url_whatever_the_host(client, store, mailbox,
                                                              base_url, headers):
    response = post_as(client, "/account/register", base_url, headers, name="Grace",
                       email="grace@example.com", password="a long enough password",
                       confirm="a long enough password")
    assert response.status_code == 200  # "check your e-mail", whoever asks
    [mail] = mailbox()
    base = client.application.config["BASE_URL"]
    assert f"{base}/account/login" in links(mail)
    assert all(link.startswith(base + "/") for link in links(mail))
    assert EVIL not in mail.as_string()


def test_external_url_ignores_the_request_it_is_built_in(clean_app):
    with clean_app.test_request_context("/", base_url=f"https://{EVIL}/sub"):
        assert external_url("orders.status", token="abc") == \
            f"{clean_app.config['BASE_URL']}/orders/abc"


# --- production --------------------------------------------------------------------------

@pytest.fixture
def prod(monkeypatch, tmp_path):
    from ..conftest import IsolatedClient, build_schema

    app = production_app(monkeypatch, tmp_path, ALLOWED_HOSTS="www.shop.example",
                         TRUSTED_PROXIES="1")
    # Mail goes out after the answer is sent: responses are closed as a server closes them.
    app.test_client_class = IsolatedClient
    build_schema(app)
    with app.app_context():
        make_user("owner@example.com", store=make_store(), role=Role.OWNER)
    return app


@pytest.mark.parametrize("method,path", [
    ("GET", "/"), ("GET", "/account/login"), ("POST", "/account/password/forgot"),
    ("GET", "/api/payments"), ("POST", "/webhooks/stripe"), ("GET", "/no-such-page"),
])
def test_production_answers_400_to_a_foreign_host(prod, method, path):
    client = prod.test_client()
    for base_url, headers in [(f"https://{EVIL}", {}),
                              (BASE_URL, {"X-Forwarded-Host": EVIL}),
                              (BASE_URL, {"X-Forwarded-Host": f"{BASE_URL[8:]}, {EVIL}"}),
                              (f"https://{BASE_URL[8:]}.{EVIL}", {})]:
        response = client.open(path, method=method, base_url=base_url, headers=headers,
                               data={"email": "owner@example.com"})
        assert response.status_code == 400, (path, base_url, headers)
        assert "not served at that address" in response.get_data(as_text=True)
    assert outbox(prod) == []


def test_production_reset_through_an_allowed_host_still_links_to_base_url(prod):
    client = prod.test_client()
    assert client.get("/account/login", base_url=BASE_URL).status_code == 200
    response = post_as(client, "/account/password/forgot", "https://www.shop.example",
                       email="owner@example.com")
    assert response.status_code == 200
    [mail] = outbox(prod)
    [link] = links(mail)
    assert link.startswith(f"{BASE_URL}/account/password/reset/")


def test_production_without_a_trusted_proxy_ignores_x_forwarded_host(monkeypatch, tmp_path):
    app = production_app(monkeypatch, tmp_path)
    response = app.test_client().get("/healthz", base_url=BASE_URL,
                                     headers={"X-Forwarded-Host": EVIL})
    assert response.status_code == 200
    assert app.test_client().get("/", base_url=f"https://{EVIL}").status_code == 400


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_load_balancer_probes_by_address_are_answered(prod, path):
    response = prod.test_client().get(path, base_url="http://10.0.3.7:8000")
    assert response.status_code == 200
    assert response.get_json()["status"] in {"ok", "ready"}


def test_a_foreign_host_is_not_logged_as_an_error(prod, caplog):
    with caplog.at_level(logging.WARNING):
        prod.test_client().get("/", base_url=f"https://{EVIL}")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

