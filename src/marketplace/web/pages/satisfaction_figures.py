"""满意度测评 on the desk: the period's response, satisfaction and recommend rates, their trend (SVG), and a
row per listing, provider, domain or batch."""

from typing import Annotated, get_args
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get
from litestar.params import FromQuery, Parameter
from litestar.response import Template

from ...domain.periods import DEFAULT_PERIOD, PERIODS
from ...domain.roles import Role
from ...schemas.satisfaction_figures import Breakdown
from ...services import satisfaction_figures
from ..common import Db
from .charts import Series, legend, line_chart
from .common import PAGE_DEPENDENCIES, PageUser, need, page
from .desk import _BUCKET_SKELETON, PERIOD_NAMES
from .i18n import N_, lang_of, tr, when

BREAKDOWNS = [  # (by, the tab, the table's first column)
    ("domain", N_("By domain"), N_("Domain")),
    ("listing", N_("By listing"), N_("Listing")),
    ("provider", N_("By provider"), N_("Provider")),
    ("batch", N_("By batch"), N_("Batch")),
]


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


class SatisfactionFiguresPage(Controller):
    dependencies = PAGE_DEPENDENCIES
    include_in_schema = False

    @get("/desk/satisfaction")
    async def figures(
        self,
        request: Request,
        page_user: PageUser,
        db: Db,
        period: FromQuery[Annotated[str | None, Parameter(max_length=10)]] = None,
        by: FromQuery[Annotated[str | None, Parameter(max_length=10)]] = None,
    ) -> Template:
        user = need(page_user, Role.operator, Role.curator)
        period = period if period in PERIODS else DEFAULT_PERIOD  # a stale or odd link: the defaults
        by = by if by in get_args(Breakdown) else "domain"
        zone = ZoneInfo(request.app.state.settings.time_zone)
        found = await satisfaction_figures.figures(db, user.market_id, period, by, zone)
        lang = lang_of(request)
        labels = [when(request, p.starts, _BUCKET_SKELETON[found.unit]) for p in found.trend]
        series = [
            Series(tr(lang, N_("Satisfaction rate (%)")), [_percent(p.satisfaction_rate) for p in found.trend]),
            Series(tr(lang, N_("Response rate (%)")), [_percent(p.response_rate) for p in found.trend]),
        ]
        answered = any(p.answered for p in found.trend)
        chart = line_chart(tr(lang, N_("Satisfaction over time")), labels, series) if answered else None
        return page(
            request,
            "desk/satisfaction.html",
            user,
            found=found,
            chart=chart,
            chart_legend=legend(series),
            period=period,
            periods=PERIOD_NAMES,
            by=by,
            breakdowns=BREAKDOWNS,
            head=next(column for key, _, column in BREAKDOWNS if key == by),
            english=lang == "en",
        )
