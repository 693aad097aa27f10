"""What the pages call the domain's states, shapes, groups and roles, marked for the catalogue."""

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
    "login_failures": N_("Login attempts"),
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
    "activate": N_("account reactivated"),
    "deactivate": N_("account deactivated"),
    "approve_listing": N_("listing approved"),
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
}
AUDIT_TARGETS = {
    "user": N_("account"),
    "listing": N_("listing"),
    "batch": N_("batch"),
    "category": N_("category"),
    "review": N_("review"),
    "order": N_("order"),
    "follow_up_case": N_("follow-up case"),
}

# 我的订单's tabs (web/pages/orders.py MEMBER_TABS, PROVIDER_TABS).
ORDER_TABS = {
    "waiting": N_("To be accepted"),
    "upcoming": N_("To be served"),
    "to_sign": N_("To sign off"),
    "to_review": N_("To review"),
    "done": N_("Done"),
    "all": N_("All"),
}

# Short confirmations shown after a form succeeded (?ok=code on the page it leads to).
DONE = {
    "welcome": N_("Welcome! Your account is ready."),
    "hello": N_("You are logged in."),
    "bye": N_("You are logged out."),
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
    "registered": N_("You are registered for the draw. We will tell you the result after the draw."),
    "withdraw": N_("You have withdrawn from the draw."),
    "quota_deleted": N_("The quota is removed."),
}

CASE_STATES = {
    "open": N_("Open"),
    "contacted": N_("Contacted"),
    "resolved": N_("Resolved"),
}

FUNNEL = {
    "ordered": N_("Ordered"),
    "accepted": N_("Accepted"),
    "delivered": N_("Delivered"),
    "received": N_("Signed off"),
    "reviewed": N_("Reviewed"),
}

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
