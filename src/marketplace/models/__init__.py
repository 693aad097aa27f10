"""SQLModel tables; importing this package registers every table on the metadata."""

from .accounts import ProviderCategory, ProviderProfile, User
from .campaigns import Campaign, CampaignOffer
from .catalog import Batch, Category, CategoryFollow, Listing, ListingPicture, ListingSession, WaitlistLine
from .checkin import CheckIn, Organisation, OrgBooking, OrgSeat
from .codes import OneTimeCode
from .fairseats import LotteryDraw, Quota
from .figures import FigureDay, FigureFold, FigureMonth, ProviderDeliveries, ServedMember
from .hotline import HotlineCall
from .markets import Market
from .needs import ClassifierVersion, NeedClassification, NeedLabel
from .notices import AuditEvent, Notification, OutboxJob
from .orders import IdempotencyKey, Offer, Order, OrderEvent, OrderMessage
from .reviews import Review
from .roster import RosterEntry, RosterFile, RosterImport, VerificationRequest
from .satisfaction import FollowUpCase, SatisfactionSurvey
from .sessions import LoginSession
from .stations import (
    Landmark,
    Station,
    StationInspection,
    StationKeeper,
    StationOpening,
    StationPhoto,
    StationReview,
    StationVisit,
)
from .surveys import GapInvitation, SurveyFile, SurveyImport, SurveyNeed

__all__ = [
    "FigureDay",
    "FigureFold",
    "FigureMonth",
    "HotlineCall",
    "ProviderDeliveries",
    "ServedMember",
    "Landmark",
    "Station",
    "StationInspection",
    "StationKeeper",
    "StationPhoto",
    "StationOpening",
    "StationReview",
    "StationVisit",
    "AuditEvent",
    "Batch",
    "Campaign",
    "CampaignOffer",
    "Category",
    "CheckIn",
    "CategoryFollow",
    "FollowUpCase",
    "GapInvitation",
    "ClassifierVersion",
    "IdempotencyKey",
    "Listing",
    "ListingPicture",
    "ListingSession",
    "WaitlistLine",
    "LoginSession",
    "LotteryDraw",
    "Market",
    "NeedClassification",
    "NeedLabel",
    "Notification",
    "Offer",
    "OneTimeCode",
    "OrgBooking",
    "OrgSeat",
    "Organisation",
    "Order",
    "OrderEvent",
    "OrderMessage",
    "OutboxJob",
    "ProviderCategory",
    "ProviderProfile",
    "Quota",
    "Review",
    "RosterEntry",
    "RosterFile",
    "RosterImport",
    "VerificationRequest",
    "SatisfactionSurvey",
    "SurveyFile",
    "SurveyImport",
    "SurveyNeed",
    "User",
]
