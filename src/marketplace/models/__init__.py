"""SQLModel tables; importing this package registers every table on the metadata."""

from .accounts import ProviderCategory, ProviderProfile, User
from .catalog import Batch, Category, CategoryFollow, Listing, ListingSession
from .markets import Market
from .notices import AuditEvent, Notification, OutboxJob
from .orders import IdempotencyKey, Offer, Order, OrderEvent
from .reviews import Review

__all__ = [
    "AuditEvent",
    "Batch",
    "Category",
    "CategoryFollow",
    "IdempotencyKey",
    "Listing",
    "ListingSession",
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
