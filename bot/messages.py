"""The message catalogue: every sentence a user sees, zh-CN first, English second."""

from __future__ import annotations

from datetime import date
from typing import Any

ZH, EN = "zh_CN", "en"

FIELD_NAMES = {
    ZH: {
        "type": "活动类型",
        "date": "日期",
        "held_on": "日期",
        "present": "出席人数",
        "hours": "时长",
        "group": "党小组",
        "content": "承诺内容",
        "due": "截止日期",
        "reason": "原因",
        "evidence": "说明",
        "id": "编号",
        "expected": "应到人数",
        "topic": "主题",
        "place": "地点",
        "host": "主持人",
        "recorder": "记录人",
        "notes": "备注",
    },
    EN: {
        "type": "activity type",
        "date": "date",
        "held_on": "date",
        "present": "attendance",
        "hours": "duration",
        "group": "party group",
        "content": "commitment",
        "due": "due date",
        "reason": "reason",
        "evidence": "note",
        "id": "number",
        "expected": "expected count",
        "topic": "topic",
        "place": "place",
        "host": "host",
        "recorder": "recorder",
        "notes": "notes",
    },
}

# a command that gives the field a message says is missing
MISSING_EXAMPLES = {
    ZH: {
        "held_on": "/log 支委会 3月5日 出席7人",
        "present": "/log 支委会 3月5日 出席7人",
        "hours": "/study 集中学习 3月10日 2小时 18人",
        "content": "/commit 完成村道硬化2公里 截止6月30日",
        "due": "/commit 完成村道硬化2公里 截止6月30日",
        "reason": "/withdraw 3 项目取消",
        "group": "/log 党小组会 第一党小组 昨天 8人",
    },
    EN: {
        "held_on": "/log committee March 5 7 present",
        "present": "/log committee March 5 7 present",
        "hours": "/study group study March 10 2 hours 18 present",
        "content": "/commit Pave 2 km of village road by June 30",
        "due": "/commit Pave 2 km of village road by June 30",
        "reason": "/withdraw 3 project cancelled",
        "group": "/log group meeting yesterday 8 present group: 第一党小组",
    },
}

ROLE_NAMES = {
    ZH: {
        "secretary": "支部书记",
        "deputy": "副书记",
        "committee": "支委委员",
        "member": "党员",
        "leader": "镇党委领导",
        "admin": "管理员",
    },
    EN: {
        "secretary": "secretary",
        "deputy": "deputy secretary",
        "committee": "committee member",
        "member": "member",
        "leader": "town leader",
        "admin": "administrator",
    },
}

# list separators and punctuation of each locale: (items, clauses, label colon)
SEPARATORS = {ZH: ("、", "；", "："), EN: (", ", "; ", ": ")}

