"""/status: whose compliance, for which period, for which rule."""

from __future__ import annotations

import re
from dataclasses import replace

from bot import exports, render, report_files
from bot.messages import ZH, t
from bot.parsing import take_period
from bot.turn import Choice, Reply, RouterState, Turn
from core.errors import DomainError
from core.ledger import ledger, monthly_grid
from core.periods import Period
from core.rules import ActivityType
from core.status import find_branch_or_none, status
from storage.models import Org

_PERIODISH = re.compile(r"\d|月|季|年|^[qQhH]\d")  # a token meant as a period
_PAGE = re.compile(r"(?:^|\s)(?:第(\d{1,3})页|[pP](?:age\s*)?(\d{1,3}))(?=\s|$)")
_BRANCHISH = re.compile(r"(村|社区|支部|居委会|公司|厂|学校|站|所)$")  # 1村: a branch, not a date
_SEPARATORS = re.compile(r"[\s,、;]+")  # /status 一村，上季度 as /status 一村 上季度


def _page_of(args: str) -> tuple[str, int]:
    """('2026Q1 第2页') -> ('2026Q1', 1): the page asked for (0-based), and the rest."""
    m = _PAGE.search(args)
    if not m:
        return args, 0
    page = int(m.group(1) or m.group(2))
    return (args[: m.start()] + args[m.end() :]).strip(), max(page - 1, 0)


class StatusCommands(RouterState):
    def _cmd_status(self, turn: Turn, page: int | None = None) -> list[Reply]:
        args, typed_page = _page_of(turn.args)
        turn.args = args
        page = typed_page if page is None else page
        period, branch_query, rule = self._status_args(turn)
        assert turn.actor is not None
        with self.reading(turn) as reader:
            result = status(reader, self.registry, turn.today, turn.actor, period, branch_query)
            org = reader.get(Org, turn.actor.org_id)
        if rule is not None:
            return [Reply(self._rule_report(result, rule))]
        if len(result.branches) == 1 and (branch_query or not turn.actor.reads_org):
            b = result.branches[0]
            return [Reply(render.branch_status(b, result, self.registry, self.locale))]
        name = org.name if org else ""
        pages = render.status_pages(result)
        page = render.clamp_page(page, pages)
        text = render.org_status(result, name, self.registry, self.locale, page)
        return [Reply(text, self._page_buttons(args, page, pages))]

    def _page_buttons(self, args: str, page: int, pages: int) -> tuple[Choice, ...]:
        """上一页/下一页: the press asks for the same overview again, one page on. Nothing in
        the data is trusted: the press is answered with the presser's own rights."""
        buttons = []
        for key, target in (("prev_page", page - 1), ("next_page", page + 1)):
            data = f"s:{target}:{args}"
            if 0 <= target < pages and len(data.encode()) <= 64:
                buttons.append(Choice(t(key, self.locale), key, data))
        return tuple(buttons)

    def press_status_page(self, turn: Turn, rest: str) -> list[Reply]:
        page, _, args = rest.partition(":")
        turn.args = args
        replies = self._cmd_status(turn, int(page) if page.isdigit() else 0)
        return [replace(r, edit=True) for r in replies]

    def _cmd_report(self, turn: Turn) -> list[Reply]:
        """The ledger of a period as an Excel file: leaders the org (or a branch), everyone
        else their own branch."""
        try:
            period, branch_query, rule = self._status_args(turn)
        except DomainError as exc:
            if exc.key != "bad_status_args":
                raise
            raise DomainError("bad_report_args", **exc.params) from exc
        if rule is not None:
            raise DomainError("bad_report_args", text=rule)
        if period.start > turn.today:
            raise DomainError("report_not_begun", period=period)
        assert turn.actor is not None
        with self.reading(turn) as reader:
            found = ledger(reader, self.registry, turn.today, turn.actor, period, branch_query)
            grid = monthly_grid(reader, self.registry, found, turn.actor.org_id)
        who = found.name
        stamp = self.clock().astimezone(self.tz).strftime("%Y%m%d-%H%M%S")
        stem = self.exports_dir / f"台账-{who}-{period.key}-{stamp}"
        files = (
            exports.write_xlsx(found, self.registry, stem.with_suffix(".xlsx")),
            report_files.write_docx(found, self.registry, stem.with_suffix(".docx")),
            report_files.write_png(grid, exports.heatmap_title(found), stem.with_suffix(".png")),
        )
        text = t(
            "report_ready",
            self.locale,
            who=who,
            period=period.label(self.locale),
            records=len(found.records),
            commitments=len(found.commitments),
        )
        return [Reply(text, files=files)]

    def _status_args(self, turn: Turn) -> tuple[Period, str | None, ActivityType | None]:
        period: Period | None = None
        branch: str | None = None
        rule: ActivityType | None = None
        tokens = [token for token in _SEPARATORS.split(turn.args) if token]
        i = 0
        while i < len(tokens):
            token, taken = tokens[i], 1
            if period is None and (dated := take_period(tokens[i:], turn.today)):
                period, taken = dated
            elif named := self.registry.match_words(tokens[i:]):  # 'party lecture': two words
                found, taken = named
                if not found.is_required or rule is not None:  # counted, not required
                    raise DomainError("bad_status_args", text=" ".join(tokens[i : i + taken]))
                rule = found
            elif (
                _PERIODISH.search(token)
                and not _BRANCHISH.search(token)
                and not self._names_branch(turn, token)
            ):
                raise DomainError("bad_period", text=token)
            elif branch is None:
                branch = token
            else:
                raise DomainError("bad_status_args", text=token)
            i += taken
        if branch is None and turn.actor is not None and turn.actor.reads_org:
            bound = self.bound_branch(turn)  # a leader in a branch's chat: that branch
            branch = bound.name if bound else None
        return period or Period.containing("month", turn.today), branch, rule

    def _names_branch(self, turn: Turn, token: str) -> bool:
        """Branch names have digits and 月/年 too (第3党支部, 月湖村, 青年…): a token that is
        no period but names a branch of the org is that branch."""
        org_id = turn.actor.org_id if turn.actor else None
        return org_id is not None and find_branch_or_none(turn.session, org_id, token) is not None

    def _rule_report(self, result, rule: ActivityType) -> str:
        """Which branches still owe ``rule``: missed first, then open, then excused, each
        with its line; the branches that held it in one line at the end, as the overview."""
        lines = [f"{render.type_name(rule, self.locale)} · {result.period.label(self.locale)}"]
        if result.not_begun:
            return "\n".join([*lines, t("period_not_begun", self.locale)])
        by_status: dict[str, list] = {"missed": [], "pending": [], "excused": [], "met": []}
        for b in result.branches:
            for r in b.rules:
                if r.type.code == rule.code:
                    by_status[r.status].append((b, r))
        colon = "：" if self.locale == ZH else ": "
        for state in ("missed", "pending", "excused"):
            lines += [
                f"{b.name}{colon}{render.rule_line(r, self.locale)}" for b, r in by_status[state]
            ]
        for key, branches in (
            ("rule_held_by", [b for b, _ in by_status["met"]]),
            ("set_up_later", result.not_yet_set_up()),
        ):
            if branches:
                lines.append(t(key, self.locale, names=render.branch_names(branches, self.locale)))
        return "\n".join(lines)
