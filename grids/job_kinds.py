"""The register's work done in the background (governance.jobs): the import of a file and the
export of the households a list shows. Each runner takes the job's owner and parameters as
they were sent, checks the owner's roles again (they may have changed while it waited), and
reports its progress."""

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.errors import Refused
from governance.jobs import JobFailed, Outcome, register_kind
from governance.roles import REGISTER_IMPORTERS
from governance.scoping import scope_for
from grids.filters import HouseholdFilter
from grids.idconflicts import id_refusals_kept
from grids.register import RegisterImportError, register_export, register_import
from grids.selectors import households_for_register_export, households_visible_to, may_reveal_id_numbers

IMPORT = "register_import"
EXPORT = "register_export"
# A job is not hurried by a worker's timeout: reading a 50 000-row file may take its time.
JOB_READ_SECONDS = 3600


def may_fetch_import(job) -> bool:
    """The uploaded file (every resident's full ID number) is its importer's while they import."""
    return scope_for(job.owner).has_any_role(REGISTER_IMPORTERS)


def may_fetch_export(job) -> bool:
    """The file is the owner's while their roles still read the register, in full only while
    one of them may reveal ID numbers."""
    if job.parameters.get("reveal"):
        return may_reveal_id_numbers(job.owner)
    return scope_for(job.owner).reads_people


@register_kind(
    IMPORT,
    label=gettext_lazy("Import of the household register"),
    result_template="grids/jobs/register_import_result.html",
    again_url="grids:register-import",
    may_fetch=may_fetch_import,
)
def run_register_import(job, progress) -> Outcome:
    """All rows or none, as on the page; a refused file fails the job with every error."""
    scope = scope_for(job.owner)
    if not scope.has_any_role(REGISTER_IMPORTERS):
        raise JobFailed(_("Only a village cadre may import the household register."))
    village_ids = None if scope.is_superuser else scope.ids_for(REGISTER_IMPORTERS)
    try:
        with job.input_file.open("rb") as file, id_refusals_kept():
            result = register_import(
                user=job.owner, file=file, village_ids=village_ids, read_seconds=JOB_READ_SECONDS, progress=progress
            )
    except RegisterImportError as refused:
        raise JobFailed(refused.as_dict()["detail"], errors=[e.as_dict() for e in refused.errors]) from None
    return Outcome(result=result.as_dict())


@register_kind(
    EXPORT,
    label=gettext_lazy("Export of the household register"),
    again_url="grids:household-list",
    may_fetch=may_fetch_export,
)
def run_register_export(job, progress) -> Outcome:
    """The households the owner sees, narrowed by the list's (or the API's) filters; full ID
    numbers only when asked for and the owner's role still allows it."""
    owner = job.owner
    reveal = bool(job.parameters.get("reveal"))
    if reveal and not may_reveal_id_numbers(owner):
        raise JobFailed(_("Only village cadres and township staff may export full ID numbers."))
    query = QueryDict(job.parameters.get("query", ""))
    if job.parameters.get("via") == "api":
        households = HouseholdFilter(query, queryset=households_visible_to(owner)).qs
    else:
        from grids.views import filtered_households_for  # the list's own filters, as the page reads them

        _form, _filters, households = filtered_households_for(owner, query)
    households = households_for_register_export(owner, households, reveal=reveal)
    try:
        data = register_export(user=owner, households=households, reveal=reveal, progress=progress)
    except Refused as refusal:  # more people than a sheet holds
        raise JobFailed(refusal.message) from None
    stamp = f"{timezone.localdate():%Y%m%d}"
    name = f"户籍台账-{stamp}-完整身份证号.xlsx" if reveal else f"户籍台账-{stamp}.xlsx"
    return Outcome(file=data, filename=name)
