"""三治's demo, from the article where it has one: 李湾村's 治委会, a grid's 协商议事团, the
老兵说法营's five veterans and 小沔镇's 公益律师团, the 张某/马某 road mediation with its agreement,
one meeting of each of the four councils (the 民情恳谈会's two concerns are two matters), a
published 最美家庭 selection with its points, and a 邻里节. Runs after the matters', points' and
pledges' demos (the councils rate their handled matters and pledges). Idempotent."""

from django.db import transaction

from governance.civic import council_demo, selection_demo, team_demo


def seed_civic(log=print) -> None:
    # Each part whole or not at all: a failed run leaves nothing half-made for the next to skip.
    for seed in (team_demo.seed, council_demo.seed, selection_demo.seed):
        with transaction.atomic():
            seed(log)
