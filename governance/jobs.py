"""Long work in the background: a register import, a district export, a monthly report file.

A page or an API call saves a `Job` row (and its uploaded file) first and queues the Celery
task after commit (`job_submit`); if Redis is down the row stays queued and the beat sweep
(`jobs_sweep`) queues it again, so nothing the user sent is lost. The task (`job_run`) claims
the row (queued → running in one guarded UPDATE: a second worker or a retry finds nothing to
claim), runs the kind's runner, writes its progress as it goes (each write its own short
statement, outside any transaction the runner opens, so the job's page sees it) and stores
the result: counts, a file, or the error with its rows.

The domain apps register their kinds here (`<app>/job_kinds.py`, found at start-up by
governance.apps): governance knows no import or export, only kind → runner.
"""

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.errors import Conflict
from governance.locks import serialise
from governance.models import Job, JobState

logger = logging.getLogger(__name__)

# Progress is written at most once per this many rows (and at each change of phase).
PROGRESS_EVERY = 500


@dataclass
class Outcome:
    """What a runner hands back: counts to show, and a file to download (or none)."""

    result: dict = field(default_factory=dict)
    file: bytes | None = None
    filename: str = ""


class JobFailed(Exception):
    """The work was refused (nothing was written): a message, and for a file, every error
    by row and column ([{row, column, message, code}])."""

    def __init__(self, message, errors: list[dict] | None = None):
        super().__init__(str(message))
        self.message = message
        self.errors = errors or []


@dataclass(frozen=True)
class JobKind:
    name: str
    label: object  # a lazy translation: the job's title on its page and in the list
    run: Callable[[Job, "Progress"], Outcome]
    # The template (`{% include %}`) showing a done job's `result`, beside the download link.
    result_template: str = ""
    # Where to start another of the kind (a URL name), or "".
    again_url: str = ""
    # Whether the job's owner may still have its files (the upload, the result): a file kept
    # for days may hold what the role that made it allowed (full ID numbers), not the owner.
    may_fetch: Callable[[Job], bool] | None = None


KINDS: dict[str, JobKind] = {}

PHASES = {
    "reading": gettext_lazy("Reading the file"),
    "checking": gettext_lazy("Checking every row"),
    "writing": gettext_lazy("Writing to the register"),
    "exporting": gettext_lazy("Writing the file"),
    "counting": gettext_lazy("Counting the figures"),
}


class TooManyJobs(Conflict):
    """The user has JOB_OPEN_PER_USER jobs queued or running already (429)."""

    status = 429
    code = "too_many_jobs"


def register_kind(name: str, *, label, result_template: str = "", again_url: str = "", may_fetch=None):
    """Decorator: `run(job, progress) -> Outcome` is how jobs of `name` are done; `may_fetch(job)`
    whether its owner may still download its files (always, when not given)."""

    def decorate(run):
        KINDS[name] = JobKind(name, label, run, result_template, again_url, may_fetch)
        return run

    return decorate


def kind_of(job: Job) -> JobKind | None:
    return KINDS.get(job.kind)


class Progress:
    """Called by a runner as it goes: `progress(done, total, phase=...)`.

    Writes the row's progress (and its heartbeat, which tells the sweep the worker lives) at
    most once every PROGRESS_EVERY rows or on a new phase. Each write is one UPDATE in
    autocommit, seen at once by the job's page; a runner calls it only outside the
    transaction in which it writes (the import checks every row first, then writes in one go).
    """

    def __init__(self, job: Job, every: int | None = None):
        self.job, self.every = job, every or PROGRESS_EVERY
        self.written = (None, -self.every, None)

    def __call__(self, done: int, total: int = 0, *, phase: str = "") -> None:
        last_done, last_phase = self.written[1], self.written[0]
        if phase == last_phase and done - last_done < self.every and not (total and done >= total):
            return
        if (phase, done, total) == self.written:
            return
        self.written = (phase, done, total)
        self.job.done, self.job.total, self.job.phase = done, total, phase
        Job.objects.filter(pk=self.job.pk, state=JobState.RUNNING).update(
            done=min(done, total) if total else done, total=total, phase=phase, heartbeat_at=timezone.now()
        )


def job_submit(*, owner, kind: str, parameters: dict | None = None, upload=None) -> Job:
    """Save a job (and its uploaded file) and queue its task once this transaction commits.

    The owner's language is kept with the parameters: the worker answers in it. If the
    broker cannot take the task, the job stays queued for the sweep (`jobs_sweep`). TooManyJobs
    when the owner has JOB_OPEN_PER_USER jobs not yet done (pages: `job_refused`).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    parameters = {"language": translation.get_language() or settings.LANGUAGE_CODE, **(parameters or {})}
    with transaction.atomic():
        # Counted and saved under the owner's lock: two submits at once cannot both pass the cap.
        serialise(f"jobs:{owner.pk}")
        if Job.objects.filter(owner=owner, state__in=[JobState.QUEUED, JobState.RUNNING]).count() >= (
            settings.JOB_OPEN_PER_USER
        ):
            raise TooManyJobs(
                _("You have work still being done in the background; wait until it is done, then try again.")
            )
        job = Job(kind=kind, owner=owner, parameters=parameters)
        if upload is not None:
            job.input_name = str(getattr(upload, "name", "") or "upload")[-200:]
            upload.seek(0)
            job.input_file.save(job.input_name, upload, save=False)
        job.save()
    transaction.on_commit(lambda: job_enqueue(job.pk))
    return job


def job_enqueue(job_id: int) -> bool:
    """Queue the job's task now; False (and the job stays queued) when the broker is down."""
    from governance.tasks import run_job  # the task module imports this one

    try:
        run_job.apply_async(args=[job_id], retry=False)
    except Exception:  # Redis down or unreachable: the sweep queues it again
        logger.warning("could not queue job %s; the sweep will retry", job_id, exc_info=True)
        return False
    return True


