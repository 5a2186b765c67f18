"""Commitments (承诺事项): make, fulfil, withdraw, explain, list."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date
from typing import Any

from bot import dialogs, render
from bot.commitment_parsing import fulfilled_day, parse_commitment
from bot.messages import fmt_date, t
from bot.turn import Reply, RouterState, Turn
from core import commitments
from core.activities import SourceKey


class CommitmentCommands(RouterState):
    def _cmd_commit(self, turn: Turn) -> list[Reply]:
        content, due, personal = parse_commitment(turn.args, turn.today)
        commitments.check_can_add(turn.actor)
        data: dict[str, Any] = {
            "content": content or None,
            "personal": personal,
            "due": due.isoformat() if due else None,
        }
        if turn.source:
            data["source"] = list(astuple(turn.source))
        return self._continue_commit(turn, data)

    def _continue_commit(self, turn: Turn, data: dict) -> list[Reply]:
        for field_ in ("content", "due"):
            if not data.get(field_):
                return [self._ask(turn, "commit", data, None, field_)]
        m = turn.incoming
        dialogs.clear(turn.session, m.platform, m.chat_id, m.user_id)
        source = SourceKey(*data["source"]) if data.get("source") else None  # see _log
        row, created = commitments.add(
            turn.session,
            self.clock,
            turn.today,
            turn.actor,
            data["content"],
            date.fromisoformat(data["due"]),
            data.get("personal", False),
            source,
        )
        if not created:
            return [Reply(t("committed_dup", self.locale, id=row.id))]
        assert turn.actor is not None
        owner = (
            t("owner_personal", self.locale, name=turn.actor.name)
            if row.owner_member_id
            else t("owner_branch", self.locale)
        )
        return [
            Reply(
                t(
                    "committed",
                    self.locale,
                    id=row.id,
                    owner=owner,
                    content=row.content,
                    due=fmt_date(row.due_on, self.locale),
                )
            )
        ]

    def _cmd_done(self, turn: Turn) -> list[Reply]:
        cid, evidence = turn.id_and_rest(self.example("done"))
        on = fulfilled_day(evidence, turn.today)
        row = commitments.fulfil(
            turn.session, self.clock, turn.today, turn.actor, cid, evidence, on
        )
        said = fmt_date(row.fulfilled_on, self.locale) if on and on != turn.today else None
        key = "fulfilled_on" if said else "fulfilled"
        return [Reply(t(key, self.locale, id=row.id, content=row.content, day=said))]

    def _cmd_withdraw(self, turn: Turn) -> list[Reply]:
        cid, reason = turn.id_and_rest(self.example("withdraw"))
        row = commitments.withdraw(turn.session, self.clock, turn.actor, cid, reason)
        return [Reply(t("withdrawn", self.locale, id=row.id, content=row.content, reason=reason))]

    def _cmd_explain(self, turn: Turn) -> list[Reply]:
        cid, note = turn.id_and_rest(self.example("explain"))
        row = commitments.explain(turn.session, self.clock, turn.actor, cid, note)
        return [Reply(t("explained", self.locale, id=row.id, content=row.content, reason=note))]

    def _cmd_commitments(self, turn: Turn) -> list[Reply]:
        everything = turn.args.strip().lower() in ("全部", "所有", "all")
        leader = bool(turn.actor and turn.actor.reads_org)
        bound = self.bound_branch(turn) if leader else None  # in a branch's group: that branch
        only = bound.id if bound else None
        views = commitments.listing(turn.session, turn.today, turn.actor, everything, only)
        names = self._branch_names(turn) if leader and bound is None else {}
        text = render.commitment_list(views, names, turn.today, self.locale, everything)
        return [Reply(text)]

    def _branch_names(self, turn: Turn) -> dict[int, str]:
        from core.status import branch_names

        assert turn.actor is not None
        return dict(branch_names(turn.session, turn.actor.org_id))
