"""What the pages call the domain's states, shapes, groups and roles, marked for the catalogue."""

from ...domain.review_tags import NEGATIVE, POSITIVE
from .i18n import N_

ORDER_STATES = {
    "placed": N_("Placed"),
    "offered": N_("Waiting for the provider"),
    "accepted": N_("Accepted"),
    "waitlisted": N_("On the waiting list"),
    "delivered": N_("Delivered — please sign off"),
    "received": N_("Received"),
    "reviewed": N_("Reviewed"),
    "disputed": N_("Disputed"),
    "cancelled": N_("Cancelled"),
    "declined": N_("Declined"),
    "expired": N_("Expired"),
    "no_show": N_("Absent"),
    "registered": N_("Registered for the draw"),
}

# The buttons an order shows (order_views gives the actions the viewer may take, in this order of importance).
ORDER_ACTIONS = {
    "receive": N_("Sign off (received)"),
    "review": N_("Review"),
    "reorder": N_("Order again"),
    "accept": N_("Accept"),
    "decline": N_("Decline"),
    "arrange": N_("Arrange"),
    "deliver": N_("Mark delivered"),
    "no_show": N_("Mark absent"),
    "dispute": N_("Dispute"),
    "cancel": N_("Cancel the order"),
    "offer": N_("Offer to a provider"),
    "reassign": N_("Reassign"),
    "resolve_received": N_("Resolve: received"),
    "resolve_cancelled": N_("Resolve: cancel"),
    "confirm": N_("Confirm I will come"),
    "withdraw": N_("Withdraw from the draw"),
}

EVENT_ACTIONS = {
    "place": N_("ordered"),
    "offer": N_("offered to a provider"),
    "auto_accept": N_("accepted at once"),
    "waitlist": N_("put on the waiting list"),
    "promote": N_("a seat became free"),
    "promote_to_offer": N_("a seat became free"),
    "accept": N_("accepted"),
    "decline": N_("declined"),
    "offer_timeout": N_("no answer in time"),
    "reassign": N_("reassigned"),
    "expire": N_("expired"),
    "arrange": N_("arrangements made"),
    "deliver": N_("delivered"),
    "no_show": N_("marked absent"),
    "receive": N_("signed off"),
    "auto_receive": N_("signed off automatically"),
    "dispute": N_("disputed"),
    "resolve_received": N_("dispute resolved: received"),
    "resolve_cancelled": N_("dispute resolved: cancelled"),
    "review": N_("reviewed"),
    "cancel": N_("cancelled"),
    "confirm": N_("confirmed the seat"),
    "confirm_timeout": N_("not confirmed in time"),
    "escalate": N_("sent to the operators"),
    "session_cancelled": N_("the session was called off"),
    "withdraw_duplicate": N_("withdrawn: a second order of the same service"),
    "org_book": N_("booked by an organisation"),
    "org_swap_out": N_("swapped for another person by the organisation"),
    "check_in": N_("checked in"),
    "absent": N_("not checked in: did not come"),
    "register": N_("registered for the draw"),
    "withdraw": N_("withdrew from the draw"),
    "win": N_("drawn: got a seat"),
    "win_offer": N_("drawn: got a seat"),
    "lose": N_("drawn: on the waiting list"),
}

ACTORS = {
    "member": N_("member"),
    "provider": N_("provider"),
    "operator": N_("operator"),
    "curator": N_("curator"),
    "system": N_("system"),
    "org_contact": N_("organisation contact"),
}

LISTING_STATES = {
    "draft": N_("Draft"),
    "submitted": N_("Waiting for approval"),
    "published": N_("Published"),
    "paused": N_("Paused"),
    "closed": N_("Closed"),
    "archived": N_("Archived"),
}

SHAPES = {
    "group": N_("Group session"),
    "slot": N_("One-to-one slot"),
    "on_request": N_("On request"),
}

MODES = {"online": N_("Online"), "offline": N_("In person")}

