"""An order as a calendar event (.ics): the member adds the session to their phone's calendar."""

from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event

from ..domain.service_time import ServiceTime
from ..schemas.orders import OrderOut


def order_event(order: OrderOut, when: ServiceTime, host: str, now: datetime, description: str) -> bytes:
    """One VEVENT with the service's time, place or link, and a reminder an hour before (RFC 5545);
    `description` in the reader's language (the page puts it into words)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Cloud Market//云集市//ZH")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"order-{order.id}@{host}")  # the same order, the same event: adding it twice updates it
    event.add("dtstamp", now)
    event.add("dtstart", when.starts_at)
    event.add("dtend", when.ends_at or when.starts_at + timedelta(hours=1))
    event.add("summary", order.title)
    place = order.arrangement.get("place") or (order.listing.location if order.listing else "")
    if place:
        event.add("location", place)
    link = order.arrangement.get("link")
    if link:
        event.add("url", link)
    event.add("description", description + (f"\n{link}" if link else ""))
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", order.title)
    alarm.add("trigger", timedelta(hours=-1))
    event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical()
