"""Dates and times as the pages write them, '7 Dec 2026' and '7 Dec 2026 12:58' (24-hour), also in admin and
wherever Django formats a date-time by default: Django's en-GB default ('7 Dec 2026, 12:58 p.m.', '1 p.m.') put
a second style beside the pages' own. Input formats stay Django's."""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATETIME_FORMAT = "j M Y H:i"
