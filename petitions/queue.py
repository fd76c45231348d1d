"""The matters waiting for a person, kept in the cache until a matter of theirs changes.

Every page's menu counts the matters waiting for its user and the home lists the first. The
query behind them (a long OR of who may take which step) costs PostgreSQL some 25-30 ms to plan
and 5 to run at district scale, on every page. So the ids are cached under a key made of the
user, their scope (roles and places: a post given or ended changes the key) and generations:
one per township the user works in, one for the whole district and one for the user. Every
write to a matter bumps its township's generation at once and again when its transaction
commits (and its handler's, who may work elsewhere by now); a write to a
record of a matter (event, deliberation, extension request, review) bumps the township of the
matter it holds, or the district's when the matter is not at hand; a grant bumps the grantee's;
any other write in petitions (a village's matter settings, a category's decision rule: who
takes a step) bumps the district's. Writes that bypass save() call `queue_changed` themselves.
The next page then reads the queue afresh. Nothing in the queue depends on the clock, so the
cache is exact; QUEUE_TTL bounds what a lost Redis (each process then has its own memory)
could leave stale.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from governance.generations import bump, cached

QUEUE_TTL = 60  # seconds
DISTRICT = "matters:all"


def township_generation(township_id) -> str:
    """The generation of a township's matters (governance.generations), which boards read too."""
    return f"matters:t{township_id}"


def user_generation(user_id) -> str:
    """The generation of the matters a user handles or was granted beyond their places."""
    return f"matters:u{user_id}"


def queue_changed(*, township_ids=(), user_ids=(), everywhere: bool = False) -> None:
    """Matters of these townships (or of these users' grants, or anywhere) changed: queues read
    from now on are read afresh."""
    names = {township_generation(t) for t in township_ids if t} | {user_generation(u) for u in user_ids if u}
    if everywhere:
        names.add(DISTRICT)
    bump(*names)


def cached_queue(user, scope, compute) -> list[int]:
    """The user's waiting ids from the cache, or `compute()` stored there."""
    townships = sorted(scope.township_ids)
    names = [DISTRICT, user_generation(user.pk), *(township_generation(t) for t in townships)]
    places = sorted((role, sorted(ids)) for role, ids in scope.by_role.items())
    return cached(f"matters-queue:{user.pk}", names, (places, townships), compute, timeout=QUEUE_TTL)


@receiver(post_save, dispatch_uid="petitions.queue.saved")
@receiver(post_delete, dispatch_uid="petitions.queue.deleted")
def _matter_written(sender, instance, **kwargs):
    meta = sender._meta
    if meta.app_label != "petitions":
        return
    if meta.model_name == "matter":
        # Its handler too: one whose post moved to another township still handles it (a
        # matter beyond their places), and their key holds no generation of its township.
        queue_changed(township_ids=[instance.township_id], user_ids=[instance.handler_id])
        return
    if not hasattr(instance, "matter_id") and not hasattr(instance, "content_object_id"):
        # A village's matter settings or a category's decision rule say who takes a step;
        # catalogues and the compact change seldom: every queue is read afresh.
        queue_changed(everywhere=True)
        return
    matter = instance._state.fields_cache.get("matter") or instance._state.fields_cache.get("content_object")
    queue_changed(
        township_ids=[matter.township_id] if matter is not None else [],
        user_ids=[getattr(instance, "user_id", None)],
        everywhere=matter is None,
    )
