"""The project's own work done in the background (governance.jobs): the monthly report's
Excel file. It reads every app (as governance.reports does), so it is a project file."""

import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.jobs import JobFailed, Outcome, register_kind
from governance.reports import report_export, report_filename, report_for

REPORT_JOB = "monthly_report"


@register_kind(REPORT_JOB, label=gettext_lazy("Monthly report (月报) as Excel"))
def run_monthly_report(job, progress) -> Outcome:
    """The report of the place and month asked for, if the owner may still read it."""
    from governance.report_views import place_for  # the pages' rule of who reads which report

    parameters = job.parameters
    try:
        place = place_for(job.owner, village_id=parameters.get("village"), township_id=parameters.get("township"))
    except (Http404, PermissionDenied):
        raise JobFailed(_("You may no longer read this report.")) from None
    month = datetime.date.fromisoformat(f"{parameters['month']}-01")
    progress(0, phase="counting")
    data, _stored = report_for(place, month)
    return Outcome(file=report_export(data), filename=report_filename(place, month))