STATUS_MARKS = {"met": "✅", "pending": "⏳", "missed": "❌", "excused": "➖"}
STATUS_WORDS = {
    ZH: {"met": "已完成", "pending": "待完成", "missed": "未完成", "excused": "免开"},
    EN: {"met": "done", "pending": "to do", "missed": "missed", "excused": "excused"},
}
WEEKDAY_NAMES = {
    ZH: ("一", "二", "三", "四", "五", "六", "日"),
    EN: ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
COMMITMENT_STATUS = {
    ZH: {
        "in_progress": "进行中",
        "fulfilled": "已兑现",
        "explained": "未兑现-已说明",
        "withdrawn": "已撤销",
        "overdue": "已逾期",
    },
    EN: {
        "in_progress": "in progress",
        "fulfilled": "fulfilled",
        "explained": "explained",
        "withdrawn": "withdrawn",
        "overdue": "overdue",
    },
}

_CATALOGUE: dict[str, dict[str, str]] = {
    # --- pieces of record summaries, status reports and lists (bot/render.py)
    "hours_short": {ZH: "{hours}小时", EN: "{hours} h"},
    "starts_at": {ZH: "{time}开始", EN: "from {time}"},
    "att_expected": {ZH: "应到{n}人", EN: "{n} expected"},
    "att_present": {ZH: "实到{n}人", EN: "{n} present"},
    "att_absent": {ZH: "缺席{n}人", EN: "{n} absent"},
    "label_topic": {ZH: "主题：{value}", EN: "topic: {value}"},
    "label_place": {ZH: "地点：{value}", EN: "place: {value}"},
    "label_host": {ZH: "主持：{value}", EN: "host: {value}"},
    "label_recorder": {ZH: "记录：{value}", EN: "recorder: {value}"},
    "label_notes": {ZH: "备注：{value}", EN: "notes: {value}"},
    "coverage": {
        ZH: "{name} 已谈 {held} 人 / 共 {required} 人{window}",
        EN: "{name} {held} of {required:member/members} reached{window}",
    },
    "commitments_line": {ZH: "承诺事项：{parts}", EN: "Commitments: {parts}"},
    "commitments_kind": {
        ZH: "{label}到期{due}件、已兑现{fulfilled}件，履诺率 {rate}",
        EN: "{label} {fulfilled}/{due} fulfilled ({rate})",
    },
    "commitments_org": {ZH: "支部承诺", EN: "branch"},
    "commitments_personal": {ZH: "个人承诺", EN: "personal"},
    "commitments_made": {
        ZH: "本期新立{made}件；目前逾期未兑现{overdue}件",
        EN: "{made} made; {overdue} overdue now",
    },
    "study_none": {ZH: "学习：本期暂无记录", EN: "Study: none yet"},
    "study_line": {ZH: "学习：{items}，共{hours}小时", EN: "Study: {items}; {hours} h"},
    "study_item": {ZH: "{name}{n}场次", EN: "{name} ×{n}"},
    "town_line": {ZH: "镇党委：{items}", EN: "Town: {items}"},
    "town_item": {ZH: "{name}{n}次", EN: "{name} ×{n}"},
    "town_label": {ZH: "镇党委", EN: "town"},
    "as_of": {ZH: "截至{day}", EN: "as of {day}"},
    "branch_rate": {ZH: "完成率 {rate}", EN: "Compliance {rate}"},
    "period_not_begun": {ZH: "（该时间段尚未开始）", EN: "(this period has not begun)"},
    "branch_not_set_up": {
        ZH: "（该时间段本支部尚未成立，不作要求）",
        EN: "(the branch was set up after this period: nothing was due)",
    },
    "nothing_due": {
        ZH: "（该时间段没有需要开展的会议活动）",
        EN: "(no meeting was due in this period)",
    },
    "rule_held_by": {ZH: "✅ 已完成：{names}", EN: "✅ Held: {names}"},
    "set_up_later": {
        ZH: "➖ 该时间段尚未成立的支部（不作要求）：{names}",
        EN: "➖ Set up after this period, nothing due: {names}",
    },
    "org_summary": {
        ZH: "总体完成率 {rate}：{missed}个支部有未完成事项，{open}个支部有待完成事项，{done}个支部全部完成",
        EN: "Overall {rate}. Branches with missed items: {missed}; with items to do: {open}; "
        "all done: {done}",
    },
    "status_page": {
        ZH: "—— 第{page}/{pages}页（翻页：按钮，或发送 /status 第N页）——",
        EN: "— page {page} of {pages} (buttons, or /status p2) —",
    },
    "more_behind": {
        ZH: "……另有{n}个支部有未完成或待完成事项，详见所附台账。",
        EN: "… and {n:more branch/more branches} behind: see the attached ledger.",
    },
    "and_n_more": {ZH: "等{n}个支部", EN: " and others ({n} in all)"},
    "prev_page": {ZH: "⬅️ 上一页", EN: "⬅️ Previous"},
    "next_page": {ZH: "下一页 ➡️", EN: "Next ➡️"},
    "all_done": {ZH: "✅ 全部完成：{names}", EN: "✅ All done: {names}"},
    "silent": {ZH: "⚠️ 30天以上没有活动记录：{names}", EN: "⚠️ No activity for 30+ days: {names}"},
    "personal_mark": {ZH: "个人", EN: "personal"},
    "due_on": {ZH: "截止{day}", EN: "due {day}"},
    "help_title": {ZH: "支部助手 · 命令一览", EN: "Zhibu · commands"},
    "help_line": {
        ZH: "/{name} — {text}{words}\n    例：{example}",
        EN: "/{name} — {text}\n    e.g. {example}",
    },
    "help_words": {ZH: "（也可用“{word}”）", EN: ""},
    "help_dates": {
        ZH: "日期可写：2026-03-05、3月5日、3.5、今天、昨天、上周五；截止日期还可写 6月底、年底。",
        EN: "Dates: 2026-03-05, March 5, 3/5 (month/day), today, yesterday, last Friday, "
        "3 days ago; deadlines also end of June, end of the year.",
    },
    "example": {ZH: "例如：{example}", EN: "e.g. {example}"},
    # --- refusals and failures
    "unknown_user": {
        ZH: "抱歉，我还不认识你。请联系管理员为你开通后再使用。",
        EN: "Sorry, I don't know you yet. Please ask your administrator to register you.",
    },
    "forbidden_not_a_writer": {
        ZH: "抱歉，登记和修改本支部的记录需要支部书记、副书记或支委身份。如需登记，请联系本支部书记。",
        EN: "Sorry: only the branch secretary, deputy or committee members can log or change "
        "the branch's records. Ask your branch secretary.",
    },
    "forbidden_not_a_leader": {
        ZH: "抱歉，这项操作只有镇党委的负责同志可以进行。",
        EN: "Sorry: only the town's Party committee can do this.",
    },
    "forbidden_other_branch_chat": {
        ZH: "抱歉，这个群属于其他支部，在这里不能操作本支部的事项。请到本支部的群里，或私聊我。",
        EN: "Sorry: this group belongs to another branch. Use your own branch's group, or "
        "message me privately.",
    },
    "forbidden": {
        ZH: "抱歉，你没有权限进行这项操作。",
        EN: "Sorry, you are not allowed to do that.",
    },
    "send_failed": {
        ZH: "抱歉，出了点问题（错误编号 {error_id}，已记入日志）。刚才的操作可能已经完成，请先用 /list 或 /status 查看，不要重复记录；如仍有问题，请把编号告诉管理员。",
        EN: "Sorry, something went wrong (error id {error_id}, logged). What you sent may already be saved: check /list or /status before sending it again.",
    },
    "internal_error": {
        ZH: "抱歉，处理时出了点问题，没有保存任何改动（错误编号 {error_id}，已记入日志）。请稍后再试，或把编号告诉管理员。",
        EN: "Sorry, something went wrong (error id {error_id}). Please try again later.",
    },
    # --- input problems, each with the right form
    "not_writer": {
        ZH: "只有该支部的书记、副书记和支委可以修改这项内容。",
        EN: "Only the branch's secretary, deputy and committee members may change this.",
    },
    "branch_only": {
        ZH: "“{name}”是支部的会议或学习，由支部书记、副书记和支委登记。镇党委的工作请写：{town}，例如：/log 为基层上党课 3月5日 30人。",
        EN: "“{name}” is a branch's meeting or study, logged by its secretary, deputy or committee. The town's own work: {town}, e.g. /log town lecture March 5 30 present.",
    },
    "town_only": {
        ZH: "“{name}”是镇党委层面的工作，由镇领导记录。支部的会议请用 /log 支委会、/log 党员大会 等。",
        EN: "“{name}” is town-level work, logged by town leaders. Log branch meetings with /log.",
    },
    "unknown_type": {
        ZH: "没认出活动类型“{text}”。可用的类型：{choices}。\n{example}",
        EN: "Unknown activity type “{text}”. Known types: {choices}.\n{example}",
    },
    "not_study_type": {
        ZH: "“{text}”不是学习活动，请用 /log 记录。学习类型：{choices}。",
        EN: "“{text}” is not a study session; use /log. Study types: {choices}.",
    },
    "missing_field": {
        ZH: "还缺少{field}。{hint}",
        EN: "The {field} is missing. {hint}",
    },
    "future_date": {
        ZH: "日期 {day} 还没到，无法记录尚未召开的会议。请核对日期后重发，{example}",
        EN: "{day} is in the future: only meetings already held can be logged. "
        "Check the date, {example}",
    },
    "too_old": {
        ZH: "日期 {day} 距今超过一年，可能写错了年份。请核对后重发，例如：/log 支委会 2026-03-05 出席7人",
        EN: "{day} is more than a year ago; is the year right? "
        "e.g. /log committee 2026-03-05 7 present",
    },
    "invalid_date": {
        ZH: "日期“{text}”不存在，请检查月份和日子，例如 3月5日、2026-03-05、昨天。",
        EN: "“{text}” is not a valid date. Try March 5, 2026-03-05 or yesterday.",
    },
    "invalid_due": {
        ZH: "截止日期“{text}”不存在，请检查月份和日子，例如：截止6月30日、12.20前、年内。",
        EN: "“{text}” is not a valid due date. Try by June 30 or by the end of Q2.",
    },
    "no_such_day": {
        ZH: "{year}年没有{month}月{day}日，请核对日期。",
        EN: "There is no {year}-{month:02d}-{day:02d}; please check the date.",
    },
    "invalid_time": {
        ZH: "时间“{text}”不对，请写成 14:00-16:00 的形式。",
        EN: "“{text}” is not a valid time; write it like 14:00-16:00.",
    },
    "present_exceeds_expected": {
        ZH: "实到 {present} 人多于应到 {expected} 人，请核对人数，例如：应到25 实到22。",
        EN: "{present} present is more than the {expected} expected; please check, "
        "e.g. expected 25 present 22.",
    },
    "attendance_sum": {
        ZH: "实到 {present} 人加缺席 {absent} 人超过了应到 {expected} 人，请核对人数。",
        EN: "{present} present plus {absent} absent exceeds the {expected} expected.",
    },
    "count_too_small": {
        ZH: "{field}至少为 1 人，请核对后重发，例如：应到10 实到8。",
        EN: "The {field} must be at least 1, e.g. expected 10 present 8.",
    },
    "not_group_type": {
        ZH: "“{name}”不分党小组，不能指定小组。",
        EN: "“{name}” is not held per party group.",
    },
    "undo_too_old": {
        ZH: "你最近登记的记录 #{id} 已超过24小时，不能再撤销。如有错误请用 /edit {id} 修改。",
        EN: "Your last record #{id} is more than 24 hours old and can no longer be undone; use /edit {id}.",
    },
    "negative_number": {
        ZH: "“{text}”是负数。人数和时长都要写正数，请核对后重发，例如：实到8人、2小时。",
        EN: "“{text}” is negative; counts and durations must be positive, e.g. 8 present, 2 hours.",
    },
    "number_range": {
        ZH: "“{text}”是一个范围，请写一个确定的数，例如：实到8人、1.5小时。",
        EN: "“{text}” is a range; give one number, e.g. 8 present, 1.5 hours.",
    },
    "unreadable_hours": {
        ZH: "没看懂时长“{text}”，请写小时数，例如：时长:2 或 时长:1.5小时。",
        EN: "“{text}” is not a duration; give hours, e.g. hours: 2 or hours: 1.5.",
    },
    "bad_hours": {
        ZH: "时长 {hours} 小时不合理，请写 0.5 到 24 之间的小时数，例如：2小时。",
        EN: "{hours} hours makes no sense; give 0.5 to 24 hours, e.g. 2 hours.",
    },
    "bad_time_range": {
        ZH: "结束时间要晚于开始时间，例如 14:00-16:00。",
        EN: "The end time must be after the start, e.g. 14:00-16:00.",
    },
    "unknown_group": {
        ZH: "本支部没有“{text}”这个党小组。现有党小组：{choices}。",
        EN: "There is no party group “{text}” in this branch. Groups: {choices}.",
    },
    "nothing_to_undo": {
        ZH: "你还没有可撤销的记录。",
        EN: "You have no record to undo.",
    },
    "no_such_record": {
        ZH: "找不到编号为 {id} 的记录。可用 /list 查看最近的记录及编号。",
        EN: "No record number {id}. Use /list to see recent records and their numbers.",
    },
    "no_such_commitment": {
        ZH: "找不到编号为 {id} 的承诺事项。可用 /commitments 查看编号。",
        EN: "No commitment number {id}. Use /commitments to see their numbers.",
    },
    "commitment_closed": {
        ZH: "承诺事项 #{id} 已是“{status}”，无需再次操作。",
        EN: "Commitment #{id} is already {status}.",
    },
    "commitment_closed_as": {
        ZH: "承诺事项 #{id} 已是“{status}”，不能再改为“{wanted}”。如确需重新承诺，请用 /commit 重新登记。",
        EN: "Commitment #{id} is already {status}; it cannot become {wanted}. "
        "To promise it again, use /commit.",
    },
    "due_in_past": {
        ZH: "截止日期 {day} 已经过去，请填写今后的日期，例如：截止6月30日。",
        EN: "The due date {day} has passed; give a future date, e.g. by June 30.",
    },
    "too_long": {
        ZH: "{field}太长了（最多 {limit} 字），请精简后重发。",
        EN: "The {field} is too long (at most {limit} characters).",
    },
    "unknown_branch": {
        ZH: "没有找到名为“{text}”的支部。请写支部全称或简称，例如：一村。",
        EN: "No branch called “{text}”. Give its full or short name, as /status lists them.",
    },
    "ambiguous_branch": {
        ZH: "“{text}”能对应多个支部：{choices}。请写得更具体一些。",
        EN: "“{text}” matches several branches: {choices}. Please be more specific.",
    },
    "no_org": {
        ZH: "数据库里还没有党委。请先运行 zhibu demo 或 zhibu admin create-org。",
        EN: "No organisation yet. Run zhibu demo or zhibu admin create-org first.",
    },
    "bad_report_args": {
        ZH: "没看懂“{text}”。/report 可以写支部和时间段，例如：/report 一村 2026Q1、/report 本季度。",
        EN: "I don't understand “{text}”. /report takes a branch and a period, e.g. /report 一村 Q1 2026 or /report this quarter.",
    },
    "bad_status_args": {
        ZH: "没看懂“{text}”。可以写支部、时间段或活动类型，例如：/status 一村 2026Q1、/status 本季度、/status 党课。",
        EN: "I don't understand “{text}”. Give a branch, a period or an activity type, "
        "e.g. /status Q1 2026, /status this quarter or /status lecture.",
    },
    "bad_period": {
        ZH: "时间段“{text}”不对。可以写：本月、上月、本季度、2026Q1、2026-03、2026年3月、今年、2025。",
        EN: "“{text}” is not a period. Try this month, this quarter, Q1 2026, 2026-03 or 2025.",
    },
    "own_branch_only": {
        ZH: "你可以查看本支部的情况，也可以指定时间段，例如：/{command} 本季度、/{command} 2026Q1。",
        EN: "You can see your own branch, for any period, e.g. /{command} this quarter or "
        "/{command} Q1 2026.",
    },
    "edit_commitment": {
        ZH: "/edit 修改的是会议和活动记录。承诺事项不能修改：如需改内容或截止日期，请先用 /withdraw 编号 原因 撤回，再用 /commit 重新登记。",
        EN: "/edit changes meeting records. A commitment cannot be edited: withdraw it with "
        "/withdraw NUMBER REASON and make it again with /commit.",
    },
    "bad_edit": {
        ZH: "用法：/edit 编号 字段:新值，例如：/edit 12 地点:村委会 或 /edit 12 实到20人。",
        EN: "Usage: /edit NUMBER field: value, e.g. /edit 12 place: village hall or "
        "/edit 12 present 20.",
    },
    "edit_changes_level": {
        ZH: "不能把支部的记录改成镇级活动，也不能反过来。请用 /undo 撤销后重新记录。",
        EN: "A branch record cannot become town-level work or the other way round; /undo and log it again.",
    },
    "bad_id": {
        ZH: "请在命令后写编号，例如：{example}",
        EN: "Put the number after the command, e.g. {example}",
    },
    "bad_excuse": {
        ZH: "用法：/excuse 支部 活动类型 时间段 原因，例如：/excuse 一村 党课 2026Q3 防汛抢险。",
        EN: "Usage: /excuse BRANCH TYPE PERIOD REASON, e.g. /excuse 一村 lecture Q3 2026 "
        "flood relief.",
    },
    "unknown_command": {
        ZH: "没有“{text}”这个命令。发送 /help 查看全部命令和示例。",
        EN: "There is no command “{text}”. Send /help for all commands with examples.",
    },
    "message_too_long": {
        ZH: "消息太长了（最多 {limit} 个字）。请只发送命令和要记录的内容。",
        EN: "That message is too long (at most {limit} characters). Send just the command.",
    },
    "anonymous_sender": {
        ZH: "这条消息是以群或频道的名义匿名发出的，我无法知道是谁发的，所以没有处理。"
        "请在管理员权限里关闭“保持匿名”，或改用个人账号发送。",
        EN: "This message was sent anonymously, on behalf of the group or a channel, so I cannot "
        "tell who sent it and did nothing. Turn off “Remain anonymous” in your admin rights, "
        "or send it from your personal account.",
    },
    "not_a_command": {
        ZH: "请用命令告诉我要做什么，例如：/log 支委会 昨天 出席7人。发送 /help 查看全部命令。",
        EN: "Tell me what to do with a command, e.g. /log committee yesterday 7 present. "
        "Send /help for all.",
    },
    # --- guided questions
    "ask_type": {
        ZH: "请问是什么活动？回复名称或序号：",
        EN: "Which activity? Reply with a name or number:",
    },
    "ask_study_type": {
        ZH: "请问是哪类学习？回复名称或序号：",
        EN: "Which kind of study? Reply with a name or number:",
    },
    "ask_date": {
        ZH: "哪天召开的？例如：今天、昨天、3月5日",
        EN: "When was it held? e.g. today, yesterday, March 5",
    },
    "ask_present": {
        ZH: "出席多少人？例如：8 或 应到10 实到8",
        EN: "How many attended? e.g. 8 or expected 10 present 8",
    },
    "ask_hours": {ZH: "学习了多长时间？例如：2小时", EN: "How long was it? e.g. 2 hours"},
    "ask_group": {
        ZH: "是哪个党小组？回复名称或序号：",
        EN: "Which party group? Reply with a name or number:",
    },
    "ask_content": {ZH: "承诺的内容是什么？", EN: "What is the commitment?"},
    "ask_due": {ZH: "什么时候之前完成？例如：6月30日", EN: "Due by when? e.g. June 30"},
    "ask_again": {ZH: "没看懂“{text}”。{question}", EN: "I didn't understand “{text}”. {question}"},
    "dialog_footer": {ZH: "（发送 /cancel 可取消）", EN: "(send /cancel to stop)"},
    "dialog_expired": {
        ZH: "上次的问答已超时，没有保存。请重新发送命令，例如：/log 支委会 昨天 出席7人",
        EN: "The last question timed out and nothing was saved. Please send the command again.",
    },
    "already_handled": {
        ZH: "这条消息已经处理过了，没有重复执行。",
        EN: "This message was already handled; nothing was done twice.",
    },
    "choose": {ZH: "可选：{choices}", EN: "Choose: {choices}"},
    "cancelled": {ZH: "已取消，没有保存任何内容。", EN: "Cancelled; nothing was saved."},
    "nothing_to_cancel": {ZH: "当前没有进行中的操作。", EN: "Nothing to cancel."},
    "undo_dropped_question": {
        ZH: "已取消刚才未完成的登记，没有撤销任何已保存的记录。如要撤销上一条记录，请再发送 /undo。",
        EN: "Dropped the entry in progress; no saved record was undone. To undo your last record, send /undo again.",
    },
    "question_dropped": {
        ZH: "（刚才未完成的登记已取消，没有保存。）",
        EN: "(The entry in progress was dropped, nothing saved.)",
    },
    # --- confirmations
    "logged": {ZH: "✅ 已记录 #{id}：{summary}", EN: "✅ Logged #{id}: {summary}"},
    "personal_commitment": {
        ZH: "#{id} 是{owner}的个人承诺，只有本人或支部书记、副书记可以办结。",
        EN: "#{id} is {owner}'s personal commitment; only they or the branch's secretary or deputy may close it.",
    },
    "undo_commitment": {
        ZH: "你最近登记的是承诺 #{id}，/undo 只撤销会议和活动记录。如要撤回这项承诺，请发送：/withdraw {id} 原因。",
        EN: "Your latest entry is commitment #{id}; /undo takes back meetings only. To withdraw the commitment, send /withdraw {id} and a reason.",
    },
    "commitment_twin": {
        ZH: "已有一项内容相同的进行中承诺 #{id}（截止{day}），没有重复登记。如确是另一项，请在内容里写明区别。",
        EN: "Open commitment #{id} (due {day}) says the same; not added twice. If this is another one, word it differently.",
    },
    "logged_dup": {
        ZH: "这条消息已经记录过了（#{id}），没有重复保存。",
        EN: "Already logged as #{id}; not saved twice.",
    },
    "filed_late": {
        ZH: "⏰ 按要求应在活动结束后{days}个工作日内登记，这条晚了{late}个工作日，下次请及时登记。",
        EN: "⏰ Records are due within {days:working day/working days}; this one is "
        "late by {late:working day/working days}.",
    },
    "before_set_up": {
        ZH: "ℹ️ 本支部自{day}起计入三会一课考核，这一天在此之前：记录已存入台账，但不计入完成情况。",
        EN: "ℹ️ This branch is assessed from {day}; the record is kept in the ledger but counts for nothing before then.",
    },
    "same_day": {
        ZH: "⚠️ 同一天已有一条同样的记录（#{id}）。如果是重复登记，请发送 /undo 撤销这一条。",
        EN: "⚠️ The same meeting on the same day is already logged (#{id}); send /undo if this is a duplicate.",
    },
    "beyond_roster": {
        ZH: "⚠️ 记录的{n}人多于本支部名册上的{roster}名党员，请核对人数：如是笔误，请用 /edit {id} 修改；"
        "如有列席人员或群众参加，可写在备注里。",
        EN: "⚠️ {n} people is more than the {roster} members on this branch's roll: if it is a "
        "slip, correct it with /edit {id}; guests can go in the notes.",
    },
    "quorum_short": {
        ZH: "⚠️ 实到 {present} 人未超过应到 {expected} 人的半数，按规定会议须过半数党员（委员）到会方能召开。",
        EN: "⚠️ {present} of {expected} is not more than half: this meeting needs a majority present.",
    },
    "undone": {ZH: "↩️ 已撤销 #{id}：{summary}", EN: "↩️ Undone #{id}: {summary}"},
    "edited": {ZH: "✏️ 已修改 #{id}：{summary}", EN: "✏️ Updated #{id}: {summary}"},
    "committed": {
        ZH: "📌 已登记承诺 #{id}（{owner}）：{content}，截止 {due}",
        EN: "📌 Commitment #{id} ({owner}): {content}, due {due}",
    },
    "committed_dup": {ZH: "这条承诺已经登记过了（#{id}）。", EN: "Already registered as #{id}."},
    "fulfilled": {
        ZH: "🎉 承诺 #{id} 已兑现：{content}",
        EN: "🎉 Commitment #{id} fulfilled: {content}",
    },
    "fulfilled_on": {
        ZH: "🎉 承诺 #{id} 已兑现（兑现日期 {day}）：{content}",
        EN: "🎉 Commitment #{id} fulfilled on {day}: {content}",
    },
    "fulfilled_in_future": {
        ZH: "兑现日期 {day} 还没到。已兑现的请写实际日期，例如：/done 3 12月28日已验收。",
        EN: "{day} has not come yet; give the day it was kept, e.g. /done 3 December 28 accepted.",
    },
    "fulfilled_before_made": {
        ZH: "兑现日期 {day} 早于承诺登记的日期 {made}，请核对日期。",
        EN: "{day} is before the commitment was made ({made}); please check the date.",
    },
    "withdrawn": {
        ZH: "承诺 #{id} 已撤销：{content}（原因：{reason}）",
        EN: "Commitment #{id} withdrawn: {content} (reason: {reason})",
    },
    "explained": {
        ZH: "承诺 #{id} 已登记为“未兑现-已说明”：{content}（说明：{reason}）",
        EN: "Commitment #{id} recorded as not kept, explained: {content} ({reason})",
    },
    "excuse_future": {
        ZH: "{period}还没有开始，不能提前登记免开。",
        EN: "{period} has not begun; it cannot be excused in advance.",
    },
    "excuse_held": {
        ZH: "{branch}{period}的{type}已经开过，无需登记免开。",
        EN: "{type} for {branch} in {period} was held; there is nothing to excuse.",
    },
    "excuse_again": {
        ZH: "{branch}{period}的{name}已登记为免开（原因：{reason}），无需重复登记。",
        EN: "{name} for {branch} in {period} is already excused ({reason}); nothing changed.",
    },
    "excuse_replaced": {
        ZH: "{branch}{period}的{name}原已登记为免开（原因：{before}），现将原因改为：{reason}。",
        EN: "{name} for {branch} in {period} was already excused ({before}); the reason is now: {reason}.",
    },
    "excused": {
        ZH: "已将{branch}{period}的{name}登记为免开（原因：{reason}），不计入未完成。",
        EN: "{name} for {branch} in {period} excused ({reason}).",
    },
    "owner_branch": {ZH: "支部承诺", EN: "branch"},
    "owner_personal": {ZH: "个人承诺·{name}", EN: "personal · {name}"},
    "personal_of": {ZH: "{name}个人承诺：{content}", EN: "{content} (personal, {name})"},
    "personal_unnamed": {ZH: "个人承诺：{content}", EN: "{content} (personal)"},
    "list_header": {ZH: "最近的记录：", EN: "Recent records:"},
    "list_empty": {
        ZH: "还没有任何记录。用 /log 记录第一次会议吧。",
        EN: "No records yet. Use /log to add one.",
    },
    # --- invitations, identity, group binding
    "welcome_stranger": {
        ZH: "你好！我是支部助手，帮助支部记录三会一课、承诺事项和学习活动。\n请向支部书记或镇党委索取邀请链接，点开后即可开始使用。",
        EN: "Hello! I am Zhibu, the branch assistant. Ask your branch secretary or the town office for an invitation link to get started.",
    },
    "welcome_back": {
        ZH: "{name}，你好！发送 /log 记录会议，/status 查看进度，/help 查看全部命令。",
        EN: "Hello {name}! Send /log to log a meeting, /status for progress, /help for all commands.",
    },
    "start_in_private": {
        ZH: "请在与我的私聊中打开邀请链接。",
        EN: "Please open the invitation link in a private chat with me.",
    },
    "invite_redeemed": {
        ZH: "绑定成功！{who}\n发送 /help 查看可以使用的命令。",
        EN: "You're all set! {who}\nSend /help to see what you can do.",
    },
    "invite_unknown": {
        ZH: "邀请码无效。请检查链接是否完整，或向支部书记、镇党委重新索取。",
        EN: "This invitation code is not valid. Check the link, or ask for a new one.",
    },
    "invite_used": {
        ZH: "这个邀请码已经用过了，每个邀请码只能用一次。请向支部书记或镇党委重新索取。",
        EN: "This invitation code has already been used. Please ask for a new one.",
    },
    "invite_expired": {
        ZH: "这个邀请码已过期。请向支部书记或镇党委重新索取。",
        EN: "This invitation code has expired. Please ask for a new one.",
    },
    "already_bound": {
        ZH: "你已绑定为“{name}”，无需再用邀请码。如需更换身份，请联系管理员。",
        EN: "You are already registered as “{name}”. Ask your administrator to change it.",
    },
    "bad_duration": {
        ZH: "有效期“{text}”看不懂，请写成 7d（天）、12h（小时）或 30m（分钟）。",
        EN: "Cannot read the validity “{text}”; write 7d, 12h or 30m.",
    },
    "bad_invite_role": {
        ZH: "未知的角色“{role}”，可选：{roles}。",
        EN: "Unknown role “{role}”; choose one of: {roles}.",
    },
    "invite_needs_branch": {
        ZH: "支部角色的邀请须指定支部，请加 --branch 支部名称。",
        EN: "A branch role needs a branch: add --branch NAME.",
    },
    "invite_org_role_branch": {
        ZH: "“{role}”是党委层面的角色，不属于某个支部，请去掉 --branch。",
        EN: "“{role}” is an org-level role; drop --branch.",
    },
    "whoami": {ZH: "你是 {name}（{where}）。", EN: "You are {name} ({where})."},
    "whoami_stranger": {
        ZH: "我还不认识你。请向支部书记或镇党委索取邀请链接。",
        EN: "I don't know you yet. Ask your branch secretary or the town office for an invitation link.",
    },
    "chat_unbound": {
        ZH: "本群尚未绑定支部。支部书记或支委可在群里发送 /bindgroup 绑定。",
        EN: "This group is not bound yet. A secretary or committee member can send /bindgroup here.",
    },
    "chat_bound": {ZH: "本群已绑定到{name}。", EN: "This group is bound to {name}."},
    "chat_bound_other": {
        ZH: "本群已绑定到其他支部。",
        EN: "This group is bound to another branch.",
    },
    "chat_now_bound": {
        ZH: "好的，本群已绑定到{name}。群成员绑定身份后即可在这里记录和查询。",
        EN: "Done: this group is now bound to {name}.",
    },
    "bind_in_group": {
        ZH: "请在要绑定的群聊里发送 /bindgroup。",
        EN: "Send /bindgroup in the group chat you want to bind.",
    },
    "chat_now_unbound": {
        ZH: "好的，本群已与{name}解除绑定，今后的提醒和通报不再发到这里。"
        "如需在其他群接收，请在那个群里发送 /bindgroup。",
        EN: "Done: this group is no longer bound to {name}; reminders and reports will not "
        "come here. To receive them in another group, send /bindgroup there.",
    },
    "unbind_in_group": {
        ZH: "请在要解绑的群聊里发送 /unbindgroup。",
        EN: "Send /unbindgroup in the group chat you want to unbind.",
    },
    "unbind_not_bound": {
        ZH: "本群尚未绑定，无需解绑。如需绑定，请在群里发送 /bindgroup。",
        EN: "This group is not bound, so there is nothing to unbind. Send /bindgroup to bind it.",
    },
    "chat_taken": {
        ZH: "本群已绑定到其他支部。如需更改，请联系镇党委。",
        EN: "This group is bound to another branch; ask the town office to change it.",
    },
    # --- attachments
    "attach_hint": {
        ZH: "📎 回复本条消息发送照片或文件（如签到表、会议记录），即可存为附件。",
        EN: "📎 Reply to this message with a photo or file (sign-in sheet, minutes) to attach it.",
    },
    "attached": {
        ZH: "已为记录 #{id} 添加附件：{names}。",
        EN: "Attached to record #{id}: {names}.",
    },
    "attach_dup": {
        ZH: "这个文件已经是记录 #{id} 的附件了。",
        EN: "That file is already attached to record #{id}.",
    },
    "attach_too_big": {
        ZH: "文件超过 20MB，已登记但未下载存档，请另行保存原件。",
        EN: "The file is over 20 MB: noted, but not downloaded; keep the original safe.",
    },
    "attach_where": {
        ZH: "要把文件存为附件，请回复该记录的确认消息发送，或在说明里写 /attach 记录编号，例如 /attach 12。",
        EN: "To attach a file, reply to the record's confirmation, or add the caption /attach 12.",
    },
    "attach_needs_file": {
        ZH: "请在发送照片或文件时，在说明里写 /attach 记录编号，例如 /attach 12。",
        EN: "Send the photo or file with the caption /attach 12.",
    },
    "photo": {ZH: "照片", EN: "photo"},
    # --- buttons of guided questions
    "button_stale": {
        ZH: "这个按钮已失效（问题已回答、已取消或不是发给你的）。如需重新开始，请重新发送命令。",
        EN: "This button no longer applies. Send the command again to start over.",
    },
    "ask_topic": {
        ZH: "会议或活动的主题是什么？（没有可点“跳过”）",
        EN: "What was the topic? (press “Skip” if none)",
    },
    "ask_confirm": {
        ZH: "请核对：\n{summary}\n确认无误请点“保存”，要修改请点对应按钮。",
        EN: "Please check:\n{summary}\nPress “Save”, or a button to change something.",
    },
    "ask_date_typed": {
        ZH: "好的，请直接输入日期。",
        EN: "All right, type the date.",
    },
    "choice_today": {ZH: "今天", EN: "Today"},
    "choice_yesterday": {ZH: "昨天", EN: "Yesterday"},
    "choice_other_date": {ZH: "其他日期", EN: "Another day"},
    "choice_skip": {ZH: "跳过", EN: "Skip"},
    "choice_save": {ZH: "✅ 保存", EN: "✅ Save"},
    "choice_edit_type": {ZH: "改类型", EN: "Change type"},
    "choice_edit_held_on": {ZH: "改日期", EN: "Change date"},
    "choice_edit_present": {ZH: "改人数", EN: "Change attendance"},
    "choice_edit_hours": {ZH: "改时长", EN: "Change duration"},
    "choice_edit_topic": {ZH: "改主题", EN: "Change topic"},
    "choice_cancel": {ZH: "❌ 取消", EN: "❌ Cancel"},
    # --- scheduled pushes (bot/notices.py)
    "owed_detail": {ZH: "{name}（{details}）", EN: "{name} ({details})"},
    "owed_people": {ZH: "已覆盖{held}/{need}人", EN: "{held}/{need} members"},
    "owed_times": {ZH: "已开{held}/{need}次", EN: "{held}/{need} held"},
    "commitment_due_item": {ZH: "#{id} {content}（{day}）", EN: "#{id} {content} ({day})"},
    "and_more": {ZH: " 等{n}项", EN: " and more ({n} in all)"},
    "reminder_title": {
        ZH: "📋 {branch} · {month}提醒单",
        EN: "📋 {branch} · reminders for {month}",
    },
    "reminder_month": {ZH: "本月须开：{items}", EN: "Due this month: {items}"},
    "reminder_month_done": {
        ZH: "本月的会议都已记录，辛苦了！",
        EN: "Everything due this month is already logged. Well done!",
    },
    "reminder_quarter": {ZH: "本季度还需：{items}", EN: "Still due this quarter: {items}"},
    "reminder_year": {ZH: "今年还需：{items}", EN: "Still due this year: {items}"},
    "reminder_overdue": {ZH: "⚠️ 上期未完成：{items}", EN: "⚠️ Missed last time: {items}"},
    "reminder_commitments_due": {
        ZH: "📌 本月到期的承诺：{items}",
        EN: "📌 Commitments due this month: {items}",
    },
    "reminder_commitments_overdue": {
        ZH: "⏰ 已逾期的承诺：{items}",
        EN: "⏰ Overdue commitments: {items}",
    },
    "reminder_footer": {
        ZH: "开会后发送 /log 记录，/status 查看进度。",
        EN: "Send /log after each meeting; /status shows progress.",
    },
    "digest_title": {
        ZH: "📋 {org} · {month}提醒单（汇总）",
        EN: "📋 {org} · reminders for {month} (summary)",
    },
    "digest_sent": {
        ZH: "本月提醒单已发往 {n} 个支部的群聊。",
        EN: "Branch chats reminded this month: {n}.",
    },
    "digest_lost": {
        ZH: "⚠️ 群聊已屏蔽机器人或已解散的支部：{items}（请书记重新拉机器人入群并发送 /bindgroup）",
        EN: "⚠️ Branches whose chat blocked the bot or is gone: {items} (add the bot again, then /bindgroup)",
    },
    "digest_overdue": {ZH: "⚠️ 上期未完成：", EN: "⚠️ Missed last time:"},
    "branch_sent_privately": {
        ZH: "（本支部尚未绑定群聊，或机器人已不在群里，提醒改为私信支部书记、副书记。"
        "在支部群里发送 /bindgroup 即可改发到群里。）",
        EN: "(This branch has no bound group, or the bot is no longer in it, so reminders come "
        "to the secretary and deputy privately. Send /bindgroup in the branch's group to receive "
        "them there.)",
    },
    "leaders_sent_privately": {
        ZH: "（本镇尚未绑定镇党委群，或机器人已不在群里，这条消息改为私信各位领导。"
        "在镇党委群里发送 /bindgroup 即可改发到群里。）",
        EN: "(No leaders' group is bound, or the bot is no longer in it, so this comes to each "
        "leader privately. Send /bindgroup in the leaders' group to receive it there.)",
    },
    "digest_silent": {
        ZH: "🔕 30天以上无活动记录：{items}",
        EN: "🔕 No activity for 30 days or more: {items}",
    },
    "silent_item": {ZH: "{branch}（最近一次 {day}）", EN: "{branch} (last {day})"},
    "silent_never": {ZH: "{branch}（尚无记录）", EN: "{branch} (no records yet)"},
    "digest_commitments": {ZH: "📌 逾期承诺：{items}", EN: "📌 Overdue commitments: {items}"},
    "digest_commitments_item": {ZH: "{branch} {n} 项", EN: "{branch} {n}"},
    "schedule_unknown": {
        ZH: "📅 {year}年的节假日安排尚未录入：工作日暂按法定节假日推算，调休上班日未计入。"
        "国务院办公厅通知发布后，请管理员在配置文件 [calendar] 中录入。",
        EN: "📅 The {year} holiday schedule is not entered yet: working days follow the statutory "
        "holidays, without the make-up working days. Once the State Council publishes it, an "
        "admin enters it under [calendar] in the config.",
    },
    "digest_private": {
        ZH: "ℹ️ 没有可用群聊、提醒已私信书记的支部：{items}（请书记在支部群里发送 /bindgroup）",
        EN: "ℹ️ Branches without a working group chat, reminded via their secretary: {items}",
    },
    "digest_unbound": {
        ZH: "ℹ️ 未绑定群聊、未收到提醒的支部：{items}（请书记在支部群里发送 /bindgroup）",
        EN: "ℹ️ Branches without a bound chat (not reminded): {items}",
    },
    "nudge_title": {
        ZH: "⏰ {branch}：本月还剩 {days} 个工作日，以下事项尚未记录：",
        EN: "⏰ {branch}: working days left this month: {days}. Not logged yet:",
    },
    "nudge_title_last_day": {
        ZH: "⏰ {branch}：今天是本月最后一个工作日，以下事项尚未记录：",
        EN: "⏰ {branch}: today is the month's last working day. Not logged yet:",
    },
    "nudge_footer": {
        ZH: "已召开的请发送 /log 补记；确实无法召开的，请及时向镇党委说明。",
        EN: "If held, log it with /log; if it cannot be held, tell the town office.",
    },
    "deadlines_title": {ZH: "📌 {branch} · 承诺事项提醒", EN: "📌 {branch} · commitments"},
    "deadlines_soon": {ZH: "{days}天后到期：{items}", EN: "Due in {days:day/days}: {items}"},
    "deadlines_today": {ZH: "今天到期：{items}", EN: "Due today: {items}"},
    "deadlines_overdue": {ZH: "⏰ 已逾期：{items}", EN: "⏰ Now overdue: {items}"},
    "deadlines_footer": {
        ZH: "已兑现的请发送 /done 编号 登记；确实无法兑现的，用 /explain 编号 原因 说明。",
        EN: "Fulfilled? Send /done NUMBER. Cannot be kept? /explain NUMBER REASON.",
    },
    "overdue_digest_title": {
        ZH: "⏰ {org} · 逾期未兑现的承诺（{n}项）",
        EN: "⏰ {org} · overdue commitments ({n})",
    },
    "digest_more": {
        ZH: "……另有{n}项，发送 /commitments 全部 查看。",
        EN: "… and {n} more: send /commitments all.",
    },
    "overdue_digest_item": {
        ZH: "· {branch} #{id} {content}（{day}到期，已逾期{late}天）",
        EN: "· {branch} #{id} {content} (due {day}, overdue by {late} d)",
    },
    "summary_rule_item": {ZH: "{name} {held}/{need}", EN: "{name} {held}/{need}"},
    # 谈心谈话 counts people reached, not meetings held
    "summary_coverage_item": {
        ZH: "{name} 已谈{held}人/应谈{need}人",
        EN: "{name} {held}/{need} members reached",
    },
    "summary_rules": {
        ZH: "各项会议（已开/应开）：{items}",
        EN: "Meetings (held/required): {items}",
    },
    "quarterly_title": {
        ZH: "📊 {org} · {period}三会一课通报",
        EN: "📊 {org} · {period} compliance report",
    },
    "annual_title": {
        ZH: "📑 {org} · {year}党建工作数据（述职用）",
        EN: "📑 {org} · {year} in numbers",
    },
    "annual_meeting": {ZH: "{name}{n}次", EN: "{name} ×{n}"},
    "in_year": {ZH: "年内", EN: "During the year"},
    "full_stop": {ZH: "。", EN: "."},
    "rate_none": {ZH: "—（暂无到期事项）", EN: "— (none due yet)"},
    "annual_meetings": {ZH: "{when}各支部共召开{items}。", EN: "{when}: held {items}."},
    "branch_meetings": {ZH: "{when}本支部共召开{items}。", EN: "{when}: held {items}."},
    "annual_study": {ZH: "共开展{items}。", EN: "Study: {items}."},
    "annual_commitments": {
        ZH: "{n}个村党组织和党组织书记分别承诺事项{own}件、{personal}件（年内到期{own_due}件、{personal_due}件），履诺率分别达到{own_rate}、{personal_rate}。",
        EN: "{n:branch/branches} and their secretaries made {own} and {personal} commitments ({own_due} and {personal_due} due in the year); fulfilment {own_rate} and {personal_rate}.",
    },
    "branch_annual_commitments": {
        ZH: "本支部和支部书记分别承诺事项{own}件、{personal}件（年内到期{own_due}件、{personal_due}件），履诺率分别达到{own_rate}、{personal_rate}。",
        EN: "The branch and its secretary made {own} and {personal} commitments ({own_due} and {personal_due} due in the year); fulfilment {own_rate} and {personal_rate}.",
    },
    "branch_period_commitments": {
        ZH: "本支部和支部书记本期到期的承诺事项分别为{own}件、{personal}件，履诺率分别达到{own_rate}、{personal_rate}。",
        EN: "The branch and its secretary had {own} and {personal} commitments due; fulfilment {own_rate} and {personal_rate}.",
    },
    "period_commitments": {
        ZH: "{n}个村党组织和党组织书记本期到期的承诺事项分别为{own}件、{personal}件，履诺率分别达到{own_rate}、{personal_rate}。",
        EN: "{n:branch/branches} and their secretaries had {own} and {personal} commitments due; fulfilment {own_rate} and {personal_rate}.",
    },
    "annual_rate": {
        ZH: "{when}三会一课完成率 {rate}。",
        EN: "{when}: {rate} of the required meetings were held.",
    },
    "nudge_silent": {
        ZH: "🔕 {org}：以下支部30天以上无活动记录，请过问：{items}",
        EN: "🔕 {org}: no activity for 30 days or more, please follow up: {items}",
    },
    "report_not_begun": {
        ZH: "{period}尚未开始，还没有可生成的台账。请换一个已经开始的时间段，例如 /report 本季度。",
        EN: "{period} has not begun: there is no ledger yet. Pick a period under way, e.g. /report this quarter.",
    },
    "report_ready": {
        ZH: "📎 {who} · {period} 台账：{records} 条活动记录、{commitments} 项承诺事项。",
        EN: "📎 Ledger of {who} · {period}: {records:record/records}, {commitments:commitment/commitments}.",
    },
    # --- the console adapter (zhibu run without a chat platform, zhibu console)
    "console_banner": {
        ZH: "支部助手控制台（身份 {user}，聊天 {chat}）。输入 /help 查看命令，Ctrl-D 退出。"
        "接入 Telegram：在 config.toml 的 [telegram] 下填写 token，或设置环境变量 ZHIBU_TELEGRAM__TOKEN。",
        EN: "Zhibu console (as {user} in chat {chat}). Type /help for the commands, Ctrl-D to "
        "quit. To connect Telegram, set the token under [telegram] in config.toml or the "
        "environment variable ZHIBU_TELEGRAM__TOKEN.",
    },
    "console_file": {ZH: "[文件] {path}", EN: "[file] {path}"},
    "commitments_header": {ZH: "进行中的承诺事项：", EN: "Open commitments:"},
    "commitments_header_all": {ZH: "全部承诺事项：", EN: "All commitments:"},
    "commitments_empty_all": {
        ZH: "还没有登记过承诺事项。用 /commit 登记一项。",
        EN: "No commitments yet. Use /commit to add one.",
    },
    "commitments_empty": {
        ZH: "目前没有进行中的承诺事项。用 /commit 登记一项。",
        EN: "No open commitments. Use /commit to add one.",
    },
    # --- the zhibu command line (bot/cli*.py); its --help stays Chinese
    "cli_error": {ZH: "错误：{message}", EN: "Error: {message}"},
    "cli_bad_now": {
        ZH: "--now 的格式不对：{value}，应为 2026-03-15 或 2026-03-15T10:00",
        EN: "--now is not a date or time: {value}; write 2026-03-15 or 2026-03-15T10:00",
    },
    "cli_bad_since": {
        ZH: "--since 的格式不对：{value}，应为 2026-01-01",
        EN: "--since is not a date: {value}; write 2026-01-01",
    },
    "cli_bad_period": {
        ZH: "看不懂时间段“{text}”，可写 2026-03、2026Q1、2026 或 本季度",
        EN: "cannot read the period “{text}”: write 2026-03, 2026Q1, 2026 or “this quarter”",
    },
    "db_unavailable": {
        ZH: "无法打开数据库 {url}：{problem}（配置项 database.url，环境变量 ZHIBU_DATABASE__URL）",
        EN: "cannot open the database {url}: {problem} (setting database.url, environment "
        "variable ZHIBU_DATABASE__URL)",
    },
    "db_unknown_dialect": {
        ZH: "不认识这种数据库，地址应以 sqlite:/// 或 postgresql+psycopg:// 开头",
        EN: "unknown kind of database: the URL should begin with sqlite:/// or "
        "postgresql+psycopg://",
    },
    "db_bad_url": {
        ZH: "地址的格式不对，应形如 sqlite:///./data/zhibu.db "
        "或 postgresql+psycopg://用户:密码@主机:5432/库名",
        EN: "the URL is malformed: it should look like sqlite:///./data/zhibu.db or "
        "postgresql+psycopg://user:password@host:5432/dbname",
    },
    "db_no_driver": {
        ZH: "缺少数据库驱动 {name}，PostgreSQL 请用 postgresql+psycopg://",
        EN: "the database driver {name} is missing; for PostgreSQL use postgresql+psycopg://",
    },
    "db_cannot_create": {
        ZH: "无法创建或打开{where}（{reason}），请确认其所在文件夹存在且可写",
        EN: "cannot create or open{where} ({reason}); check that its folder exists and is writable",
    },
    "db_not_sqlite": {
        ZH: "这个文件不是 SQLite 数据库，请确认路径指向 Zhibu 的数据库文件",
        EN: "this file is not an SQLite database; check that the path names Zhibu's database",
    },
    "db_connect_failed": {
        ZH: "连接失败（{reason}），请确认数据库在运行、路径或主机、账号无误",
        EN: "cannot connect ({reason}); check that the database is running and that the path "
        "or host and the account are right",
    },
    "db_other": {ZH: "{name}，请确认地址无误", EN: "{name}; check the URL"},
    "db_not_current": {
        ZH: "数据库结构不是最新版本，请先运行 zhibu db upgrade",
        EN: "the database schema is not up to date: run zhibu db upgrade first",
    },
    "db_upgraded": {ZH: "数据库结构已是最新版本。", EN: "The database schema is up to date."},
    "db_current": {ZH: "最新", EN: "up to date"},
    "db_needs_upgrade": {
        ZH: "需要升级：运行 zhibu db upgrade",
        EN: "needs an upgrade: run zhibu db upgrade",
    },
    "demo_written": {
        ZH: "已写入演示数据：示范镇党委，8个村党支部。",
        EN: "Demo data written: the demo town 示范镇党委 with 8 village branches.",
    },
    "demo_exists": {
        ZH: "演示数据已存在，未做改动（如需重建请加 --reset）。",
        EN: "The demo data is already there; nothing changed (add --reset to rebuild it).",
    },
    "cli_invite_code": {
        ZH: "邀请码（{where} · {role}，{expires} 前有效，只能使用一次）：",
        EN: "Invitation code ({where} · {role}, valid until {expires}, single use):",
    },
    "cli_invite_link": {ZH: "邀请链接：{url}", EN: "Invitation link: {url}"},
    "cli_invite_no_username": {
        ZH: "未配置 telegram.bot_username，也无法向 Telegram 查询；被邀请人可私聊机器人发送：",
        EN: "telegram.bot_username is not set and Telegram could not be asked; the invited "
        "person can send the bot, in a private chat:",
    },
    "cli_invite_username_failed": {
        ZH: "（无法向 Telegram 查询机器人用户名：{problem}）",
        EN: "(Could not ask Telegram for the bot's username: {problem})",
    },
    "admin_created_org": {ZH: "已创建党委“{name}”。", EN: "Created the organisation “{name}”."},
    "admin_created_branch": {ZH: "已创建支部“{name}”。", EN: "Created the branch “{name}”."},
    "admin_created_group": {
        ZH: "已在{branch}创建党小组“{name}”。",
        EN: "Created the party group “{name}” in {branch}.",
    },
    "admin_added_member": {
        ZH: "已添加成员“{name}”（编号 {id}）。",
        EN: "Added the member “{name}” (number {id}).",
    },
    "admin_imported": {
        ZH: "已导入 {created} 名成员，跳过已存在的 {skipped} 名。",
        EN: "Imported {created:member/members}; skipped {skipped} already there.",
    },
    "admin_bound_user": {
        ZH: "已将 {platform} 用户 {user} 绑定到“{name}”。",
        EN: "Bound {platform} user {user} to “{name}”.",
    },
    "admin_chat_unchanged": {
        ZH: "{platform} 聊天 {chat} 已绑定到“{owner}”，无需改动。",
        EN: "{platform} chat {chat} is already bound to “{owner}”; nothing changed.",
    },
    "admin_chat_moved": {
        ZH: "已将 {platform} 聊天 {chat} 从“{before}”改绑到“{owner}”，原来排队给它的推送不再发出。",
        EN: "Moved {platform} chat {chat} from “{before}” to “{owner}”; what was queued for "
        "it before will not be sent.",
    },
    "admin_chat_bound": {
        ZH: "已将 {platform} 聊天 {chat} 绑定到“{owner}”。",
        EN: "Bound {platform} chat {chat} to “{owner}”.",
    },
    "admin_chat_unbound": {
        ZH: "已解除 {platform} 聊天 {chat} 的绑定，此后不再向它推送。",
        EN: "Unbound {platform} chat {chat}; nothing more will be pushed to it.",
    },
    "admin_list_branch": {
        ZH: "  {name}{short}：{n} 名成员",
        EN: "  {name}{short}: {n:member/members}",
    },
    "admin_list_short": {ZH: "（{short}）", EN: " ({short})"},
    "export_done": {
        ZH: "已导出 {name} {period} {kind}：{path}",
        EN: "Exported {name} {period} {kind}: {path}",
    },
    "export_kind_xlsx": {ZH: "台账", EN: "ledger"},
    "export_kind_docx": {ZH: "报告", EN: "report"},
    "export_kind_png": {ZH: "热力图", EN: "heatmap"},
    "export_kind_csv": {ZH: "数据", EN: "data"},
    "export_example_file": {ZH: "台账.xlsx", EN: "ledger.xlsx"},
    "export_not_begun": {
        ZH: "{period}尚未开始，还没有可导出的内容。请换一个已经开始的时间段。",
        EN: "{period} has not begun: there is nothing to export yet. Choose a period under way.",
    },
    "export_out_is_folder": {
        ZH: "--out 指向的是文件夹：{out}。请写出文件名，如 {example}",
        EN: "--out names a folder: {out}. Give a file name, e.g. {example}",
    },
    "export_unknown_format": {
        ZH: "看不出要导出哪种文件：请用 --format 指定 xlsx、docx、png 或 csv。",
        EN: "cannot tell which kind of file to export: give --format xlsx, docx, png or csv.",
    },
    "export_format_mismatch": {
        ZH: "--out 的扩展名 .{suffix} 与 --format {given} 不符：请把文件名改为 .{given} 结尾。",
        EN: "--out ends in .{suffix} but --format is {given}: make the file name end in .{given}.",
    },
    "export_cannot_write": {
        ZH: "无法写入 {out}：{reason}。请换一个存在且有写权限的文件夹。",
        EN: "cannot write {out}: {reason}. Choose a folder that exists and is writable.",
    },
    "write_no_folder": {
        ZH: "文件夹不存在，也无法创建",
        EN: "the folder does not exist and cannot be created",
    },
    "write_forbidden": {ZH: "没有写权限", EN: "no permission to write"},
    "write_read_only": {ZH: "这是只读的文件系统", EN: "the file system is read-only"},
    "write_disk_full": {ZH: "磁盘空间不足", EN: "the disk is full"},
    "write_not_folder": {ZH: "路径中有一段不是文件夹", EN: "part of the path is not a folder"},
    "jobs_next": {ZH: "接下来：{fires}", EN: "Next: {fires}"},
    "jobs_unknown": {
        ZH: "没有名为“{name}”的任务。可用：{names}",
        EN: "No job called “{name}”. Jobs: {names}",
    },
    "jobs_ran": {
        ZH: "{name}（按 {at} 计算）：新写入 {added} 条推送。",
        EN: "{name} (as of {at}): {added:new push/new pushes} queued.",
    },
    "jobs_sent": {ZH: "已发送 {sent} 条。", EN: "Sent: {sent}."},
    "jobs_telegram_down": {
        ZH: "Telegram 连接不上（{problem}），发往 Telegram 的推送留在队列中，稍后由机器人发送。",
        EN: "Cannot reach Telegram ({problem}); the pushes for Telegram stay queued, for the "
        "bot to send later.",
    },
    "outbox_none_failed": {ZH: "没有发送失败的推送。", EN: "No failed pushes."},
    "outbox_none": {ZH: "没有待发送的推送。", EN: "No pushes waiting."},
    "outbox_row": {
        ZH: "#{id} {job} → {target} 已尝试{attempts}次 {when}{error}",
        EN: "#{id} {job} → {target} tried {attempts:time/times} {when}{error}",
    },
    "outbox_next": {ZH: "下次尝试 {at}", EN: "next try {at}"},
    "outbox_error": {ZH: "  错误：{problem}", EN: "  error: {problem}"},
    # --- setup refusals (core/admin.py's AdminError), after cli_error's "错误："
    "admin_no_such_org": {ZH: "找不到党委“{name}”", EN: "no organisation called “{name}”"},
    "admin_no_org": {
        ZH: "还没有党委，请先运行 zhibu admin create-org 名称",
        EN: "no organisation yet: run zhibu admin create-org NAME first",
    },
    "admin_org_exists": {ZH: "党委“{name}”已存在", EN: "the organisation “{name}” already exists"},
    "admin_branch_name_empty": {ZH: "支部名称不能为空", EN: "a branch needs a name"},
    "admin_branch_exists": {ZH: "支部“{name}”已存在", EN: "the branch “{name}” already exists"},
    "admin_branch_name_taken": {
        ZH: "{what}“{value}”已是“{holder}”的{kind}；同一党委的支部全称和简称不能重复，请换一个{what}",
        EN: "the {what} “{value}” is already the {kind} of “{holder}”: no two branches of an "
        "organisation may share a full or short name; choose another {what}",
    },
    "word_name": {ZH: "名称", EN: "name"},
    "word_short_name": {ZH: "简称", EN: "short name"},
    "word_full_name": {ZH: "全称", EN: "full name"},
    "admin_group_name_empty": {ZH: "党小组名称不能为空", EN: "a party group needs a name"},
    "admin_group_exists": {
        ZH: "{branch}已有党小组“{name}”，未重复创建",
        EN: "{branch} already has the party group “{name}”; not created again",
    },
    "admin_no_such_group": {
        ZH: "{branch}没有党小组“{name}”（{there}）；如需新建，请先运行 zhibu admin add-group {short} {name}",
        EN: "{branch} has no party group “{name}” ({there}); to create it, first run "
        "zhibu admin add-group {short} {name}",
    },
    "admin_groups_are": {ZH: "现有党小组：{names}", EN: "its groups: {names}"},
    "admin_no_groups": {ZH: "该支部还没有党小组", EN: "it has no party groups yet"},
    "admin_unknown_role": {
        ZH: "未知的角色“{role}”，可写：{words}（或 {codes}）",
        EN: "unknown role “{role}”: write one of {codes}",
    },
    "admin_member_name_empty": {ZH: "成员姓名不能为空", EN: "a member needs a name"},
    "admin_role_needs_branch": {
        ZH: "“{role}”是支部角色，须指定所在支部（--branch 支部名称；导入时填 branch 列）",
        EN: "“{role}” is a branch role: give the branch (--branch NAME; the branch column "
        "when importing)",
    },
    "admin_group_needs_branch": {
        ZH: "指定党小组时必须同时指定支部",
        EN: "a party group needs its branch too (--branch)",
    },
    "admin_same_name": {
        ZH: "“{name}”已是{where}的成员；如确是同名的另一人，请加 --allow-same-name",
        EN: "“{name}” is already a member of {where}; if this is another person of the same "
        "name, add --allow-same-name",
    },
    "admin_no_such_branch": {ZH: "找不到支部“{name}”", EN: "no branch called “{name}”"},
    "admin_no_such_member": {ZH: "找不到成员“{name}”", EN: "no member called “{name}”"},
    "admin_members_share_name": {
        ZH: "有{n}位成员叫“{name}”，请用 --branch 指明支部",
        EN: "{n} members are called “{name}”: name the branch with --branch",
    },
    "admin_unknown_platform": {
        ZH: "未知的平台“{platform}”，可写：{platforms}",
        EN: "unknown platform “{platform}”: write {platforms}",
    },
    "admin_user_taken": {
        ZH: "{platform} 用户 {user} 已绑定到“{holder}”；如确要改绑，请加 --force",
        EN: "{platform} user {user} is already bound to “{holder}”; add --force to move it",
    },
    "admin_leaders_chat": {ZH: "{org}（党委群）", EN: "{org} (leaders' chat)"},
    "admin_chat_taken": {
        ZH: "{platform} 聊天 {chat} 已绑定到“{before}”；如确要改绑到“{to}”，请加 --force"
        "（此后{before}的提醒不再发到这个聊天）",
        EN: "{platform} chat {chat} is already bound to “{before}”; add --force to move it to "
        "“{to}” (then the reminders of {before} no longer come to this chat)",
    },
    "admin_chat_not_bound": {
        ZH: "{platform} 聊天 {chat} 没有绑定到“{org}”，无需解绑。",
        EN: "{platform} chat {chat} is not bound to “{org}”; nothing to unbind.",
    },
    "admin_chat_just_unbound": {
        ZH: "{platform} 聊天 {chat} 刚被解除绑定，无需再解。",
        EN: "{platform} chat {chat} was unbound a moment ago; nothing to unbind.",
    },
    "admin_csv_header": {
        ZH: "{path}: 第1行须是表头，至少包含 name 列（可用列：{columns}）",
        EN: "{path}: line 1 must be the header, with at least the name column (columns: {columns})",
    },
    "admin_csv_row": {ZH: "{path} 第{line}行：{problem}", EN: "{path} line {line}: {problem}"},
    "admin_csv_broken": {
        ZH: "{path} 第{line}行不是有效的 CSV：{problem}",
        EN: "{path} line {line} is not valid CSV: {problem}",
    },
    "admin_csv_no_name": {ZH: "姓名为空", EN: "the name is empty"},
    "admin_file_missing": {
        ZH: "找不到文件 {path}，请检查路径",
        EN: "no file {path}; check the path",
    },
    "admin_file_is_folder": {
        ZH: "{path} 是一个文件夹，请给出 CSV 文件的路径",
        EN: "{path} is a folder; give the path of a CSV file",
    },
    "admin_file_forbidden": {
        ZH: "没有权限读取 {path}，请检查文件权限",
        EN: "no permission to read {path}; check the file's permissions",
    },
    "admin_file_unreadable": {
        ZH: "无法读取 {path}（{problem}），请检查路径",
        EN: "cannot read {path} ({problem}); check the path",
    },
    "admin_file_is_workbook": {
        ZH: "{path} 是 Excel 工作簿，不是 CSV：请在 Excel 里“另存为”CSV 文件",
        EN: "{path} is an Excel workbook, not a CSV: in Excel, “Save As” a CSV file",
    },
    "admin_file_encoding": {
        ZH: "{path} 不是 UTF-8 或 GB18030 编码的文本：请在 Excel 里“另存为”CSV UTF-8 文件",
        EN: "{path} is not UTF-8 or GB18030 text: in Excel, “Save As” a CSV UTF-8 file",
    },
    "admin_validity_range": {
        ZH: "有效期“{text}”超出范围：须在 1m（1分钟）到 365d（365天）之间，如 7d",
        EN: "the validity “{text}” is out of range: from 1m (1 minute) to 365d (365 days), e.g. 7d",
    },
    "admin_demo_reset_refused": {
        ZH: "数据库里还有演示以外的党委，拒绝清空；--reset 只用于演示数据库",
        EN: "the database holds organisations besides the demo, so it was not cleared: "
        "--reset is for a demo database only",
    },
    # --- what each scheduled job does, for `zhibu jobs list`
    "job_monthly_reminder": {
        ZH: "每月第{n}个工作日 {at}：各支部月提醒单，镇党委汇总",
        EN: "Working day {n} of each month at {at}: each branch's reminder list for the month, "
        "and a summary for the town",
    },
    "job_month_end_nudge": {
        ZH: "月末剩余 {days} 个工作日时 {at}：提醒尚有未完成事项的支部，向镇党委通报沉寂支部",
        EN: "At {at} with {days} working days left in the month: reminds the branches "
        "with items still to do, and tells the town which branches are silent",
    },
    "job_commitment_deadlines": {
        ZH: "每天 {at}：承诺事项{warn}天后到期、今天到期、刚逾期的提醒各支部；"
        "每周{weekday}向镇党委通报逾期承诺",
        EN: "Daily at {at}: tells each branch of commitments due in {warn:day/days}, due today "
        "or just overdue; every {weekday}, the overdue commitments to the town",
    },
    "job_quarterly_summary": {
        ZH: "每季度结束后第{n}个工作日 {at}：上季度三会一课通报（镇党委）",
        EN: "Working day {n} after each quarter, at {at}: last quarter's compliance report "
        "(to the town)",
    },
    "job_annual_summary": {
        ZH: "每年1月第{n}个工作日 {at}：上一年的述职数据（镇党委）",
        EN: "Working day {n} of January, at {at}: last year's figures for the annual review "
        "(to the town)",
    },
}


class _Count(int):
    """An integer that an English template can pair with its noun: ``{days:day/days}`` reads
    "1 day" or "3 days". Without a ``/`` in the spec it formats as a plain integer."""

    def __format__(self, spec: str) -> str:
        if "/" not in spec:
            return int.__format__(self, spec)
        one, many = spec.split("/", 1)
        return f"{int(self)} {one if self == 1 else many}"


def t(key: str, locale: str = ZH, **params: Any) -> str:
    entry = _CATALOGUE[key]
    text = entry.get(locale) or entry[ZH]
    if not params:
        return text
    return text.format(**{k: _Count(v) if type(v) is int else v for k, v in params.items()})


def field_name(name: str, locale: str = ZH) -> str:
    return FIELD_NAMES.get(locale, FIELD_NAMES[ZH]).get(name, name)


def role_name(role: str, locale: str = ZH) -> str:
    return ROLE_NAMES.get(locale, ROLE_NAMES[ZH]).get(role, role)


def fmt_date(day: date, locale: str = ZH) -> str:
    return day.isoformat() if locale == EN else f"{day.year}年{day.month}月{day.day}日"


def fmt_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1f}%"
