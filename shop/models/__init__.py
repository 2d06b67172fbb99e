"""Models, one module per aggregate; importing this package registers them all."""

from .audit import AuditEvent
from .cart import Cart, CartItem
from .catalog import Category, Product
from .inventory import HoldStatus, InventoryHold
from .mail import SentEmail
from .order import Order, OrderLine
from .payment import PaymentAttempt
from .store import Store
from .webhook import StripeEvent

__all__ = [
    "AuditEvent", "Cart", "CartItem", "Category", "HoldStatus", "InventoryHold", "Order",
    "OrderLine", "PaymentAttempt", "Product", "SentEmail", "Store", "StripeEvent",
]
