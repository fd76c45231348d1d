"""The changes the matters' catalogues and settings keep (governance.history): categories, time
limits, the clocks' limits, the working-day calendar, a village's matter settings."""

from governance.history import keep_history
from governance.scoping import scope_for
from grids.models import Village
from petitions.models import CalendarDay, ClockLimit, MatterCategory, TimeLimit, VillageMatterSettings


def _district(model):
    """The district's catalogues: every member of staff reads their history."""

    def readable(user):
        scope = scope_for(user)
        return model.objects.all() if scope.is_superuser or scope.roles else model.objects.none()

    return readable


def _village_settings(user):
    villages = scope_for(user).filter_places(Village.objects.all(), "village")
    return VillageMatterSettings.objects.filter(village__in=villages)


keep_history(MatterCategory, kind="matter-category", readable=_district(MatterCategory))
keep_history(TimeLimit, kind="time-limit", readable=_district(TimeLimit))
keep_history(ClockLimit, kind="clock-limit", readable=_district(ClockLimit))
keep_history(CalendarDay, kind="calendar-day", readable=_district(CalendarDay))
keep_history(VillageMatterSettings, kind="matter-settings", readable=_village_settings)
