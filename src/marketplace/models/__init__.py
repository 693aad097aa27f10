"""SQLModel tables; importing this package registers every table on the metadata."""

from .accounts import ProviderCategory, ProviderProfile, User
from .catalog import Batch, Category, CategoryFollow, Listing, ListingSession
from .markets import Market
from .needs import ClassifierVersion, NeedClassification, NeedLabel
from .notices import AuditEvent, Notification, OutboxJob
from .orders import IdempotencyKey, Offer, Order, OrderEvent
from .reviews import Review
from .satisfaction import FollowUpCase, SatisfactionSurvey
from .sessions import LoginSession
from .surveys import GapInvitation, SurveyFile, SurveyImport, SurveyNeed

__all__ = [
    "AuditEvent",
    "Batch",
    "Category",
    "CategoryFollow",
    "FollowUpCase",
    "GapInvitation",
    "ClassifierVersion",
    "IdempotencyKey",
    "Listing",
    "ListingSession",
    "LoginSession",
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
    "Review",
    "SatisfactionSurvey",
    "SurveyFile",
    "SurveyImport",
    "SurveyNeed",
    "User",
]
