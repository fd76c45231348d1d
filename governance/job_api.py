"""The background jobs in the API: GET /api/v1/jobs/{id}/ (state, progress, result) and
GET /api/v1/jobs/{id}/result/ (the file it wrote). A job is its owner's alone: 404 for
anyone else. `accepted(request, job)` is the 202 an endpoint answers when the caller sent
`Prefer: respond-async` and its work became a job."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.files import private_file_response
from governance.jobs import PHASES, job_files_allowed, job_files_for, job_for
from governance.models import Job
from governance.xlsx import XLSX

# The schema's 429 of an endpoint that may answer with a job.
TOO_MANY_JOBS = OpenApiResponse(
    description="With respond-async: the caller has JOB_OPEN_PER_USER jobs queued or running already "
    "(code too_many_jobs); try again once one is done."
)


def wants_async(request) -> bool:
    """The caller asked for the work to be done in the background (RFC 7240's respond-async)."""
    prefer = request.headers.get("Prefer", "")
    return any(part.strip().lower() == "respond-async" for chunk in prefer.split(",") for part in chunk.split(";"))


class JobErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()
    code = serializers.CharField()


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    kind = serializers.CharField()
    # Plain text, not an enum: another "state" enum (the matter's) keeps its schema name.
    state = serializers.CharField(help_text="queued, running, done or failed")
    phase = serializers.CharField(help_text="reading, checking, writing, exporting, counting, or empty")
    phase_label = serializers.CharField()
    done = serializers.IntegerField()
    total = serializers.IntegerField(help_text="0 while not known")
    result = serializers.DictField(help_text="the counts of a done import")
    result_url = serializers.CharField(allow_null=True, help_text="the file of a done export")
    error = serializers.CharField(help_text="why a failed job failed (nothing was written)")
    errors = JobErrorSerializer(many=True, help_text="a refused import's errors, by row and column")
    page_url = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


def job_body(request, job) -> dict:
    return JobSerializer(
        {
            "id": job.pk,
            "url": request.build_absolute_uri(reverse("job-detail", args=[job.pk])),
            "kind": job.kind,
            "state": job.state,
            "phase": job.phase,
            "phase_label": str(PHASES.get(job.phase, "")),
            "done": job.done,
            "total": job.total,
            "result": job.result,
            "result_url": request.build_absolute_uri(reverse("job-result", args=[job.pk]))
            if job.result_file and job_files_allowed(job)
            else None,
            "error": job.error,
            "errors": job.errors,
            "page_url": request.build_absolute_uri(reverse("governance:job-detail", args=[job.pk])),
            "created_at": job.created_at,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
        }
    ).data


def accepted(request, job) -> Response:
    """202 Accepted: the job's URL in `Location` and its state in the body (already done when
    tasks run in-process, under `make run`)."""
    job.refresh_from_db()
    body = job_body(request, job)
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class JobView(APIView):
    """A background job of the caller's: its state, progress (`done` of `total` rows), and once
    done its result (counts, or `result_url` for a file) or, failed, its errors by row and column."""

    queryset = Job.objects.none()  # for the schema and the scope matrix; `job_for` reads

    @extend_schema(responses=JobSerializer)
    def get(self, request, pk: int):
        return Response(job_body(request, job_for(request.user, pk)))


class JobResultView(APIView):
    """The file a done job wrote (an .xlsx); 404 before it is done or for another's job."""

    queryset = Job.objects.none()

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        job = job_files_for(request.user, pk)
        response = private_file_response(job.result_file, content_type=XLSX, filename=job.result_name or "result.xlsx")
        response["Cache-Control"] = "no-store, private"
        return response