def job_run(job_id: int) -> str:
    """Claim the job and do it; what happened, in a word ("done", "failed", "not claimed")."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1, done=0, phase=""
    )
    if not claimed:
        return "not claimed"
    job = Job.objects.get(pk=job_id)
    kind = kind_of(job)
    with translation.override(job.parameters.get("language") or settings.LANGUAGE_CODE):
        if kind is None:
            return _finish(job, JobState.FAILED, error=_("This kind of work is no longer done here."))
        if not job.owner.is_active:  # switched off while the job waited: nothing is done for it
            return _finish(job, JobState.FAILED, error=_("The account that sent this work is no longer active."))
        try:
            outcome = kind.run(job, Progress(job))
        except JobFailed as failure:
            return _finish(job, JobState.FAILED, error=str(failure.message), errors=failure.errors)
        except Exception:
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            message = _("Something went wrong while doing this; nothing was changed. Try again later.")
            return _finish(job, JobState.FAILED, error=message)
    return _finish(job, JobState.DONE, outcome=outcome)


def _finish(job: Job, state: str, *, outcome: Outcome | None = None, error: str = "", errors=None) -> str:
    changes = {"state": state, "finished_at": timezone.now(), "error": error, "errors": errors or []}
    if outcome is not None:
        changes["result"] = outcome.result
        if outcome.file is not None:
            job.result_name = outcome.filename[:200]
            job.result_file.save(outcome.filename, ContentFile(outcome.file), save=False)
            changes.update(result_file=job.result_file.name, result_name=job.result_name)
    if state == JobState.DONE and job.total:
        changes["done"] = job.total
    # Only the attempt that claimed it finishes it (a stale one the sweep gave to another
    # worker finds its row changed and writes nothing).
    Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts).update(**changes)
    return state


def jobs_sweep(
    *, queued_after: datetime.timedelta | None = None, stale_after: datetime.timedelta | None = None
) -> dict:
    """Queue again the jobs left queued (the broker was down when they were sent), and deal
    with the running jobs whose worker died (no progress for `stale_after`): each is tried
    once more (JOB_MAX_ATTEMPTS in all), then marked failed. Both are safe to repeat: a job
    runs only when its worker claims it, and an import writes all of its rows or none."""
    now = timezone.now()
    queued_after = queued_after or datetime.timedelta(seconds=settings.JOB_REQUEUE_SECONDS)
    stale_after = stale_after or datetime.timedelta(seconds=settings.JOB_STALE_SECONDS)
    retried, failed = [], 0
    stale = Job.objects.filter(state=JobState.RUNNING).filter(
        Q(heartbeat_at__lt=now - stale_after) | Q(heartbeat_at__isnull=True, started_at__lt=now - stale_after)
    )
    for job in stale.only("pk", "attempts", "heartbeat_at", "parameters"):
        guarded = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts)
        if job.attempts < settings.JOB_MAX_ATTEMPTS:
            if guarded.update(state=JobState.QUEUED, phase="", done=0):
                retried.append(job.pk)
        else:
            with translation.override(job.parameters.get("language") or settings.LANGUAGE_CODE):
                message = _("The work stopped before it was done (the server was restarted); nothing was changed.")
            failed += guarded.update(state=JobState.FAILED, finished_at=now, error=message)
    waiting = list(
        Job.objects.filter(state=JobState.QUEUED, created_at__lt=now - queued_after).values_list("pk", flat=True)
    )
    queued = sum(job_enqueue(pk) for pk in sorted({*waiting, *retried}))
    return {"queued": queued, "retried": len(retried), "failed": failed}


def jobs_prune(*, older_than: datetime.timedelta | None = None) -> int:
    """Delete the jobs finished more than JOB_KEEP_DAYS ago, and their files: an uploaded
    register and a full export hold ID numbers, kept no longer than someone may want them."""
    cutoff = timezone.now() - (older_than or datetime.timedelta(days=settings.JOB_KEEP_DAYS))
    old = Job.objects.filter(state__in=[JobState.DONE, JobState.FAILED], finished_at__lt=cutoff)
    count = 0
    for job in old.only("pk", "input_file", "result_file").iterator():
        for stored in (job.input_file, job.result_file):
            if stored:
                stored.delete(save=False)
        count += Job.objects.filter(pk=job.pk).delete()[0]
    return count


def job_refused(request, refusal: TooManyJobs):
    """What a page does when job_submit refused: says why, and shows the user's jobs."""
    from django.contrib import messages
    from django.shortcuts import redirect

    messages.error(request, str(refusal.message))
    return redirect("governance:job-list")


def jobs_of(user):
    """The user's own jobs, newest first (nobody sees another's: not even the superuser)."""
    return Job.objects.filter(owner=user).order_by("-created_at", "-id")


def job_for(user, pk: int) -> Job:
    """The user's job, or a 404 exactly like one that does not exist."""
    return get_object_or_404(jobs_of(user), pk=pk)


def job_files_for(user, pk: int) -> Job:
    """The user's job whose files they may still have (its kind's `may_fetch`, asked now: the
    role that made the file may have ended since), or a 404."""
    job = job_for(user, pk)
    if not job_files_allowed(job):
        raise Http404
    return job


def job_files_allowed(job: Job) -> bool:
    """Whether the job's owner may have its files now (the kind's `may_fetch`)."""
    kind = kind_of(job)
    return kind is None or kind.may_fetch is None or kind.may_fetch(job)
