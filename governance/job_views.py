"""The background jobs' pages: /jobs/ (one's recent jobs), /jobs/<id>/ (progress, then the
result), and the job's files. Every job is its owner's alone: anyone else gets a 404, as if
it did not exist."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from governance.files import private_file_response
from governance.jobs import PHASES, job_files_allowed, job_files_for, job_for, jobs_of, kind_of
from governance.models import JobState
from governance.xlsx import XLSX

# Jobs shown on /jobs/: the recent ones (files are kept, the list need not be).
JOBS_LISTED = 30
# Errors listed on the page (the API gives them all).
ERRORS_SHOWN = 1000
# How often the job's page asks for its progress, in seconds.
POLL_SECONDS = 2


def job_context(job) -> dict:
    kind = kind_of(job)
    return {
        "job": job,
        "kind": kind,
        "label": kind.label if kind else job.kind,
        "phase": PHASES.get(job.phase, ""),
        "polling": job.state in (JobState.QUEUED, JobState.RUNNING),
        "poll_seconds": POLL_SECONDS,
        "errors": job.errors[:ERRORS_SHOWN],
        "error_count": len(job.errors),
    }


@login_required
def job_detail(request, pk: int):
    """The job's progress (refreshed by htmx every few seconds while it runs), then its result."""
    job = job_for(request.user, pk)
    context = {**job_context(job), "files": job_files_allowed(job)}
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        response = render(request, "governance/jobs/_status.html", context)
    else:
        response = render(request, "governance/jobs/detail.html", context)
    # The progress changes from one second to the next; the fragment and the page share an address.
    add_never_cache_headers(response)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def job_list(request):
    jobs = list(jobs_of(request.user)[:JOBS_LISTED])
    rows = [job_context(job) for job in jobs]
    return render(request, "governance/jobs/list.html", {"rows": rows})


def _job_file(request, pk: int, which: str, default_name: str):
    """One of the job's files (`which`: "result" or "input") for its owner, kept by no cache:
    an export may hold full ID numbers."""
    job = job_files_for(request.user, pk)
    name = getattr(job, f"{which}_name") or default_name
    response = private_file_response(getattr(job, f"{which}_file"), content_type=XLSX, filename=name)
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
def job_result(request, pk: int):
    """The file the job wrote."""
    return _job_file(request, pk, "result", "result.xlsx")


@login_required
def job_input(request, pk: int):
    """The file the owner sent (to correct it and send it again)."""
    return _job_file(request, pk, "input", "upload.xlsx")