GROUPS = {
    "new_employment": N_("New-employment-form workers"),
    "migrant": N_("Migrant workers"),
    "parent": N_("Working parents"),
    "youth": N_("Young workers"),
    "women": N_("Women workers"),
    "retiree": N_("Retired workers"),
    "hardship": N_("Members in hardship"),
}

# The parts of a matcher's score (domain/matching.py), in the order an operator reads them.
SCORE_PARTS = {
    "category": N_("Category"),
    "skills": N_("Skills"),
    "mode": N_("Online/offline and area"),
    "time": N_("Time"),
    "group": N_("Target group"),
    "rating": N_("Rating"),
    "load": N_("Open orders"),
    "recent_offers": N_("Offers this week"),
    "declines": N_("Declined or unanswered lately"),
}

WEEKDAYS = {
    "0": N_("Monday"),
    "1": N_("Tuesday"),
    "2": N_("Wednesday"),
    "3": N_("Thursday"),
    "4": N_("Friday"),
    "5": N_("Saturday"),
    "6": N_("Sunday"),
}

ROLES = {
    "member": N_("Member"),
    "provider": N_("Provider"),
    "operator": N_("Operator"),
    "curator": N_("Curator"),
}

NOTICE_KINDS = {
    "offer": N_("New request"),
    "hotline_order": N_("Ordered by the hotline"),
    "hotline_cancel": N_("Cancelled by the hotline"),
    "hotline_need": N_("Need posted by the hotline"),
    "login_failures": N_("Login attempts"),
    "password_reset": N_("Password reset"),
    "order_accepted": N_("Accepted"),
    "order_declined": N_("Declined"),
    "order_arranged": N_("Arrangements"),
    "order_delivered": N_("Please sign off"),
    "order_cancelled": N_("Cancelled"),
    "waitlist_promoted": N_("Off the waiting list"),
    "new_listing": N_("New on the menu"),
    "new_sessions": N_("New sessions"),
    "new_review": N_("New review"),
    "listing_rejected": N_("Listing not approved"),
    "listing_approved": N_("Listing approved"),
    "review_hidden": N_("Review hidden"),
    "dispute_resolved": N_("Dispute resolved"),
    "session_cancelled": N_("Session called off"),
    "offer_reminder": N_("Waiting for your answer"),
    "offer_expired": N_("Offer expired"),
    "order_escalated": N_("Needs the operators"),
    "need_expired": N_("Need expired"),
    "promotion_lapsed": N_("Seat not confirmed"),
    "waitlist_expired": N_("Waiting list closed"),
    "order_auto_received": N_("Signed off automatically"),
    "stuck_digest": N_("Daily digest"),
    "reminder_day_before": N_("Tomorrow"),
    "reminder_hour_before": N_("Starting soon"),
    "reminder_sign_off": N_("Please sign off"),
    "reminder_review": N_("Please review"),
    "draw_won": N_("Drawn: you got a seat"),
    "draw_waiting": N_("Drawn: on the waiting list"),
    "case_overdue": N_("Follow-up case overdue"),
}

