"""Simplified Chinese messages (keys as in en.py). Missing keys fall back to English.

Same HTML tags and {placeholders} as en.py (tests/bot/test_i18n.py checks it);
commands, keywords (at, add, del) and example names stay in Latin letters.
"""

MESSAGES: dict[str, str] = {
    # general
    "error": "系统内部出错，短信未发送。请重试；如反复出现，请联系管理员。",
    "private_bot": "这是私有机器人。",
    "id": "本聊天 ID：<code>{chat_id}</code>\n你的用户 ID：<code>{user_id}</code>",
    "admins_only": "只有管理员可以执行此操作。请联系 SMSBOT_ADMIN_USER_IDS 中的管理员。",
    "help": (
        "<b>smsbot</b> 可以在本群直接给手机发短信。\n\n"
        "/sms 目标 内容：发送短信。目标可以是号码、联系人名称或 @分组，用逗号或空格分隔。\n"
        "  <code>/sms 13800138000 服务已恢复</code>\n"
        "  <code>/sms alice,bob,@oncall 22:00 开始发布</code>\n"
        "  回复某条消息并发送 <code>/sms alice</code>，即可把那条消息作为短信发出。\n"
        "  换行即结束目标：下一行起都是短信内容，可以用数字开头。\n"
        "/sms at YYYY-MM-DD HH:MM 目标 内容：定时发送（北京时间）。\n"
        "  <code>/sms at 2026-12-01 09:00 @oncall 今晚系统维护</code>\n"
        "/scheduled：本群等待发送的定时短信，每条都有取消按钮。\n"
        "/balance：短信网关账户剩余条数。\n"
        "/history [号码|名称]：最近的发送记录及送达情况。\n"
        "/history #编号：某次发送的每个号码、其状态及失败原因。\n"
        "/contacts、/groups：通讯录。\n"
        "/contact add 名称 号码，/contact del 名称（管理员）\n"
        "/contacts import（作为 CSV 文件的说明，或回复该文件），/contacts export："
        "以 CSV 文件（姓名、号码、分组）导入或导出通讯录（管理员）\n"
        "/group add 名称 成员...，/group del 名称（管理员）\n"
        "  <code>/group add oncall alice bob 13900139000</code>\n"
        "/ack 编号：确认告警。\n"
        "/id：查看本聊天的 ID 和你的 ID。\n\n"
        "在收件群里，每个发来短信的手机号都有自己的话题；在话题里发的消息会以短信回复给该手机号。"
    ),
    "commands_sms": "发送短信：/sms 目标 内容",
    "commands_scheduled": "定时短信：查看和取消",
    "commands_balance": "短信网关账户剩余条数",
    "commands_history": "最近的发送及送达情况",
    "commands_contacts": "查看联系人；/contacts import 或 export：CSV 文件导入导出",
    "commands_groups": "查看联系人分组",
    "commands_contact": "添加或删除联系人（管理员）",
    "commands_group": "添加或删除分组（管理员）",
    "commands_ack": "确认告警：/ack 编号",
    "commands_id": "查看本聊天和你的 ID",
    "commands_help": "使用说明",
    # /sms
    "sms_usage": (
        "请按 <code>/sms 目标 内容</code> 的格式发送，例如 <code>/sms 13800138000 服务已恢复</code>，"
        "或回复一条消息并发送 <code>/sms 目标</code>。"
    ),
    "sms_no_text": "没有要发送的内容：请在号码后面写上短信内容，或回复一条消息并发送 /sms 目标。",
    "sms_at_usage": (
        "定时发送请把时间写成 <code>/sms at YYYY-MM-DD HH:MM 目标 内容</code>（北京时间），"
        "例如 <code>/sms at 2026-12-01 09:00 @oncall 今晚系统维护</code>。"
    ),
    "sms_text_on_new_line": "如果“{name}”本是短信内容的开头，请换行后再写内容（目标写在第一行）。",
    "unknown_contact": "找不到联系人“{name}”：请直接写号码，或用 /contact add {name} 号码 添加。",
    "unknown_group": "没有分组“@{name}”：请查看 /groups，或用 /group add {name} 成员 创建。",
    "empty_group": "分组“@{name}”没有成员：请用 /group add {name} 成员 添加。",
    "invalid_number": "{raw} 不是有效号码：{reason}。请改正后重新发送。",
    "unsupported_chars": "{chars} 无法发送：网关编码（{encoding}）不支持该字符。请删除或替换。",
    "text_too_long": "内容共 {length} 个字符，最多 {limit} 个。请精简。",
    "empty_text": "内容为空：请写上短信内容。",
    "no_recipients": "没有可发送的号码：请至少填写一个号码、联系人或 @分组。",
    "input_error": "{message}",
    "cost_line": "{n} 个号码 · 每个 {segments} 条 · 共计 {cost} 条",
    "confirm_question": "确定发送给 {n} 个号码吗？\n{cost}\n\n<blockquote>{text}</blockquote>\n此确认 10 分钟后失效。",
    "confirm_button": "确认",
    "cancel_button": "取消",
    "confirm_not_yours": "只有发起人才能确认这次发送。",
    "confirm_expired": "已超过 10 分钟，确认失效，未发送任何短信。请重新发送命令。",
    "confirm_cancelled": "已取消，未发送任何短信。",
    "confirm_done": "已确认。",
    "confirm_gone": "这次发送已被确认或取消。",
    "confirm_balance": "余额：{balance} 条。",
    "confirm_balance_failed": "无法查询余额（{error}）：如余额不足，网关将拒绝发送。",
    "confirm_balance_low": "⚠ 余额 {balance} 条，少于本次费用：请在 {when}（北京时间）前充值，否则网关将拒绝发送。",
    "sms_over_balance": "✗ 未发送：本次需 {cost} 条，余额仅 {balance} 条。请为网关账户充值，或减少号码、缩短内容。",
    # status of a send
    "status_pending": "正在发送给 {n} 个号码…",
    "status_sent": "已发送给 {n} 个号码 · 每个 {segments} 条 · 共计 {cost} 条 · 已送达 {delivered}/{n}",
    "status_failed_part": " · 失败 {failed}",
    "status_scheduled_part": " · 定时于 {when}（北京时间）",
    "status_all_in": " · 回执已全部收到",
    "status_rejected": "网关拒收了 {rejected} 个号码（通常是位数不对）。",
    "status_unknown": (
        "⚠ {n} 个号码的发送结果未知：{reason}，短信可能已发出。"
        "再次发送前请先查看 /history 或与对方确认（系统不会自动重发）。"
    ),
    "status_not_sent": "✗ 有 {n} 个号码未发送：{error}。这些号码未扣费。",
    "status_resend": "向未发送的 {n} 个号码补发：<code>{command}</code>",
    "status_resend_part": (
        "向未发送的 {n} 个号码中的前 {shown} 个补发：<code>{command}</code>\n"
        "（另有 {more} 个号码未在此列出。）"
    ),
    "status_failed": "✗ 未发送：{error}。未扣费，请稍后重试。",
    "status_refused": "✗ 网关拒绝发送：{error}",
    # balance
    "balance": "余额：<b>{balance}</b> 条。",
    "balance_failed": "无法查询余额：{error}",
    "low_balance": "⚠ 短信余额仅剩 {balance} 条（提醒阈值 {threshold} 条）。请及时为网关账户充值。",
    # contacts & groups
    "contact_usage": "请写成 <code>/contact add 名称 号码</code> 或 <code>/contact del 名称</code>，例如 <code>/contact add alice 13800138000</code>。",
    "group_usage": "请写成 <code>/group add 名称 成员...</code> 或 <code>/group del 名称</code>，例如 <code>/group add oncall alice 13900139000</code>。",
    "bad_name": "“{name}”不能用作名称：请用一个不超过 32 个字符的词，不能是号码，不能含 @ 或逗号。",
    "contact_added": "已添加联系人 {name} → {phone}。",
    "contact_updated": "联系人 {name} 已改为 → {phone}。",
    "contact_deleted": "已删除联系人 {name}。",
    "contact_missing": "没有联系人“{name}”。请查看 /contacts。",
    "contacts_empty": "还没有联系人。用 /contact add 名称 号码 添加。",
    "contacts": "<b>联系人</b>\n{lines}",
    "group_added": "已保存分组 @{name}，共 {n} 个成员。",
    "group_deleted": "已删除分组 @{name}。",
    "group_missing": "没有分组“@{name}”。请查看 /groups。",
    "groups_empty": "还没有分组。用 /group add 名称 成员 创建。",
    "group_cycle": "@{name} 不能包含 {member}：这样 @{name} 会包含它自己（{path}）。请从成员中去掉 {member}。",
    "member_in_use": "{name} 是 {groups} 的成员：未删除任何内容。请先把它从这些分组中去掉（用 /group add 名称 成员 重新设置，不含它），再删除。",
    "group_stale": "已跳过（已不是联系人或分组）：{members}。请用 /group add 名称 成员 修正分组。",
    "groups": "<b>分组</b>\n{lines}",
    # /contacts import, /contacts export (CSV 文件)
    "contacts_import_usage": (
        "请把 CSV 文件作为文件发送，并附上说明 <code>/contacts import</code>，或回复该文件 "
        "<code>/contacts import</code>。列：姓名、号码、分组（多个分组用 ; 或空格分隔）；第一行标题可有可无。"
        "UTF-8 或 GBK 编码（Excel 默认保存的格式）均可。<code>/contacts export</code> 可把通讯录导出为这样的文件。"
    ),
    "contacts_import_download_failed": "无法从 Telegram 获取该文件（{error}）：请重新发送。",
    "contacts_import_head": "<b>已导入 {file}</b>：读取 {rows} 行（{encoding}）。",
    "contacts_import_added": "新增 {n} 个：{names}",
    "contacts_import_updated": "更新 {n} 个：{names}",
    "contacts_import_unchanged": "无变化：{n} 个",
    "contacts_import_new_groups": "新建分组 {n} 个：{names}",
    "contacts_import_more": " … 另有 {n} 个",
    "contacts_import_refused": "拒绝 {n} 行，未导入（其余行已导入）：请修改后重新导入该文件；已导入的行不会重复。",
    "contacts_import_line": "第 {line} 行：{reason}",
    "contacts_import_rest": "… 另有 {n} 行被拒绝。",
    "contacts_import_nothing": "没有变化：通讯录中已包含每一行。",
    "contacts_export_caption": (
        "通讯录：{contacts} 个联系人，{groups} 个分组。可用 Excel 编辑，然后附上说明 /contacts import 发回。"
    ),
    "csv_too_big": "文件超过 {limit}，不像是通讯录。请发送包含姓名、号码、分组三列的 CSV 文件。",
    "csv_workbook": "这是 Excel 工作簿（或其他二进制文件），不是 CSV：请在 Excel 中选择“文件 → 另存为 → CSV UTF-8（或 CSV）”，再发送该文件。",
    "csv_encoding": "文件既不是 UTF-8 也不是 GBK 编码：请另存为 CSV UTF-8 后重新发送。",
    "csv_empty": "文件中没有数据：每行写一个联系人，格式为 姓名, 号码, 分组。",
    "csv_header": "第一行像是标题（{columns}），但没有姓名列和号码列：请命名为 姓名、号码、分组（或 name, number, groups）。",
    "csv_too_many": "文件超过 {limit} 行：请拆分成较小的文件。",
    "csv_unreadable": "第 {line} 行附近无法按 CSV 读取（{error}）：请检查那里的引号。",
    "csv_bad_number": "{raw} 不是有效号码：{reason}",
    "csv_bad_group": "“{name}”不能作为分组名：只能是一个词，最多 32 个字符，不能是号码，不能含 @ 或逗号",
    "csv_group_number": "@{name} 是分组：号码一栏请留空",
    "csv_no_name": "没有姓名也没有号码：请填写姓名和号码，或号码及其分组",
    "csv_number_no_groups": "{number} 没有姓名：请填写姓名，或填写它所属的分组",
    "csv_no_number": "{name} 没有号码：请填写在号码一栏",
    "csv_duplicate": "{name} 已在第 {first} 行出现：每个联系人只写一行",
    "csv_group_cycle": "@{name} 不能包含 {member}：否则 @{name} 会包含自身（{path}）",
    # history
    "history_empty": "还没有发送记录。",
    "history_none_for": "还没有发给 {who} 的记录。",
    "history": "<b>最近发送</b>\n{lines}\n\n<i>/history #编号：查看某次发送的每个号码。</i>",
    "history_for": "<b>发给 {who} 的记录</b>\n{lines}",
    "history_number_line": "#{id} {when} · 该号码：{state}\n<i>{text}</i>",
    "history_not_number": (
        "{raw} 不是电话号码（手机号为 11 位）。"
        "要查看发送 #{raw}，请输入 <code>/history #{raw}</code>。"
    ),
    "history_usage": (
        "请输入 <code>/history</code>（最近的发送）、<code>/history 号码</code> 或 <code>/history 名称</code>"
        "（某个号码的发送），或 <code>/history #编号</code>（该次发送的每个号码；"
        "<code>/history #编号 2</code> 查看第 2 页）。"
    ),
    "number_failed": "✗ 发送失败（{when}）：{reason}",
    "number_delivered": "✓ 已送达（{when}）",
    "number_not_sent": "✗ 未发送：{reason}",
    "number_unknown": "⚠ 结果未知：{reason}",
    "number_waiting": "⏳ 尚无回执",
    "number_sending": "↻ 发送中",
    "report_failed_reason": "运营商回执为未送达（回执状态 {status}）",
    # 某次发送的每个号码（/history #编号、“详情”按钮）
    "details_button": "详情",
    "prev_button": "‹ 上一页",
    "next_button": "下一页 ›",
    "detail_head": (
        "<b>发送 #{id}</b> · {when}{by} · {n} 个号码 · {state} · "
        "已送达 {delivered}/{accepted}{failed}\n<i>{text}</i>"
    ),
    "detail_by": " · 发送人 {who}",
    "detail_failed": "✗ <b>发送失败</b>（{n}）：{reason}",
    "detail_not_sent": "✗ <b>未发送</b>（{n}）：{reason}",
    "detail_unknown": "⚠ <b>结果未知</b>（{n}）：{reason}",
    "detail_waiting": "⏳ <b>尚无回执</b>（{n}）",
    "detail_sending": "↻ <b>发送中</b>（{n}）",
    "detail_delivered": "✓ <b>已送达</b>（{n}）",
    "detail_page": "第 {page}/{pages} 页：用下方按钮或 <code>/history #{id} 页码</code> 查看其他页。",
    "detail_no_send": "没有发送 #{id}：/history 列出最近的发送及其编号。",
    "detail_no_page": "发送 #{id} 的号码共 {pages} 页：请指定 1 到 {pages} 之间的页码。",
    "history_line": "#{id} {when} · {state} · {targets} · 已送达 {delivered}/{accepted}{failed}\n<i>{text}</i>",
    "state_pending": "发送中",
    "state_accepted": "已发送",
    "state_partial": "部分发送",
    "state_refused": "被拒绝",
    "state_failed": "未发送",
    "state_unknown": "结果未知",
    # two-way
    "inbound_header": "📩 <b>{sender}</b> · {when}",
    "inbound_line": "<i>{when}</i> {text}",
    "topic_title": "{name} {phone}",
    "only_text": "短信只能发送文字：请用文字消息回复。",
    "reply_failed": "这条回复未能发送：{reason}",
    "edit_not_sent": "编辑过的命令不会再次执行：本次编辑没有发送任何短信。请把改好的 /sms 作为新消息发送。",
    "edit_not_sent_reply": "本次编辑没有发送：对方收到的是最初写的短信。如需补充，请发一条新消息。",
    "reply_unknown_thread": "此话题已不再关联任何手机号。请改用 /sms 号码 内容。",
    # alerts
    "ack_usage": "请写成 <code>/ack 编号</code>，例如 <code>/ack 12</code>。",
    "ack_unknown": "没有编号为 {code} 的未处理告警。",
    "ack_done": "告警 {code} 已由 {who} 确认。",
    "ack_already": "告警 {code} 已于 {when}（北京时间）由 {who} 确认。",
    "ack_already_resolved": "告警 {code} 已于 {when} 由 {who} 确认，并于 {resolved} 恢复（北京时间）。",
    "ack_resolved": "告警 {code} 已于 {when}（北京时间）恢复，无需再确认。",
    "ack_closed": "告警 {code} 无需确认：它没有发送出去（原因见告警群里的副本）。",
    "ack_expired": "告警 {code} 已不能确认：编号只在 24 小时内有效，该告警发送于 {when}（北京时间）。",
    # two-way (forward job and topic replies)
    "inbound_empty": "<i>（空短信）</i>",
    # alerts (webhook, the copy in the alert chat)
    "alert_copy_head": "🚨 <b>告警 {id}</b> → @{group}{code}\n<blockquote>{text}</blockquote>",
    "alert_copy_code": " · 确认编号 <code>{code}</code>",
    "alert_copy_more": "本条短信还包括：{names}",
    "alert_copy_sending": "⏳ 发送中…",
    "alert_copy_retry": "↻ 尚未发出：将于 {when}（北京时间）重试，第 {attempt}/{max} 次。",
    "alert_copy_gave_up": "✗ 尝试 {attempts} 次后仍未发出：{error}",
    "alert_copy_error": "✗ 未发送：{error}",
    "alert_copy_attempts": "第 {attempts} 次尝试时发出。",
    "alert_copy_capped": (
        "⏸ 受每小时上限（每个号码每小时 {max} 条告警短信）限制，{n} 个号码暂未收到："
        "额度恢复后，每个号码会收到一条汇总短信。"
    ),
    "alert_copy_acked": "✅ 已由 {who} 于 {when}（北京时间）确认",
    "alert_copy_resolved": "✔ 已于 {when}（北京时间）恢复",
    # 告警（webhook 的拒绝，以 JSON 应答：纯文本，不含标签；< 和 & 写成实体）
    "webhook_not_utf8": "请求体不是 UTF-8 编码的 JSON",
    "webhook_not_json": "请求体不是有效的 JSON：{detail}（第 {line} 行第 {column} 列）",
    "webhook_too_deep": "请求体的 JSON 嵌套超过 {depth} 层；告警只需要几层",
    "webhook_number_too_long": "请求体中有超过 {digits} 位的数字；长数字请写成字符串",
    "webhook_unknown_shape": (
        "无法识别的内容：应为 Alertmanager 或 Grafana 的 webhook（带 'alerts' 列表的对象），"
        '或 {{"text": "..."}}'
    ),
    "webhook_not_strings": "{where} 必须是值为字符串的对象",
    "webhook_bad_status": "{where} 必须是 'firing' 或 'resolved'，而不是 {status}",
    "webhook_no_alerts": "'alerts' 必须是非空列表",
    "webhook_not_object": "{where} 必须是对象",
    "webhook_no_text": "'text' 必须是非空字符串",
    "webhook_no_group": "没有联系人分组：请 POST 到 /alerts/&lt;分组名&gt;，或给每条告警加上标签 {label}",
    "webhook_unknown_group": (
        "未知的联系人分组“{name}”：请在 Telegram 中用 /group add {name} 成员... 创建，"
        "或改正 URL 或 smsbot_group 标签"
    ),
    "webhook_empty_group": "联系人分组“{name}”没有成员：请用 /group add {name} 成员... 添加",
    "webhook_store_unreadable": "无法读取数据库；请重试",
    "webhook_not_stored": "告警未能保存；请重试",
    "webhook_off": (
        "告警未开启：请把 SMSBOT_WEBHOOK_TOKEN 设为一个足够长的随机密钥，并以 "
        "'Authorization: Bearer &lt;token&gt;' 发送"
    ),
    "webhook_no_token": "缺少令牌：请发送请求头 'Authorization: Bearer &lt;SMSBOT_WEBHOOK_TOKEN&gt;'",
    "webhook_wrong_token": "令牌错误：请把 SMSBOT_WEBHOOK_TOKEN 的值作为 bearer 令牌发送",
    "webhook_bad_length": "Content-Length 请求头不是数字",
    "webhook_too_big": "请求体有 {length} 字节；最多 {max} 字节（256 KiB）",
    "webhook_body_over": "请求体超过 {max} 字节（256 KiB）",
    "webhook_body_late": "请求体未在 {seconds} 秒内到达（已收到 {length} 字节）；请一次完整发送",
    "webhook_not_running": "告警功能尚未运行；请重试",
    "webhook_internal_error": "内部错误：告警未保存；请重试",
    "webhook_no_endpoint": "没有这个接口 {path}：可用 POST /alerts/&lt;分组名&gt;、GET /healthz、GET /metrics",
    "webhook_method": "这里不允许 {method} 方法；请用 {allowed}",
    # 网关未接受发送的原因（sms_core 错误的原因代码 GatewayReason）
    "gw_forbidden_word": "网关拒绝了敏感词“{word}”：请修改短信内容",
    "gw_login_failed": "网关拒绝登录：请管理员检查 SMSBOT_GATEWAY_USERNAME 和 SMSBOT_GATEWAY_PASSWORD",
    "gw_insufficient_balance": "账户余额不足：请充值",
    "gw_account_locked": "网关账户已被锁定：请联系短信服务商",
    "gw_account_not_found": "网关找不到我们的账户：请管理员检查 SMSBOT_GATEWAY_USERNAME",
    "gw_busy": "网关繁忙",
    "gw_unavailable": "无法连接网关",
    "gw_too_many_numbers": "网关拒绝单次超过 100 个号码",
    "gw_content_too_long": "短信内容超过网关上限 335 个字符",
    "gw_no_target": "网关没有收到号码",
    "gw_no_content": "网关没有收到短信内容",
    "gw_page_maybe_lost": "网关对读取请求的应答丢失了",
    "gw_gateway_error": "网关出错",
    # 发送结果未知或发送中断的原因（sms_core 的 UnknownReason 代码）；gw_unreadable 也是 GatewayReason 的代码
    "gw_timeout": "网关未及时应答",
    "gw_unreadable": "网关返回了无法识别的内容",
    "gw_http_status": "网关返回了 HTTP {status}",
    "gw_connection_closed": "网关应答前连接已断开",
    "gw_interrupted": "机器人在发送途中停止了",
    "gw_internal_error": "机器人内部出错，发送中断",
    "gw_unknown": "没有收到可用的应答",
    # 网关客户端在发送前拒绝的输入（sms_core 的 InputReason 代码）
    "gw_invalid_number": "有号码无效",
    "gw_unsupported_characters": "短信中有网关编码不支持的字符",
    "gw_text_too_long": "短信内容太长",
    "gw_empty_text": "短信内容为空",
    "gw_no_recipients": "没有可发送的号码",
    "gw_invalid_schedule": "定时发送的时间无法使用",
    # 号码被拒绝的原因（sms_core 的 NumberReason 代码）
    "number_characters": "号码只能包含数字、空格、短横线，以及开头的 +",
    "number_empty": "号码为空",
    "number_foreign": "本网关只能发送中国号码（+86）",
    "number_mobile_length": "手机号应为 11 位",
    "number_mobile_prefix": "手机号应以 13 至 19 开头",
    "number_area_code": "固定电话需要加区号，例如 0755-80808080",
    "number_landline": "不是带有效区号的固定电话号码，例如 0755-80808080",
    "number_landline_short": "固定电话在区号后应有 7 或 8 位数字，例如 0755-80808080",
    "number_shape": "手机号为 11 位且以 1 开头；固定电话以区号开头，例如 0755-80808080",
    "number_too_long": "位数太多，不是电话号码",
    # 定时发送的拒绝（sms_core.schedule）
    "schedule_format": "“{text}”不是有效的日期时间：请写成 YYYY-MM-DD HH:MM（北京时间）。",
    "schedule_past": "{at} 已经过去：请给出更晚的时间（北京时间，现在是 {now}）。",
    "schedule_ahead": "{at} 超过一年以后：请给出 {limit} 之前的时间（北京时间）。",
    # 定时短信，由机器人保存到预定时间再发送（bot/services/scheduled.py）
    "held_status": "🕒 定时于 {when}（北京时间），尚未发送 · {cost}\n发送 /scheduled 可取消。",
    "held_cancelled": "✗ 已被 {who} 取消：定时于 {when}（北京时间）的短信未发送。",
    "held_missed": "✗ 未发送：预定时间 {when}（北京时间）时机器人未在运行，而定时短信最多延后 {grace} 分钟发送。",
    "scheduled_missed_notice": (
        "{who}：你定时于 {when}（北京时间）发给 {n} 个号码的短信未发送。"
        "当时机器人未在运行，已延误 {late} 分钟，超过了允许的 {grace} 分钟。如仍需要，请重新发送。"
    ),
    "scheduled_missed_command": "立即发送：<code>{command}</code>",
    "scheduled_empty": "本群没有等待发送的定时短信。定时发送：<code>/sms at YYYY-MM-DD HH:MM 目标 内容</code>。",
    "scheduled_list": "<b>定时短信</b>（北京时间）\n{lines}",
    "scheduled_line": "#{id} · {when} · 发给 {targets} · 共计 {cost} 条 · 由 {who} 创建\n<i>{text}</i>",
    "scheduled_more": "… 另有 {n} 条，待以上短信发送或取消后列出。",
    "scheduled_targets_more": "等另外 {n} 个",
    "scheduled_cancel_button": "取消 #{id}",
    "scheduled_cancelled": "#{id} 已取消，不会发送。",
    "scheduled_not_yours": "只有创建这条定时短信的人或管理员才能取消它。",
    "scheduled_already_sent": "#{id} 正在发送或已发送，无法取消。请查看 /history。",
    "scheduled_already_cancelled": "#{id} 已经取消过了。",
    "scheduled_not_waiting": "#{id} 已不在等待发送，无需取消。",
}
