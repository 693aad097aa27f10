from datetime import datetime

from .common import Out


class NotificationOut(Out):
    id: int
    kind: str
    title: str
    body: str
    data: dict
    read: bool
    created_at: datetime