# The audit trail's actions (services/audit.record calls, and the staff's order moves).
AUDIT_ACTIONS = {
    "create_quota": N_("quota set"),
    "delete_quota": N_("quota removed"),
    "set_draw": N_("draw set up"),
    "set_reserve": N_("priority reserve set"),
    "set_roles": N_("roles changed"),
    "reveal_phone": N_("phone number shown"),
    "confirm_groups": N_("groups confirmed"),
    "order_markets": N_("markets to order in changed"),
    "activate": N_("account reactivated"),
    "deactivate": N_("account deactivated"),
    "approve_listing": N_("listing approved"),
    "share_listing": N_("listing shared with the markets below (or no longer)"),
    "add_market": N_("market added below"),
    "reject_listing": N_("listing sent back"),
    "pause_listing": N_("listing paused"),
    "resume_listing": N_("listing published again"),
    "close_listing": N_("listing closed"),
    "archive_listing": N_("listing archived"),
    "create_batch": N_("batch created"),
    "create_category": N_("category created"),
    "update_category": N_("category changed"),
    "hide_review": N_("review hidden"),
    "show_review": N_("review shown again"),
    "file_need": N_("need filed in a category"),
    "contact_case": N_("member contacted"),
    "resolve_case": N_("follow-up case resolved"),
    "offer": N_("offered to a provider"),
    "reassign": N_("reassigned"),
    "resolve_received": N_("dispute resolved: received"),
    "resolve_cancelled": N_("dispute resolved: cancelled"),
    "cancel": N_("cancelled"),
    "no_show": N_("marked absent"),
    "create_station": N_("station recorded"),
    "update_station": N_("station changed"),
    "archive_station": N_("station closed"),
    "inspect_station": N_("station inspected"),
    "hotline_lookup": N_("record opened for a hotline call"),
    "hotline_order": N_("ordered for a member by the hotline"),
    "hotline_cancel": N_("cancelled for a member by the hotline"),
    "hotline_need": N_("need posted for a member by the hotline"),
}
AUDIT_TARGETS = {
    "user": N_("account"),
    "listing": N_("listing"),
    "batch": N_("batch"),
    "category": N_("category"),
    "review": N_("review"),
    "order": N_("order"),
    "follow_up_case": N_("follow-up case"),
    "station": N_("station"),
}

# 我的订单's tabs (web/pages/orders.py MEMBER_TABS, PROVIDER_TABS).
ORDER_TABS = {
    "waiting": N_("To be accepted"),
    "upcoming": N_("To be served"),
    "to_sign": N_("To sign off"),
    "to_review": N_("To review"),
    "done": N_("Done"),
    "all": N_("All"),
    "history": N_("History"),  # archived: finished orders older than ARCHIVE_AFTER_DAYS
}

# Short confirmations shown after a form succeeded (?ok=code on the page it leads to).
DONE = {
    "welcome": N_("Welcome! Your account is ready."),
    "hello": N_("You are logged in."),
    "bye": N_("You are logged out."),
    "visited": N_("Checked in. Have a good rest!"),
    "station_rated": N_("Thank you for rating the station."),
    "station_saved": N_("The station is saved."),
    "station_inspected": N_("The star review is recorded."),
    "call_logged": N_("The call is logged."),
    "call_ended": N_("The call is ended and logged."),
    "ordered_for_member": N_("Ordered for the member; they are told by a notice."),
    "cancelled_for_member": N_("Cancelled for the member; they are told by a notice."),
    "need_for_member": N_("The need is posted for the member; they are told by a notice."),
    "password_reset": N_("Your new password is set; every other login of the account has ended."),
    "ordered": N_("Ordered. We will tell you when the provider accepts."),
    "booked": N_("Booked: your seat is yours. We will remind you the day before and an hour before."),
    "waitlisted": N_("The session is full: you are on its waiting list. We will tell you if a seat comes free."),
    "need": N_("Your need is posted. We will look for a provider."),
    "receive": N_("Signed off. Thank you!"),
    "review": N_("Thank you for your review."),
    "reorder": N_("Ordered again."),
    "cancel": N_("The order is cancelled."),
    "dispute": N_("Your dispute is recorded; the union will look into it."),
    "accept": N_("Accepted."),
    "decline": N_("Declined."),
    "arrange": N_("Arrangements saved; the member is told."),
    "deliver": N_("Marked delivered."),
    "no_show": N_("Marked absent."),
    "reassign": N_("Offered to the provider."),
    "offer": N_("Offered to the provider."),
    "resolve_received": N_("The dispute is resolved."),
    "resolve_cancelled": N_("The dispute is resolved."),
    "confirm": N_("Confirmed. See you there!"),
    "relisted": N_("A new draft copy is ready: check it and submit it for the next batch."),
    "session_called_off": N_("The session is called off; its members are told."),
    "followed": N_("You follow this category now."),
    "unfollowed": N_("You no longer follow this category."),
    "saved": N_("Saved."),
    "created": N_("Created."),
    "submitted": N_("Submitted for approval."),
    "approved": N_("Approved and published."),
    "rejected": N_("Sent back to the provider."),
    "sessions": N_("Sessions added."),
    "paused": N_("Paused."),
    "resumed": N_("Published again."),
    "closed": N_("Closed."),
    "replied": N_("Reply posted."),
    "hidden": N_("The review is hidden."),
    "shown": N_("The review is shown again."),
    "attendance": N_("Attendance saved; the session is delivered."),
    "read": N_("All notices are marked read."),
    "roles": N_("Roles saved."),
    "groups": N_("Groups confirmed."),
    "markets": N_("Saved: the markets this member may order in."),
    "deleted": N_("Your account is deleted. Thank you for taking part."),
    "password": N_("Your password is changed; your other devices are logged out."),
    "session_ended": N_("That device is logged out."),
    "everywhere": N_("You are logged out on every device."),
    "deactivated": N_("The account is deactivated; it is logged out everywhere."),
    "activated": N_("The account is active again."),
    "filed": N_("Filed. The classifier learns from it."),
    "surveyed": N_("Thank you: your answers help the union improve its services."),
    "contacted": N_("Recorded: the member was contacted."),
    "resolved": N_("The case is resolved."),
    "checked_in": N_("Checked in."),
    "org_booked": N_("Booked: everyone on the roster has a seat and is told."),
    "org_swapped": N_("Swapped: the seat is the new person's, and both are told."),
    "org_created": N_("The organisation is added."),
    "org_changed": N_("Saved."),
    "picture_added": N_("Picture added."),
    "picture_removed": N_("Picture removed."),
    "bulk_approved": N_("The chosen listings are approved and published."),
    "registered": N_("You are registered for the draw. We will tell you the result after the draw."),
    "withdraw": N_("You have withdrawn from the draw."),
    "quota_deleted": N_("The quota is removed."),
    "reserve_set": N_("The priority groups of this session are saved."),
    "draw_set": N_("The draw is set up: registration opens at its time."),
}

