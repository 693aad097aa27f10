"""SQLModel tables; importing this package registers every table on the metadata."""

from .accounts import ProviderCategory, ProviderProfile, User
from .catalog import Batch, Category, CategoryFollow, Listing, ListingSession
from .markets import Market
from .notices import AuditEvent, Notification, OutboxJob
from .orders import IdempotencyKey, Offer, Order, OrderEvent
from .reviews import Review
from .sessions import LoginSession

__all__ = [
    "AuditEvent",
    "Batch",
    "Category",
    "CategoryFollow",
    "IdempotencyKey",
    "Listing",
    "ListingSession",
    "LoginSession",
    "Market",
    "Notification",
    "Offer",
    "Order",
    "OrderEvent",
    "OutboxJob",
    "ProviderCategory",
    "ProviderProfile",
    "Review",
    "User",
]
