"""The command table: names, Chinese command words, one-line help and an example each (in
English too where the Chinese one would not read or parse as English).

The router dispatches on it, /help prints it, and chat adapters build their menus from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import EN


@dataclass(frozen=True)
class Command:
    name: str
    words: tuple[str, ...]  # Chinese words that work without a slash, e.g. "记录"
    zh: str
    en: str
    example: str
    # who sees it in /help and the menu: "all", "writer" (and leaders), "branch" (branch
    # writers only: a town leader without a branch cannot use it), "leader", "hidden"
    audience: str = "writer"
    where: str = "any"  # the chats it is for: "any", "private", "group"
    en_example: str = ""  # when the example holds Chinese words

    def example_in(self, locale: str) -> str:
        return self.en_example or self.example if locale == EN else self.example


COMMANDS: tuple[Command, ...] = (
    Command(
        "log",
        ("记录", "登记"),
        "记录一次会议或活动",
        "Log a meeting",
        "/log 支委会 3月5日 出席7人 缺席1人 主题:学习贯彻全会精神",
        en_example="/log committee March 5 7 present 1 absent topic: studying the plenum",
    ),
    Command(
        "study",
        ("学习",),
        "记录一次学习（集中学习、交流研讨、辅导报告等）",
        "Log a study session",
        "/study 集中学习 3月10日 2小时 18人 主题:党章",
        en_example="/study group study March 10 2 hours 18 present topic: the Party constitution",
        audience="branch",
    ),
    Command(
        "commit",
        ("承诺",),
        "登记承诺事项（加“个人”为个人承诺）",
        "Add a commitment",
        "/commit 完成村道硬化2公里 截止6月30日",
        en_example="/commit Pave 2 km of village road by June 30",
        audience="branch",
    ),
    Command(
        "done",
        ("兑现",),
        "承诺事项已兑现",
        "Mark a commitment fulfilled",
        "/done 3 已验收",
        en_example="/done 3 inspected and accepted",
        audience="branch",
    ),
    Command(
        "withdraw",
        ("撤回承诺",),
        "撤销承诺事项（须写原因）",
        "Withdraw a commitment",
        "/withdraw 3 项目取消",
        en_example="/withdraw 3 project cancelled",
        audience="branch",
    ),
    Command(
        "explain",
        ("说明承诺",),
        "承诺未能兑现，登记说明（未兑现-已说明）",
        "Record why a commitment was not kept",
        "/explain 3 资金未到位，明年续建",
        en_example="/explain 3 funds did not arrive; to be built next year",
        audience="branch",
    ),
    Command(
        "commitments",
        ("承诺事项", "承诺列表"),
        "查看进行中的承诺事项（加“全部”含已办结）",
        "List open commitments (add “all” for closed ones too)",
        "/commitments",
        audience="all",
    ),
    Command(
        "status",
        ("进度", "统计", "状态"),
        "查看三会一课完成情况",
        "Show compliance",
        "/status 本季度",
        audience="all",
        en_example="/status this quarter",
    ),
    Command(
        "report",
        ("台账",),
        "导出台账 Excel、Word 报告和完成情况热力图；可加时间段或支部",
        "Export the ledger (Excel), the report (Word) and a heatmap (PNG)",
        "/report 本季度",
        audience="all",
        en_example="/report this quarter",
    ),
    Command("list", ("最近", "列表"), "查看最近的记录", "Show recent records", "/list", "all"),
    Command(
        "edit",
        ("修改",),
        "修改一条记录",
        "Edit a record",
        "/edit 12 地点:村委会",
        en_example="/edit 12 place: village hall",
    ),
    Command(
        "undo",
        ("撤销记录",),
        "撤销自己24小时内登记的最近一条记录",
        "Undo your last record",
        "/undo",
    ),
    Command(
        "excuse",
        ("免开",),
        "登记因故免开的会议（镇党委）",
        "Excuse a missed meeting (leaders)",
        "/excuse 一村 党课 2026Q3 防汛抢险",
        audience="leader",
        en_example="/excuse 一村 lecture Q3 2026 flood relief",
    ),
    Command(
        "attach",
        ("附件",),
        "给记录添加附件：发送图片或文件时在说明里写 /attach 编号，或直接回复记录的确认消息",
        "Attach a photo or file to a record (caption /attach 12, or reply to the confirmation)",
        "/attach 12",
    ),
    Command(
        "bindgroup",
        (),
        "把本群绑定到本支部（书记、支委在群里发送；镇党委可写支部名）",
        "Bind this group chat to your branch",
        "/bindgroup",
        where="group",
    ),
    Command(
        "unbindgroup",
        (),
        "解除本群的绑定，提醒不再发到本群（本支部书记、支委或镇党委在群里发送）",
        "Unbind this group chat: reminders stop coming here",
        "/unbindgroup",
        where="group",
    ),
    Command("whoami", ("我是谁",), "查看我的身份和所在支部", "Who am I here", "/whoami", "all"),
    Command(
        "start",
        (),
        "使用邀请码绑定身份",
        "Redeem an invitation code",
        "/start 邀请码",
        "hidden",
        "private",
        en_example="/start CODE",
    ),
    Command("help", ("帮助",), "查看全部命令和示例", "Show help", "/help", "all"),
    Command(
        "cancel", ("取消",), "取消正在进行的操作", "Cancel the current dialog", "/cancel", "all"
    ),
)

BY_NAME = {c.name: c for c in COMMANDS}
BY_WORD = {w: c for c in COMMANDS for w in c.words}