CASE_STATES = {
    "open": N_("Open"),
    "contacted": N_("Contacted"),
    "resolved": N_("Resolved"),
}

# What came of a follow-up case (domain/satisfaction.CaseOutcome).
CASE_OUTCOMES = {
    "remedied": N_("Service made good"),
    "provider_improved": N_("Provider told to improve"),
    "explained": N_("Explained; the member accepted it"),
    "unreachable": N_("Member could not be reached"),
    "no_action": N_("Nothing to be done"),
}

FUNNEL = {
    "ordered": N_("Ordered"),
    "accepted": N_("Accepted"),
    "delivered": N_("Delivered"),
    "received": N_("Signed off"),
    "reviewed": N_("Reviewed"),
}

# Union stations (工会驿站): facilities and the parts of the published star rubric.
FACILITIES = {
    "hot_water": N_("Hot water"),
    "microwave": N_("Microwave"),
    "charging": N_("Phone charging"),
    "first_aid": N_("First-aid kit"),
    "toilet": N_("Toilet"),
    "books": N_("Book corner"),
    "air_conditioning": N_("Air conditioning"),
    "seats": N_("Seats to rest"),
    "wifi": N_("Wi-Fi"),
}
RUBRIC_PARTS = {
    "facilities": N_("Facilities"),
    "hours": N_("Opening hours"),
    "ratings": N_("Members' ratings"),
    "inspection": N_("Union inspection"),
}

# The hotline (12351): what a call was about and how it ended.
CALL_TOPICS = {
    "order": N_("Ordering a service"),
    "cancel": N_("Cancelling"),
    "need": N_("A need not on the menu"),
    "question": N_("A question"),
    "complaint": N_("A complaint"),
    "other": N_("Something else"),
}
CALL_OUTCOMES = {
    "open": N_("In progress"),
    "resolved": N_("Resolved"),
    "referred": N_("Referred elsewhere"),
    "follow_up": N_("Call back"),
}

