from datetime import timedelta

from django import template

from appeals import clocks

register = template.Library()


@register.filter
def time_left(left: timedelta | None) -> str:
    """'2d 4h left', '5h 10m left' or 'overdue 3h': coarse, to read at a glance."""
    if left is None:
        return ""
    seconds = int(left.total_seconds())
    overdue = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = f"{days}d {hours}h"
    elif hours:
        text = f"{hours}h {minutes}m"
    else:
        text = f"{minutes}m"
    return f"overdue {text}" if overdue else f"{text} left"


@register.filter
def plan_time(moment) -> str:
    """The moment in the plan's time zone, which is what deadlines are stated in."""
    if moment is None:
        return ""
    local = moment.astimezone(clocks.plan_zone())
    return local.strftime("%a %d %b %Y %H:%M %Z")


@register.filter
def plan_date(moment) -> str:
    if moment is None:
        return ""
    return (
        moment.astimezone(clocks.plan_zone()).strftime("%B %d, %Y").replace(" 0", " ")
    )


@register.filter
def label(value: str) -> str:
    return value.replace("_", " ")
