"""The points bank's public page, /public/points/<village code>/: no login.

What a resident may see of the points bank, and nothing more: the entries proposed for
households during their objection window (公示), the published 道德红黑榜 (the black list
only where the village has turned its publication on), the rules catalogue and the
shop's goods. Households are named by their head's initials only, never by name, ID
number or phone number (points.selectors.public_notice and board_public build the rows).

Item photos are public here, served through `item_photo` (active goods of this village
only), never as files under MEDIA: they show goods, are re-encoded without EXIF or
location by points.services, and the shop's form tells the clerk never to photograph
people. Evidence photos of proposals are personal data and never public.
"""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from governance.files import jpeg_response
from governance.security import public_cache
from grids.models import Village
from grids.selectors import public_grid_names

# The public intake's one-time form token and per-address throttle, reused (not copied).
from petitions.public_views import send_public_form
from points import services
from points.forms import ObjectionRefForm, PublicObjectionForm, normalize_ref
from points.models import Award, AwardStatus, Board, BoardStatus, Category, Item, Rule
from points.policy import PointsStateError
from points.selectors import board_public, points_settings, public_notice


def _village(code: str) -> Village:
    return get_object_or_404(Village.objects.select_related("township"), code=code)


def _page(request, village, board: Board | None):
    now = timezone.now()
    boards = list(
        Board.objects.filter(village=village, status=BoardStatus.PUBLISHED)
        .order_by("-year", "-quarter")
        .only("pk", "year", "quarter")[:12]
    )
    if board is None and boards:
        board = Board.objects.select_related("village").get(pk=boards[0].pk)
    settings = points_settings(village.pk)
    grids = public_grid_names(village.pk)  # one query for the 公示 and the board
    rules = list(Rule.objects.filter(village=village, is_active=True).order_by("order", "id"))
    categories = list(Category.values)
    rules.sort(key=lambda rule: categories.index(rule.category) if rule.category in categories else 99)
    context = {
        "village": village,
        "notice": public_notice(village, now=now, grids=grids),
        "board": board_public(board, settings, grids) if board is not None else None,
        "board_id": board.pk if board is not None else None,
        "boards": boards,
        "earn": [rule for rule in rules if rule.points > 0],
        "deduct": [rule for rule in rules if rule.points < 0],
        "items": list(Item.objects.filter(village=village, is_active=True).order_by("order", "id")),
        "settings": settings,
        "now": now,
    }
    response = render(request, "points/public/village.html", context)
    # Changes as matters move and windows close: a minute at most.
    return public_cache(request, response, 60)


@require_GET
def village_points(request, village_code):
    """The village's 公示, its latest published 红黑榜, its rules and its shop."""
    return _page(request, _village(village_code), None)


@require_GET
def village_board(request, village_code, year, quarter):
    """An earlier published 红黑榜 of the village (404 until published)."""
    village = _village(village_code)
    board = get_object_or_404(
        Board.objects.select_related("village"),
        village=village,
        year=year,
        quarter=quarter,
        status=BoardStatus.PUBLISHED,
    )
    return _page(request, village, board)


@require_GET
def item_photo(request, village_code, pk):
    item = get_object_or_404(Item, pk=pk, village__code=village_code, is_active=True)
    return jpeg_response(item.photo, public=True)


def _ask_for_ref(request, village: Village, typed: str):
    """The box to type a 公示 line's reference in (from a printed notice): empty, or with
    why the reference typed names no entry of this village (404)."""
    form = ObjectionRefForm({"ref": typed} if typed.strip() else None)
    status = 200
    if form.is_bound:
        status = 404
        if form.is_valid():
            form.add_error(
                "ref",
                _("No entry of %(village)s's 公示 has the reference %(ref)s. Check the code printed on the notice.")
                % {"village": village.name, "ref": form.cleaned_data["ref"]},
            )
    response = render(request, "points/public/objection_ref.html", {"village": village, "form": form}, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def objection_create(request, village_code):
    """Object to a proposed entry during its 公示, without an account: the line's reference
    (?ref=; without one, or with one of no entry here, the box to type it in), what is
    wrong, and optionally a name and number for the village to call back (kept internal,
    never shown). One objection per rendered form; a few per hour from one
    address (the public intake's throttle, petitions.public_views)."""
    village = _village(village_code)
    typed = request.GET.get("ref") or request.POST.get("ref", "")
    ref = normalize_ref(typed)
    award = Award.objects.select_related("rule").filter(village=village, public_code=ref).first() if ref else None
    if award is None:
        return _ask_for_ref(request, village, typed)
    now = timezone.now()
    open_ = award.status == AwardStatus.PENDING and award.objection_until > now
    form = PublicObjectionForm(request.POST or None)
    status = 200 if open_ else 409
    if request.method == "POST" and open_ and form.is_valid():
        data = form.cleaned_data

        def perform():
            services.objection_raise(
                award=award,
                reason=data["reason"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
            )
            return reverse("points_public:objection-sent", args=[village.code])

        throttled = _(
            "Many forms have been sent from this network in the last hour, so this one was not saved. "
            "Please try again in an hour, or tell your grid worker or the village committee directly."
        )
        sent, status = send_public_form(
            request, form, perform=perform, throttled=throttled, refused=(PointsStateError,)
        )
        if sent is not None:
            return sent
    elif request.method == "POST":
        status = 400 if open_ else 409
    context = {"village": village, "award": award, "form": form, "open": open_, "ref": award.public_code}
    response = render(request, "points/public/objection_form.html", context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_GET
def objection_sent(request, village_code):
    """The confirmation: the objection holds the entry until the village rules on it."""
    village = _village(village_code)
    return render(request, "points/public/objection_sent.html", {"village": village})
