"""SQLModel tables; importing this package registers every table on the metadata."""

from .accounts import ProviderCategory, ProviderProfile, User
from .catalog import Batch, Category, CategoryFollow, Listing, ListingSession
from .fairseats import LotteryDraw, Quota
from .markets import Market
from .needs import ClassifierVersion, NeedClassification, NeedLabel
from .notices import AuditEvent, Notification, OutboxJob
from .orders import IdempotencyKey, Offer, Order, OrderEvent
from .reviews import Review
from .satisfaction import FollowUpCase, SatisfactionSurvey
from .sessions import LoginSession

__all__ = [
    "AuditEvent",
    "Batch",
    "Category",
    "CategoryFollow",
    "FollowUpCase",
    "ClassifierVersion",
    "IdempotencyKey",
    "Listing",
    "ListingSession",
    "LoginSession",
    "LotteryDraw",
    "Market",
    "NeedClassification",
    "NeedLabel",
    "Notification",
    "Offer",
    "Order",
    "OrderEvent",
    "OutboxJob",
    "ProviderCategory",
    "ProviderProfile",
    "Quota",
    "Review",
    "SatisfactionSurvey",
    "User",
]
