"""English messages. Telegram HTML; placeholders are escaped by bot.i18n.t."""

MESSAGES: dict[str, str] = {
    # general
    "error": "Something went wrong on our side; nothing was sent. Try again, and tell an admin if it repeats.",
    "private_bot": "This is a private bot.",
    "id": "Chat id: <code>{chat_id}</code>\nYour user id: <code>{user_id}</code>",
    "admins_only": "Only admins can do that. Ask an admin listed in SMSBOT_ADMIN_USER_IDS.",
    "help": (
        "<b>smsbot</b> texts phones from this chat.\n\n"
        "/sms TARGETS TEXT: send an SMS. Targets are numbers, contact names or @group, "
        "separated by commas or spaces.\n"
        "  <code>/sms 13800138000 Server is back</code>\n"
        "  <code>/sms alice,bob,@oncall Deploy starts at 22:00</code>\n"
        "  Reply to a message with <code>/sms alice</code> to text that message.\n"
        "  A line break ends the targets: the text below it may start with anything, even a number.\n"
        "/sms at YYYY-MM-DD HH:MM TARGETS TEXT: schedule (China Standard Time).\n"
        "  <code>/sms at 2026-12-01 09:00 @oncall Maintenance tonight</code>\n"
        "/scheduled: the scheduled sends waiting in this chat, each with a button to cancel it.\n"
        "/balance: messages left on the gateway account.\n"
        "/history [NUMBER|NAME]: the last sends and their delivery.\n"
        "/history #ID: each number of send ID, its state and why it failed.\n"
        "/contacts, /groups: the address book.\n"
        "/contact add NAME NUMBER, /contact del NAME (admins)\n"
        "/contacts import (the caption of a CSV file, or a reply to one), /contacts export: "
        "the address book as a CSV file of name, number, groups (admins)\n"
        "/group add NAME MEMBERS..., /group del NAME (admins)\n"
        "  <code>/group add oncall alice bob 13900139000</code>\n"
        "/ack CODE: acknowledge an alert.\n"
        "/id: this chat's id and yours.\n\n"
        "In the inbox chat every phone that writes gets its own topic; what you write there goes back to that phone by SMS."
    ),
    "commands_sms": "Send an SMS: /sms TARGETS TEXT",
    "commands_scheduled": "Scheduled sends: list and cancel",
    "commands_balance": "Messages left on the gateway account",
    "commands_history": "Recent sends and their delivery",
    "commands_contacts": "List contacts; /contacts import or export: as a CSV file",
    "commands_groups": "List contact groups",
    "commands_contact": "Add or delete a contact (admins)",
    "commands_group": "Add or delete a group (admins)",
    "commands_ack": "Acknowledge an alert: /ack CODE",
    "commands_id": "Show this chat's id and yours",
    "commands_help": "How to use this bot",
    # /sms
    "sms_usage": (
        "Write it as <code>/sms TARGETS TEXT</code>, e.g. <code>/sms 13800138000 Server is back</code>, "
        "or reply to a message with <code>/sms TARGETS</code>."
    ),
    "sms_no_text": "There is no text to send: write it after the numbers, or reply to a message with /sms TARGETS.",
    "sms_at_usage": (
        "To schedule, write the time as <code>/sms at YYYY-MM-DD HH:MM TARGETS TEXT</code> (China Standard Time), "
        "e.g. <code>/sms at 2026-12-01 09:00 @oncall Maintenance tonight</code>."
    ),
    "sms_text_on_new_line": "If '{name}' was meant as the start of the text, put the text on a new line after the targets.",
    "unknown_contact": "I don't know the contact '{name}': use a number, or add it with /contact add {name} NUMBER.",
    "unknown_group": "There is no group '@{name}': see /groups, or create it with /group add {name} MEMBERS.",
    "empty_group": "The group '@{name}' has no members: add some with /group add {name} MEMBERS.",
    "invalid_number": "{raw} is not a valid number: {reason}. Fix it and send again.",
    "unsupported_chars": "{chars} cannot be sent: the gateway's encoding ({encoding}) has no such character. Remove or replace it.",
    "text_too_long": "The text has {length} characters; at most {limit}. Shorten it.",
    "empty_text": "The text is empty: write what the SMS should say.",
    "no_recipients": "There is no number to send to: give at least one number, contact or @group.",
    "input_error": "{message}",
    "cost_line": "{n} {n|number|numbers} · {segments} {segments|segment|segments} each · cost {cost}",
    "confirm_question": "Send to {n} {n|number|numbers}?\n{cost}\n\n<blockquote>{text}</blockquote>\nThis question expires in 10 minutes.",
    "confirm_button": "Confirm",
    "cancel_button": "Cancel",
    "confirm_not_yours": "Only the person who asked can confirm this send.",
    "confirm_expired": "This question expired after 10 minutes: nothing was sent. Send the command again.",
    "confirm_cancelled": "Cancelled: nothing was sent.",
    "confirm_done": "Confirmed.",
    "confirm_gone": "This send was already confirmed or cancelled.",
    "confirm_balance": "Balance: {balance} {balance|message|messages}.",
    "confirm_balance_failed": "Could not read the balance ({error}): if it is too low, the gateway will refuse the send.",
    "confirm_balance_low": (
        "⚠ Balance: {balance} {balance|message|messages}, less than this send costs: top it up before {when} (China time), "
        "or the gateway will refuse it."
    ),
    "sms_over_balance": (
        "✗ Not sent: this send costs {cost} {cost|message|messages} and the balance is {balance}. "
        "Top up the gateway account, or send to fewer numbers or a shorter text."
    ),
    # status of a send
    "status_pending": "Sending to {n} {n|number|numbers}…",
    "status_sent": "Sent to {n} {n|number|numbers} · {segments} {segments|segment|segments} each · cost {cost} · delivered {delivered}/{n}",
    "status_failed_part": " · failed {failed}",
    "status_scheduled_part": " · scheduled for {when} (China time)",
    "status_all_in": " · all reports in",
    "status_rejected": "The gateway rejected {rejected} {rejected|number|numbers} (usually a wrong length).",
    "status_unknown": (
        "⚠ Outcome unknown for {n} {n|number|numbers}: {reason}. "
        "It may have been sent: check /history or the phones before sending again (nothing is retried automatically)."
    ),
    "status_not_sent": "✗ Not sent to {n} {n|number|numbers}: {error}. Those were not charged.",
    "status_resend": "To send to the {n} {n|number|numbers} not sent: <code>{command}</code>",
    "status_resend_part": (
        "To send to the first {shown} of the {n} numbers not sent: <code>{command}</code>\n"
        "({more} more are not listed here.)"
    ),
    "status_failed": "✗ Not sent: {error}. Nothing was charged; try again later.",
    "status_refused": "✗ The gateway refused the send: {error}",
    # balance
    "balance": "Balance: <b>{balance}</b> messages.",
    "balance_failed": "Could not read the balance: {error}",
    "low_balance": "⚠ The SMS balance is down to {balance} messages (warning threshold {threshold}). Top up the gateway account.",
    # contacts & groups
    "contact_usage": "Write <code>/contact add NAME NUMBER</code> or <code>/contact del NAME</code>, e.g. <code>/contact add alice 13800138000</code>.",
    "group_usage": "Write <code>/group add NAME MEMBERS...</code> or <code>/group del NAME</code>, e.g. <code>/group add oncall alice 13900139000</code>.",
    "bad_name": "'{name}' cannot be a name: use one word of at most 32 characters, not a number, without @ or commas.",
    "contact_added": "Contact {name} → {phone} added.",
    "contact_updated": "Contact {name} now → {phone}.",
    "contact_deleted": "Contact {name} deleted.",
    "contact_missing": "There is no contact '{name}'. See /contacts.",
    "contacts_empty": "No contacts yet. Add one with /contact add NAME NUMBER.",
    "contacts": "<b>Contacts</b>\n{lines}",
    "group_added": "Group @{name} with {n} {n|member|members} saved.",
    "group_deleted": "Group @{name} deleted.",
    "group_missing": "There is no group '@{name}'. See /groups.",
    "groups_empty": "No groups yet. Create one with /group add NAME MEMBERS.",
    "group_cycle": "@{name} cannot contain {member}: that would put @{name} inside itself ({path}). Leave {member} out of the members.",
    "member_in_use": "{name} is a member of {groups}: nothing was deleted. Take it out of each (/group add NAME MEMBERS without it), then delete it.",
    "group_stale": "Skipped, no longer a contact or group: {members}. Fix the group with /group add NAME MEMBERS.",
    "groups": "<b>Groups</b>\n{lines}",
    # /contacts import, /contacts export (a CSV file)
    "contacts_import_usage": (
        "Send the CSV file as a document with the caption <code>/contacts import</code>, or reply "
        "<code>/contacts import</code> to it. Columns: name, number, groups (groups separated by ; or spaces); "
        "a header row is optional. UTF-8 or GBK, as Excel saves it. <code>/contacts export</code> gives the "
        "address book as such a file."
    ),
    "contacts_import_download_failed": "The file could not be fetched from Telegram ({error}): send it again.",
    "contacts_import_head": "<b>Imported {file}</b>: {rows} {rows|row|rows} read ({encoding}).",
    "contacts_import_added": "Added {n}: {names}",
    "contacts_import_updated": "Updated {n}: {names}",
    "contacts_import_unchanged": "Already so: {n}",
    "contacts_import_new_groups": "New {n|group|groups}: {names}",
    "contacts_import_more": " … and {n} more",
    "contacts_import_refused": (
        "Refused {n} {n|row|rows}, not imported (the other rows are): fix {n|it|them} and import the file "
        "again; the rows already in stay as they are."
    ),
    "contacts_import_line": "line {line}: {reason}",
    "contacts_import_rest": "… and {n} more refused {n|row|rows}.",
    "contacts_import_nothing": "Nothing changed: the address book already holds every row.",
    "contacts_export_caption": (
        "The address book: {contacts} {contacts|contact|contacts}, {groups} {groups|group|groups}. "
        "Edit it (Excel opens it) and send it back with the caption /contacts import."
    ),
    "csv_too_big": "The file is larger than {limit}: no address book is that big. Send a CSV with the columns name, number, groups.",
    "csv_workbook": "This is an Excel workbook (or another binary file), not CSV: in Excel choose File → Save As → CSV UTF-8 (or CSV), and send that file.",
    "csv_encoding": "The file's text is neither UTF-8 nor GBK: save it as CSV UTF-8 and send it again.",
    "csv_empty": "The file has no rows: write one contact a line, as name, number, groups.",
    "csv_header": "The first row looks like a header ({columns}) but names no name and number columns: call them name, number, groups (or 姓名, 号码, 分组).",
    "csv_too_many": "The file has more than {limit} rows: split it into smaller files.",
    "csv_unreadable": "The file cannot be read as CSV near line {line} ({error}): check the quotes there.",
    "csv_bad_number": "{raw} is not a valid number: {reason}",
    "csv_bad_group": "'{name}' cannot be a group name: one word of at most 32 characters, not a number, without @ or commas",
    "csv_group_number": "@{name} is a group: leave its number empty",
    "csv_no_name": "no name and no number: write a name and a number, or a number and its groups",
    "csv_number_no_groups": "{number} has no name: give it one, or name the groups it belongs to",
    "csv_no_number": "{name} has no number: write it in the number column",
    "csv_duplicate": "{name} is already on line {first}: one row per contact",
    "csv_group_cycle": "@{name} cannot contain {member}: that would put @{name} inside itself ({path})",
    # history
    "history_empty": "No sends yet.",
    "history_none_for": "No sends to {who} yet.",
    "history": "<b>Last sends</b>\n{lines}\n\n<i>/history #ID: each number of a send.</i>",
    "history_for": "<b>Sends to {who}</b>\n{lines}",
    "history_number_line": "#{id} {when} · this number: {state}\n<i>{text}</i>",
    "history_not_number": (
        "{raw} is not a phone number (a mobile number has 11 digits). "
        "For send #{raw} write <code>/history #{raw}</code>."
    ),
    "history_usage": (
        "Write <code>/history</code> (the last sends), <code>/history NUMBER</code> or <code>/history NAME</code> "
        "(one phone's sends), or <code>/history #ID</code> (each number of send ID; "
        "<code>/history #ID 2</code> for its second page)."
    ),
    "number_failed": "✗ failed at {when}: {reason}",
    "number_delivered": "✓ delivered at {when}",
    "number_not_sent": "✗ not sent: {reason}",
    "number_unknown": "⚠ outcome unknown: {reason}",
    "number_waiting": "⏳ no report yet",
    "number_sending": "↻ sending",
    "report_failed_reason": "the carrier reported it undelivered (report status {status})",
    # one send, number by number (/history #ID, the Details button)
    "details_button": "Details",
    "prev_button": "‹ Prev",
    "next_button": "Next ›",
    "detail_head": (
        "<b>Send #{id}</b> · {when}{by} · {n} {n|number|numbers} · {state} · "
        "delivered {delivered}/{accepted}{failed}\n<i>{text}</i>"
    ),
    "detail_by": " · by {who}",
    "detail_failed": "✗ <b>Failed</b> ({n}): {reason}",
    "detail_not_sent": "✗ <b>Not sent</b> ({n}): {reason}",
    "detail_unknown": "⚠ <b>Outcome unknown</b> ({n}): {reason}",
    "detail_waiting": "⏳ <b>No report yet</b> ({n})",
    "detail_sending": "↻ <b>Sending</b> ({n})",
    "detail_delivered": "✓ <b>Delivered</b> ({n})",
    "detail_page": "Page {page} of {pages}: the buttons, or <code>/history #{id} PAGE</code>, show the others.",
    "detail_no_send": "There is no send #{id}: /history lists the last sends with their ids.",
    "detail_no_page": "Send #{id} has {pages} {pages|page|pages} of numbers: ask for a page from 1 to {pages}.",
    "history_line": "#{id} {when} · {state} · {targets} · delivered {delivered}/{accepted}{failed}\n<i>{text}</i>",
    "state_pending": "sending",
    "state_accepted": "sent",
    "state_partial": "partly sent",
    "state_refused": "refused",
    "state_failed": "not sent",
    "state_unknown": "outcome unknown",
    # two-way
    "inbound_header": "📩 <b>{sender}</b> · {when}",
    "inbound_line": "<i>{when}</i> {text}",
    "topic_title": "{name} {phone}",
    "only_text": "Only text can be sent by SMS: write your answer as a text message.",
    "reply_failed": "Could not send this reply: {reason}",
    "edit_not_sent": "An edited command is not acted on again: nothing was sent for this edit. Send the corrected /sms as a new message.",
    "edit_not_sent_reply": "This edit was not sent: the phone got the SMS as first written. Write a new message to send more.",
    "reply_unknown_thread": "This topic is not linked to a phone any more. Use /sms NUMBER TEXT.",
    # alerts
    "ack_usage": "Write <code>/ack CODE</code>, e.g. <code>/ack 12</code>.",
    "ack_unknown": "There is no open alert with code {code}.",
    "ack_done": "Alert {code} acknowledged by {who}.",
    "ack_already": "Alert {code} was already acknowledged by {who} at {when} (China time).",
    "ack_already_resolved": (
        "Alert {code} was already acknowledged by {who} at {when}, and resolved at {resolved} (China time)."
    ),
    "ack_resolved": "Alert {code} resolved at {when} (China time): there is nothing left to acknowledge.",
    "ack_closed": "Alert {code} takes no ack: it was not sent (its copy in the alert chat says why).",
    "ack_expired": "Alert {code} can no longer be acknowledged: a code takes acks for 24 hours, and it was sent at {when} (China time).",
    # alerts (webhook, the copy in the alert chat)
    "alert_copy_head": "🚨 <b>Alert {id}</b> → @{group}{code}\n<blockquote>{text}</blockquote>",
    "alert_copy_code": " · ack code <code>{code}</code>",
    "alert_copy_more": "Also in this SMS: {names}",
    "alert_copy_sending": "⏳ Sending…",
    "alert_copy_retry": "↻ Not sent yet: trying again at {when} (China time), attempt {attempt} of {max}.",
    "alert_copy_gave_up": "✗ Not sent after {attempts} attempts: {error}",
    "alert_copy_error": "✗ Not sent: {error}",
    "alert_copy_attempts": "Sent at attempt {attempts}.",
    "alert_copy_capped": (
        "⏸ Held back from {n} {n|phone|phones} by the hourly cap ({max} alert SMS per phone per hour): "
        "each gets one summary SMS when its hour reopens."
    ),
    "alert_copy_acked": "✅ Acknowledged by {who} at {when} (China time)",
    "alert_copy_resolved": "✔ Resolved at {when} (China time)",
    # alerts (the webhook's refusals, answered as JSON: plain text, no tags; < and & written as entities)
    "webhook_not_utf8": "the body is not UTF-8 JSON",
    "webhook_not_json": "the body is not valid JSON: {detail} at line {line} column {column}",
    "webhook_too_deep": "the body is JSON nested more than {depth} levels deep; an alert needs a few",
    "webhook_number_too_long": "the body holds a number of more than {digits} digits; send long numbers as strings",
    "webhook_unknown_shape": (
        "unknown payload: expected an Alertmanager or Grafana webhook (an object with an 'alerts' list) "
        'or {{"text": "..."}}'
    ),
    "webhook_not_strings": "{where} must be an object of strings",
    "webhook_bad_status": "{where} must be 'firing' or 'resolved', not {status}",
    "webhook_no_alerts": "'alerts' must be a non-empty list",
    "webhook_not_object": "{where} must be an object",
    "webhook_no_text": "'text' must be a non-empty string",
    "webhook_no_group": "no contact group: POST to /alerts/GROUP, or give each alert the label {label}",
    "webhook_unknown_group": (
        "unknown contact group '{name}': create it in Telegram with /group add {name} MEMBERS..., "
        "or fix the URL or the smsbot_group label"
    ),
    "webhook_empty_group": "the contact group '{name}' has no members: add some with /group add {name} MEMBERS...",
    "webhook_store_unreadable": "the store cannot be read; try again",
    "webhook_not_stored": "the alert could not be stored; try again",
    "webhook_off": (
        "alerts are off: set SMSBOT_WEBHOOK_TOKEN to a long random secret and send it as "
        "'Authorization: Bearer &lt;token&gt;'"
    ),
    "webhook_no_token": "missing token: send the header 'Authorization: Bearer &lt;SMSBOT_WEBHOOK_TOKEN&gt;'",
    "webhook_wrong_token": "wrong token: send the value of SMSBOT_WEBHOOK_TOKEN as the bearer token",
    "webhook_bad_length": "the Content-Length header is not a number",
    "webhook_too_big": "the body has {length} bytes; at most {max} (256 KiB)",
    "webhook_body_over": "the body is over {max} bytes (256 KiB)",
    "webhook_body_late": "the body did not arrive within {seconds} s (it had {length} bytes); send it whole at once",
    "webhook_not_running": "alerts are not running yet; try again",
    "webhook_internal_error": "internal error: the alert was not stored; try again",
    "webhook_no_endpoint": "no such endpoint {path}: POST /alerts/GROUP, GET /healthz, GET /metrics",
    "webhook_method": "method {method} not allowed here; use {allowed}",
    # two-way (forward job and topic replies)
    "inbound_empty": "<i>(empty SMS)</i>",
    # why the gateway did not take a send: the reason code of sms_core's error (GatewayReason)
    "gw_forbidden_word": "the gateway refused the word {word}: rephrase the text",
    "gw_login_failed": "the gateway refused our login: an admin must check SMSBOT_GATEWAY_USERNAME and SMSBOT_GATEWAY_PASSWORD",
    "gw_insufficient_balance": "the account's balance is too low: top it up",
    "gw_account_locked": "the gateway account is locked: ask the SMS provider",
    "gw_account_not_found": "the gateway does not know our account: an admin must check SMSBOT_GATEWAY_USERNAME",
    "gw_busy": "the gateway is busy",
    "gw_unavailable": "the gateway cannot be reached",
    "gw_too_many_numbers": "the gateway refused more than 100 numbers in one request",
    "gw_content_too_long": "the text is longer than the gateway's 335 characters",
    "gw_no_target": "the gateway got no number",
    "gw_no_content": "the gateway got no text",
    "gw_page_maybe_lost": "the gateway's answer to a read was lost",
    "gw_gateway_error": "the gateway failed",
    # why the outcome of a send is unknown, or why it stopped (the reason code of sms_core's UnknownReason);
    # gw_unreadable is also GatewayReason's: an answer that cannot be read
    "gw_timeout": "the gateway gave no answer in time",
    "gw_unreadable": "the gateway answered something unreadable",
    "gw_http_status": "the gateway answered HTTP {status}",
    "gw_connection_closed": "the connection closed before the gateway answered",
    "gw_interrupted": "the bot stopped mid-send",
    "gw_internal_error": "an error in the bot stopped the send",
    "gw_unknown": "no usable answer came back",
    # input the gateway client refused before sending (the reason code of sms_core's InputReason)
    "gw_invalid_number": "a number is not valid",
    "gw_unsupported_characters": "the text has a character the gateway's encoding lacks",
    "gw_text_too_long": "the text is too long",
    "gw_empty_text": "the text is empty",
    "gw_no_recipients": "there is no number to send to",
    "gw_invalid_schedule": "the scheduled time cannot be used",
    # why a number is refused (the reason code of sms_core's NumberReason)
    "number_characters": "a number may contain only digits, spaces, dashes and a leading +",
    "number_empty": "the number is empty",
    "number_foreign": "only Chinese numbers (+86) can be texted through this gateway",
    "number_mobile_length": "a mobile number has 11 digits",
    "number_mobile_prefix": "a mobile number starts with 13 to 19",
    "number_area_code": "a landline number needs its area code, e.g. 0755-80808080",
    "number_landline": "not a landline number with a valid area code, e.g. 0755-80808080",
    "number_landline_short": "a landline number has 7 or 8 digits after the area code, e.g. 0755-80808080",
    "number_shape": "a mobile number has 11 digits and starts with 1; a landline number starts with its area code, e.g. 0755-80808080",
    "number_too_long": "too many digits for a phone number",
    # schedule refusals (sms_core.schedule)
    "schedule_format": "'{text}' is not a date and time: write it as YYYY-MM-DD HH:MM (China Standard Time).",
    "schedule_past": "{at} is in the past: give a later time (China Standard Time, now {now}).",
    "schedule_ahead": "{at} is more than a year ahead: give a time before {limit} (China Standard Time).",
    # scheduled sends, held by smsbot until their time (bot/services/scheduled.py)
    "held_status": "🕒 Scheduled for {when} (China time), not sent yet · {cost}\nSee /scheduled to cancel it.",
    "held_cancelled": "✗ Cancelled by {who}: the SMS scheduled for {when} (China time) was not sent.",
    "held_missed": (
        "✗ Not sent: it was due at {when} (China time) while the bot was not running, "
        "and a scheduled SMS is sent at most {grace} minutes late."
    ),
    "scheduled_missed_notice": (
        "{who}: your SMS scheduled for {when} (China time) to {n} {n|number|numbers} was not sent. "
        "The bot was not running at that time, and {late} minutes late is too late (at most {grace}). "
        "Send it again if it is still wanted."
    ),
    "scheduled_missed_command": "To send it now: <code>{command}</code>",
    "scheduled_empty": (
        "No scheduled sends are waiting in this chat. "
        "Schedule one with <code>/sms at YYYY-MM-DD HH:MM TARGETS TEXT</code>."
    ),
    "scheduled_list": "<b>Scheduled sends</b> (China time)\n{lines}",
    "scheduled_line": "#{id} · {when} · to {targets} · cost {cost} · by {who}\n<i>{text}</i>",
    "scheduled_more": "… and {n} more, listed once these are sent or cancelled.",
    "scheduled_targets_more": "+{n} more",
    "scheduled_cancel_button": "Cancel #{id}",
    "scheduled_cancelled": "#{id} cancelled: it will not be sent.",
    "scheduled_not_yours": "Only the person who scheduled this send, or an admin, can cancel it.",
    "scheduled_already_sent": "#{id} is being sent or was sent: it cannot be cancelled. See /history.",
    "scheduled_already_cancelled": "#{id} was already cancelled.",
    "scheduled_not_waiting": "#{id} is not waiting any more: there is nothing to cancel.",
}
