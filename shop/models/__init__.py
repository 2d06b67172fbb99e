"""Models, one module per aggregate; importing this package registers them all."""

from .address import Address
from .audit import AuditEvent
from .cart import Cart, CartItem
from .catalog import Category, Product, ProductImage, ProductVariant
from .inventory import HoldStatus, InventoryHold
from .mail import SentEmail
from .notes import OrderNote
from .order import Order, OrderLine
from .outbox import OutboxMessage
from .payment import PaymentAttempt
from .stock import StockAdjustment
from .store import Store
from .store_settings import StoreSettings
from .user import LoginSession, Role, StaffInvite, StoreMembership, User
from .webhook import EventStatus, ProviderEvent, StripeEvent

__all__ = [
    "Address", "AuditEvent", "Cart", "CartItem", "Category", "HoldStatus", "InventoryHold", "Order",
    "OrderLine", "PaymentAttempt", "Product", "ProductImage", "ProductVariant", "Role",
    "SentEmail", "Store",
    "StoreMembership",
    "ProviderEvent", "StripeEvent", "User",
    "EventStatus", "OutboxMessage",
    "OrderNote", "StockAdjustment", "StoreSettings",
]

from .alert import AlertSettings, StaffAlert  # noqa: E402
from .api import ApiKey, IdempotencyRecord  # noqa: E402
from .payment import PaymentTransaction  # noqa: E402
from .reconciliation import ReconciliationRun  # noqa: E402

__all__ += ["AlertSettings", "ApiKey", "IdempotencyRecord", "PaymentTransaction",
            "ReconciliationRun", "StaffAlert"]

from .dispute import PaymentDispute  # noqa: E402

__all__ += ["PaymentDispute"]

from .refund import RefundLine  # noqa: E402

__all__ += ["RefundLine"]
__all__ += ["LoginSession", "StaffInvite"]

from .customer import StripeCustomer  # noqa: E402

__all__ += ["StripeCustomer"]

from .receipt import DocumentCounter, Receipt  # noqa: E402

__all__ += ["DocumentCounter", "Receipt"]

from .payment_history import PaymentHistoryEntry  # noqa: E402

__all__ += ["PaymentHistoryEntry"]
