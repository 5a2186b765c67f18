"""Logging, listing, correcting and excusing meeting records."""

from __future__ import annotations

from dataclasses import asdict, astuple
from datetime import date

from bot import dialogs, render
from bot.messages import fmt_date, t
from bot.parsing import normalise, parse_activity, prose, split_keyed, take_period
from bot.turn import Reply, RouterState, Turn
from core import activities
from core.activities import ActivityDraft, SourceKey
from core.compliance import evaluate, set_up_days
from core.errors import DomainError
from core.periods import KIND_OF_MONTHS, Period, parse_period_key
from core.rules import ActivityType
from core.status import find_branch
from storage.models import Activity, Branch, PartyGroup


class RecordCommands(RouterState):
    def _cmd_log(self, turn: Turn) -> list[Reply]:
        return self._log(turn, study=False)

    def _cmd_study(self, turn: Turn) -> list[Reply]:
        return self._log(turn, study=True)

    def _log(self, turn: Turn, study: bool) -> list[Reply]:
        parsed = parse_activity(turn.args, self.registry, turn.today)
        draft = activities.complete_attendance(parsed.draft)
        if parsed.unknown_type is not None:
            choices = self._type_choices(turn.actor, study)
            raise DomainError(
                "unknown_type", text=parsed.unknown_type, choices=[c.label for c in choices]
            )
        atype = self.registry.get(draft.type_code) if draft.type_code else None
        if study and atype is not None and atype.category != "study":
            choices = self.registry.of_category("study")
            raise DomainError("not_study_type", text=atype, choices=choices)
        activities.check_can_log(turn.actor, atype)
        activities.check_values(draft, self.registry, turn.today)
        data = {"draft": dialogs.draft_to_json(draft), "study": study}
        if not turn.args:
            data["guided"] = True  # step by step, ending with a summary to confirm
        if turn.source:
            data["source"] = list(astuple(turn.source))
        return self._continue_log(turn, draft, data)

    def _continue_log(self, turn: Turn, draft: ActivityDraft, data: dict) -> list[Reply]:
        """Ask for the next missing field, or save the record once nothing is missing."""
        assert turn.actor is not None
        missing = draft.missing(self.registry)
        atype = self.registry.get(draft.type_code) if draft.type_code else None
        groups = activities.group_choices(turn.session, turn.actor, atype)
        if groups and not draft.group:
            missing.append("group")
        if data.get("guided"):
            if draft.topic is None and not data.get("topic_asked"):
                missing.append("topic")
            if not missing and not data.get("confirmed"):
                missing.append("confirm")
        if missing:
            return [self._ask(turn, "log", data, draft, missing[0], groups)]
        m = turn.incoming
        dialogs.clear(turn.session, m.platform, m.chat_id, m.user_id)
        source = SourceKey(*data["source"]) if data.get("source") else None  # see _log
        logged = activities.log_activity(
            turn.session,
            self.registry,
            self.clock,
            turn.today,
            turn.actor,
            draft,
            source,
            self.filing,
        )
        return [self._logged_reply(turn, logged)]

    def _logged_reply(self, turn: Turn, logged: activities.Logged) -> Reply:
        a = logged.activity
        summary = self._summary(turn, a)
        if not logged.created:
            return Reply(t("logged_dup", self.locale, id=a.id))
        lines = [t("logged", self.locale, id=a.id, summary=summary)]
        if turn.incoming.can_attach:
            lines.append(t("attach_hint", self.locale))
        if logged.late_by:
            lines.append(
                t("filed_late", self.locale, days=self.filing.working_days, late=logged.late_by)
            )
        if logged.same_day_as:
            lines.append(t("same_day", self.locale, id=logged.same_day_as))
        if logged.quorum_short:
            lines.append(t("quorum_short", self.locale, present=a.present, expected=a.expected))
        if logged.roster:
            lines.append(self._beyond_roster(a, logged.roster))
        if logged.type.is_required and a.branch_id is not None:
            lines += self._counts_for(turn, logged.type, a.branch_id, a.held_on)
        return Reply("\n".join(lines), record=a.id)

    def _counts_for(self, turn: Turn, atype: ActivityType, branch_id: int, day: date) -> list[str]:
        """How the record moves its rule; or, for a day before the branch was set up, that
        it is kept in the ledger but counts for nothing (no unit was owed then)."""
        if progress := self._progress(turn, atype, branch_id, day):
            return [progress]
        branch = turn.session.get(Branch, branch_id)
        assert branch is not None
        set_up = set_up_days(turn.session, self.registry, branch.org_id, [branch_id])
        if (since := set_up.get(branch_id)) is not None and day < since:
            return [t("before_set_up", self.locale, day=fmt_date(since, self.locale))]
        return []

    def _summary(self, turn: Turn, a: Activity) -> str:
        group = turn.session.get(PartyGroup, a.party_group_id) if a.party_group_id else None
        return render.activity_summary(a, self.registry, self.locale, group.name if group else None)

    def _progress(self, turn: Turn, atype: ActivityType, branch_id: int, day: date) -> str | None:
        """How the rule this record counts for stands now, e.g. ✅ 支部党员大会 1/1（2026年第一季度）;
        None when it asks nothing of the branch then (a unit before the branch was set up)."""
        unit = Period.containing(KIND_OF_MONTHS[atype.every_months], day)
        branch = turn.session.get(Branch, branch_id)
        assert branch is not None
        result = evaluate(
            turn.session,
            self.registry,
            branch.org_id,
            [(branch_id, branch.name)],
            unit,
            turn.today,
            rules_only=True,
        )
        rule = next((r for r in result.branches[0].rules if r.type.code == atype.code), None)
        return render.rule_line(rule, self.locale) if rule else None

    def _cmd_list(self, turn: Turn) -> list[Reply]:
        bound = self.bound_branch(turn) if turn.actor and turn.actor.reads_org else None
        rows = activities.recent(turn.session, turn.actor, only_branch=bound.id if bound else None)
        show_branch = bool(turn.actor and turn.actor.reads_org) and bound is None
        return [Reply(render.activity_list(rows, self.registry, show_branch, self.locale))]

    # ------------------------------------------------------------------ corrections

    def _cmd_undo(self, turn: Turn) -> list[Reply]:
        a = activities.undo_last(turn.session, self.clock, turn.actor)
        return [Reply(t("undone", self.locale, id=a.id, summary=self._summary(turn, a)))]

    def _cmd_edit(self, turn: Turn) -> list[Reply]:
        try:
            record_id, rest = turn.id_and_rest(self.example("edit"))
        except DomainError as exc:
            raise DomainError("bad_edit") from exc
        parsed = parse_activity(rest, self.registry, turn.today, leftover_as_topic=False)
        if parsed.unknown_type is not None or parsed.leftover:
            raise DomainError("bad_edit")
        changes = {k: v for k, v in asdict(parsed.draft).items() if v is not None}
        if not changes and "due" in split_keyed(normalise(rest))[1]:  # 截止: is a commitment's
            raise DomainError("edit_commitment")
        if not changes:
            raise DomainError("bad_edit")
        a = activities.edit(
            turn.session, self.registry, self.clock, turn.today, turn.actor, record_id, changes
        )
        lines = [t("edited", self.locale, id=a.id, summary=self._summary(turn, a))]
        if activities.quorum_short(a):
            lines.append(t("quorum_short", self.locale, present=a.present, expected=a.expected))
        recounted = "present" in changes or "expected" in changes  # said once, not on each edit
        if recounted and (roster := activities.beyond_roster(turn.session, a)):
            lines.append(self._beyond_roster(a, roster))
        return [Reply("\n".join(lines))]

    def _beyond_roster(self, a: Activity, roster: int) -> str:
        counted = activities.people_counted(a)
        return t("beyond_roster", self.locale, n=counted, roster=roster, id=a.id)

    def _cmd_excuse(self, turn: Turn) -> list[Reply]:
        branch_q, atype, period, reason = self._excuse_args(turn)
        assert turn.actor is not None
        activities.check_can_excuse(turn.actor)
        branch = find_branch(turn.session, turn.actor.org_id, branch_q)
        row, replaced, again = activities.excuse(
            turn.session,
            self.clock,
            turn.today,
            turn.actor,
            branch,
            atype,
            period,
            reason,
            self.registry,
        )
        unit = parse_period_key(row.unit_key)
        assert unit is not None
        words = {
            "branch": branch.name,
            "period": unit.label(self.locale),
            "name": render.type_name(atype, self.locale),
            "reason": reason,
        }
        if again:
            return [Reply(t("excuse_again", self.locale, **words))]
        if replaced is not None:
            return [Reply(t("excuse_replaced", self.locale, before=replaced, **words))]
        return [Reply(t("excused", self.locale, **words))]

    def _excuse_args(self, turn: Turn) -> tuple[str, ActivityType, Period, str]:
        """'一村 党课 2026Q3 防汛抢险' or '一村 party lecture Q3 2026 flood relief': the type and
        the period may take several words, the reason is all that follows them."""
        words = turn.args.split()
        named = self.registry.match_words(words[1:])
        if len(words) < 4 or named is None or not named[0].is_required:
            raise DomainError("bad_excuse")
        atype, taken = named
        rest = words[1 + taken :]
        dated = take_period(rest, turn.today)
        if dated is None and len(rest) > 1:  # 2026Q5: what is wrong is the period
            raise DomainError("bad_period", text=rest[0])
        if dated is None or len(rest) <= dated[1]:
            raise DomainError("bad_excuse")
        return words[0], atype, dated[0], prose(" ".join(rest[dated[1] :]))
