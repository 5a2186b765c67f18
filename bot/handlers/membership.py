"""Who is who: redeeming an invitation (/start CODE), /whoami, binding a group (/bindgroup)
and releasing it (/unbindgroup)."""

from __future__ import annotations

from bot import render
from bot.messages import role_name, t
from bot.turn import Reply, RouterState, Turn
from core import invites
from core.admin import bind_chat, move_chat, unbind_chat
from core.auth import Action, Actor, can, chat_binding, may_unbind, resolve_actor
from core.errors import DomainError, Refused
from core.status import find_branch
from storage.db import session_scope
from storage.models import Branch, ChatBinding, Org


class MembershipCommands(RouterState):
    def _cmd_start(self, turn: Turn) -> list[Reply]:
        m = turn.incoming
        if m.is_group:
            return [Reply(t("start_in_private", self.locale))]
        if not turn.args:
            key = "welcome_back" if turn.actor else "welcome_stranger"
            return [Reply(t(key, self.locale, name=turn.actor.name if turn.actor else ""))]
        invites.redeem(
            turn.session, self.clock, m.platform, m.user_id, m.user_name, turn.args.split()[0]
        )
        actor = resolve_actor(turn.session, m.platform, m.user_id)
        assert actor is not None
        return [Reply(t("invite_redeemed", self.locale, who=self._who(turn, actor)))]

    def _cmd_whoami(self, turn: Turn) -> list[Reply]:
        if turn.actor is None:
            return [Reply(t("whoami_stranger", self.locale))]
        lines = [self._who(turn, turn.actor)]
        m = turn.incoming
        if m.is_group:
            binding = chat_binding(turn.session, m.platform, m.chat_id)
            lines.append(self._chat_line(turn, binding))
        return [Reply("\n".join(lines))]

    def _who(self, turn: Turn, actor: Actor) -> str:
        branch = turn.session.get(Branch, actor.branch_id) if actor.branch_id else None
        org = turn.session.get(Org, actor.org_id)
        roles = [role_name(r, self.locale) for r in (actor.org_role, actor.branch_role) if r]
        where = branch.name if branch else (org.name if org else "")
        if roles:
            where = f"{where} · {render.worded(roles, self.locale)}"
        return t("whoami", self.locale, name=actor.name, where=where)

    def _chat_line(self, turn: Turn, binding: ChatBinding | None) -> str:
        if binding is None:
            return t("chat_unbound", self.locale)
        if turn.actor is None or binding.org_id != turn.actor.org_id:
            return t("chat_bound_other", self.locale)
        if binding.branch_id is not None and not can(
            turn.actor, Action.READ_BRANCH, binding.branch_id
        ):
            return t("chat_bound_other", self.locale)
        return t("chat_bound", self.locale, name=self._bound_name(turn, binding))

    def _cmd_bindgroup(self, turn: Turn) -> list[Reply]:
        actor, m = turn.actor, turn.incoming
        assert actor is not None
        if not m.is_group:
            raise DomainError("bind_in_group")
        org = turn.session.get(Org, actor.org_id)
        assert org is not None
        branch = self._branch_to_bind(turn)
        current = chat_binding(turn.session, m.platform, m.chat_id)
        target_id = branch.id if branch else None
        same = current is not None and (current.org_id, current.branch_id) == (org.id, target_id)
        if same and current is not None and current.unreachable_at is None:
            return [Reply(self._chat_line(turn, current))]
        if current is not None and not same and (current.org_id != org.id or not actor.is_leader):
            # moving a group between branches is the town's call, not a secretary's
            raise DomainError("chat_taken")
        bind_chat(turn.session, org, m.platform, m.chat_id, branch, self.clock, actor.member_id)
        name = branch.name if branch else org.name
        return [Reply(t("chat_now_bound", self.locale, name=name))]

    def _branch_to_bind(self, turn: Turn) -> Branch | None:
        """A leader binds the leaders' group (no argument) or any branch's; a writer binds
        their own branch's group and nothing else."""
        actor = turn.actor
        assert actor is not None
        if actor.is_leader:
            return find_branch(turn.session, actor.org_id, turn.args) if turn.args else None
        if turn.args or not can(actor, Action.WRITE_BRANCH, actor.branch_id):
            raise Refused("forbidden")
        return turn.session.get(Branch, actor.branch_id)

    def _cmd_unbindgroup(self, turn: Turn) -> list[Reply]:
        actor, m = turn.actor, turn.incoming
        assert actor is not None
        if not m.is_group:
            raise DomainError("unbind_in_group")
        binding = chat_binding(turn.session, m.platform, m.chat_id)
        if binding is None:
            raise DomainError("unbind_not_bound")
        if not may_unbind(actor, binding):
            raise Refused("forbidden")
        name = self._bound_name(turn, binding)
        if not unbind_chat(turn.session, binding, self.clock, actor.member_id):
            raise DomainError("unbind_not_bound")  # released by someone else a moment ago
        return [Reply(t("chat_now_unbound", self.locale, name=name))]

    def _bound_name(self, turn: Turn, binding: ChatBinding) -> str:
        """The branch a chat is bound to, or the org for the leaders' chat."""
        if binding.branch_id is None:
            org = turn.session.get(Org, binding.org_id)
            return org.name if org else ""
        branch = turn.session.get(Branch, binding.branch_id)
        return branch.name if branch else ""

    def chat_moved(self, platform: str, old: str, new: str) -> None:
        """Adapter callback: the platform gave a chat a new id (see admin.move_chat)."""
        with session_scope(self.engine) as session:
            move_chat(session, platform, old, new)
