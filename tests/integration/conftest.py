import pytest

from shop.extensions import limiter

from ..background import (  # noqa: F401 (fixtures)
    holding_smtp,
    private_redis,
    redis_url,
    session_redis,
    smtp_sink,
)
from ..factories import make_product, make_store
from ..gateways import (  # noqa: F401 (fixtures: Paystack and Flutterwave sandboxes)
    gateway,
    gateway_processes,
    naira_product,
    naira_store,
)
from ..offline import offline_store, staff  # noqa: F401 (fixtures: cash and transfers)
from ..shopper import Browser, Shopper


@pytest.fixture
def limits(clean_app, monkeypatch):
    """Set some limits tight for this test, on fresh counters."""
    limiter.reset()

    def set_limits(**values):
        for name, value in values.items():
            monkeypatch.setitem(clean_app.config, name, value)

    yield set_limits
    limiter.reset()


@pytest.fixture
def store(clean_app):
    return make_store()


@pytest.fixture
def product(store):
    return make_product(store, name="Kenya Nyeri", price=1650, stock=10)


@pytest.fixture
def shopper(client):
    return Shopper(client)


@pytest.fixture
def browser(stripe_client, stripe_sandbox):
    return Browser(stripe_client, stripe_sandbox.url)


@pytest.fixture
def mailbox(clean_app):
    """The app's file outbox, emptied for this test; call it to read the messages."""
    from ..shopper import clear_outbox, outbox

    clear_outbox(clean_app)
    return lambda: outbox(clean_app)
# --- payment ledger ----------------------------------------------------------------------

@pytest.fixture
def other_store(clean_app):
    return make_store("other")


@pytest.fixture
def other_product(other_store):
    return make_product(other_store, name="Other Beans", price=2200, stock=10)


@pytest.fixture
def manual_capture(clean_app):
    clean_app.config["CAPTURE_METHOD"] = "manual"
    yield
    clean_app.config["CAPTURE_METHOD"] = "automatic"


@pytest.fixture
def fault_proxy(clean_app, stripe_sandbox):
    """Point the app's gateway at a fault-injecting proxy in front of the sandbox."""
    from shop.providers.stripe_gateway import StripeGateway

    from ..faults import FaultProxy

    proxy = FaultProxy(stripe_sandbox.url)
    original = clean_app.extensions["stripe_gateway"]
    clean_app.extensions["stripe_gateway"] = StripeGateway({
        **clean_app.config, "STRIPE_API_BASE": proxy.url, "STRIPE_MAX_NETWORK_RETRIES": 0})
    yield proxy
    clean_app.extensions["stripe_gateway"] = original
    proxy.close()