# The order's thread and the member's answers to an arrangement (added together; kept apart from the
# tables above so that entries others add to them merge without a conflict).
ORDER_ACTIONS.update(
    {
        "agree_time": N_("Agree to this arrangement"),
        "propose_time": N_("Propose another time"),
        "accept_time": N_("Accept the proposed time"),
    }
)
EVENT_ACTIONS.update(
    {
        "agree_time": N_("the member agreed to the arrangement"),
        "propose_time": N_("the member proposed another time"),
        "accept_time": N_("the proposed time was accepted"),
    }
)
NOTICE_KINDS.update(
    {
        "order_message": N_("New message"),
        "time_agreed": N_("Arrangement agreed"),
        "time_proposed": N_("Another time proposed"),
        "time_accepted": N_("Proposed time accepted"),
    }
)
DONE.update(
    {
        "message": N_("Message sent; the other side is told."),
        "agree_time": N_("Agreed. The provider is told."),
        "propose_time": N_("Your proposal is sent; the provider will answer."),
        "accept_time": N_("The proposed time is now the agreed time; the member is told."),
    }
)

# Quick tags on a review (domain/review_tags.py), and the two groups the review form shows them in.
REVIEW_TAGS = {
    "on_time": N_("On time"),
    "patient": N_("Patient"),
    "professional": N_("Professional"),
    "clear": N_("Explains clearly"),
    "rewarding": N_("Learned a lot"),
    "late": N_("Late"),
    "rushed": N_("Rushed"),
    "unclear": N_("Hard to follow"),
    "not_as_described": N_("Not as described"),
    "unfriendly": N_("Unfriendly"),
}
REVIEW_TAG_GROUPS = {
    "positive": [t.value for t in POSITIVE],
    "negative": [t.value for t in NEGATIVE],
}
# A questionnaire import's states (services/surveys.py)
IMPORT_STATES = {
    "uploaded": N_("Uploaded"),
    "queued": N_("Waiting to run"),
    "running": N_("Importing"),
    "done": N_("Imported"),
}

# A respondent's preferred mode (domain/surveys.py)
SURVEY_MODES = {"online": N_("Online"), "offline": N_("In person"), "any": N_("Either")}
# 抽签: a draw's steps, an entry's outcome, the groups a reserve may be for (domain/lottery.py).
DRAW_STATES = {
    "upcoming": N_("Draw: registration not open yet"),
    "open": N_("Draw: registration open"),
    "closed": N_("Draw: registration closed, waiting for the draw"),
    "drawn": N_("Draw: drawn"),
}
DRAW_OUTCOMES = {"won": N_("got a seat"), "waiting": N_("waiting list"), "withdrawn": N_("withdrawn")}
PRIORITY_GROUPS = {
    "new_employment": N_("New-employment-form workers"),
    "hardship": N_("Members in hardship"),
    "first_time": N_("First-time members"),
}

# Group bookings (团体预约), quotas and draws (抽签): their notices and the audit trail's words.
NOTICE_KINDS.update(
    {
        "org_booked": N_("Group booking"),
        "org_swapped": N_("Group booking changed"),
        "gap_invitation": N_("Invitation to list a service"),
        "code_failures": N_("Verification code attempts"),
    }
)
AUDIT_ACTIONS.update(
    {
        "organisation_created": N_("organisation recorded"),
        "organisation_changed": N_("organisation changed"),
        "invite_providers": N_("providers invited to list"),
    }
)
AUDIT_TARGETS.update({"organisation": N_("organisation"), "quota": N_("quota"), "session": N_("session")})

# A provider giving back an accepted order (issue #13).
ORDER_ACTIONS.update({"provider_cancel": N_("Cancel: I cannot serve it")})
EVENT_ACTIONS.update({"provider_cancel": N_("cancelled by the provider")})
DONE.update({"provider_cancel": N_("The order is cancelled; the member is told.")})
# 免申即享 proactive offers (domain/campaigns.py): a campaign's states and kinds, an offer's states, their notices,
# the audit trail's words and the member's order event.
CAMPAIGN_STATES = {
    "draft": N_("Draft"),
    "running": N_("Offering"),
    "finished": N_("Finished"),
    "cancelled": N_("Cancelled"),
}
CAMPAIGN_KINDS = {"seats": N_("Seats of a session"), "benefit": N_("A benefit")}
OFFER_STATES = {
    "pending": N_("Waiting for your answer"),
    "accepted": N_("Took the place"),
    "declined": N_("Turned down"),
    "expired": N_("No answer in time"),
    "passed": N_("Passed on"),
    "withdrawn": N_("Withdrawn"),
}
CAMPAIGN_ACTIONS = {"start": N_("start"), "finish": N_("finish"), "cancel": N_("cancel")}
NOTICE_KINDS.update(
    {
        "campaign_offer": N_("Offered to you"),
        "campaign_withdrawn": N_("Offer withdrawn"),
        "campaign_expired": N_("Offer passed on"),
    }
)
AUDIT_ACTIONS.update(
    {
        "create_campaign": N_("campaign created"),
        "start_campaign": N_("campaign started: places reserved and offered"),
        "cancel_campaign": N_("campaign cancelled"),
    }
)
AUDIT_TARGETS.update({"campaign": N_("campaign")})
EVENT_ACTIONS.update({"take_offered_place": N_("took a place offered without applying")})
DONE.update(
    {
        "campaign_created": N_("The campaign is saved as a draft. Start it to reserve the places and offer them."),
        "campaign_started": N_("Started: the places are reserved and the first members are told."),
        "campaign_cancelled": N_("Cancelled: open offers are withdrawn and unaccepted places released."),
        "offer_accepted": N_("The place is yours."),
        "offer_declined": N_("Declined: the place goes to the next member."),
        "offer_passed": N_("You already hold an order of this session, so the place went to the next member."),
    }
)

# The real-name roster (实名制, services/roster.py): its notices and the audit trail's words.
NOTICE_KINDS.update(
    {
        "verified": N_("Membership verified"),
        "verification_declined": N_("Verification declined"),
    }
)
AUDIT_ACTIONS.update(
    {
        "upload_roster": N_("roster uploaded"),
        "map_roster": N_("roster mapping saved"),
        "start_roster": N_("roster import started"),
        "approve_verification": N_("verification approved"),
        "decline_verification": N_("verification declined"),
        "verified_only": N_("verified members only set"),
    }
)
AUDIT_TARGETS.update({"roster_import": N_("roster import"), "market": N_("market")})
# Needs questionnaires (需求调研, services/surveys.py) go through the same import steps as the roster.
AUDIT_ACTIONS.update(
    {
        "upload_survey": N_("questionnaire uploaded"),
        "map_survey": N_("questionnaire mapping saved"),
        "start_survey": N_("questionnaire import started"),
    }
)
AUDIT_TARGETS.update({"survey_import": N_("questionnaire import")})
DONE.update(
    {
        "verification_approved": N_("Approved: the member is verified and told."),
        "verification_declined": N_("Declined: the member is told why."),
        "verification_asked": N_("Your request is sent: the union will check it against its roster."),
        "roster_settings": N_("Setting saved."),
    }
)

# Station keepers (站长) and station photos (issue #16, item 1).
ROLES["keeper"] = N_("Station keeper")
AUDIT_ACTIONS.update(
    {
        "assign_keeper": N_("station keeper added"),
        "remove_keeper": N_("station keeper removed"),
        "station_notice": N_("station notice or closure changed"),
    }
)
DONE.update(
    {
        "keeper_saved": N_("The station is saved; its page shows the change now."),
        "keeper_added": N_("The keeper is added: they find the station under My stations."),
        "keeper_removed": N_("The keeper is removed."),
        "photo_added": N_("Photo added."),
        "photo_removed": N_("Photo removed."),
        "photo_moved": N_("Photo moved."),
    }
)

# Imported questionnaire answers filed from the review queue (issue #14, item 2).
AUDIT_ACTIONS.update({"file_survey_answer": N_("questionnaire answer filed in a category")})
AUDIT_TARGETS.update({"survey_need": N_("questionnaire answer")})
