"""The store's schema as forward migrations, applied in order; `PRAGMA user_version` says how far.

Never edit a migration that has shipped: add the next one.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the whole first schema
    """
    CREATE TABLE sends (
        id INTEGER PRIMARY KEY,
        created_at REAL NOT NULL,
        origin TEXT NOT NULL,                -- command | reply | alert | cli
        chat_id INTEGER,
        user_id INTEGER,
        user_name TEXT,
        lang TEXT NOT NULL DEFAULT 'en',     -- language of the status message
        text TEXT NOT NULL,
        segments INTEGER NOT NULL,
        scheduled_at TEXT,                   -- ISO 8601, China Standard Time
        state TEXT NOT NULL DEFAULT 'pending',  -- pending|accepted|partial|refused|failed|unknown
        error TEXT,
        accepted INTEGER NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        status_chat_id INTEGER,
        status_message_id INTEGER,
        status_thread_id INTEGER,
        status_version INTEGER NOT NULL DEFAULT 0,  -- bumped whenever the status message should change
        status_shown INTEGER NOT NULL DEFAULT 0,    -- the version Telegram last accepted
        status_edited_at REAL,
        alert_id INTEGER
    );
    CREATE INDEX sends_created ON sends(created_at);
    CREATE INDEX sends_status_dirty ON sends(status_version, status_shown)
        WHERE status_message_id IS NOT NULL;

    CREATE TABLE recipients (
        send_id INTEGER NOT NULL REFERENCES sends(id) ON DELETE CASCADE,
        phone TEXT NOT NULL,
        chunk INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',  -- pending|sending (7)|accepted|refused|failed|unknown
        report_status INTEGER,                  -- last report: -1 pending, 10 delivered, 20 failed
        reported_at REAL,
        PRIMARY KEY (send_id, phone)
    );
    CREATE INDEX recipients_phone ON recipients(phone);

    CREATE TABLE send_ids (
        sms_id TEXT NOT NULL,
        send_id INTEGER NOT NULL REFERENCES sends(id) ON DELETE CASCADE,
        chunk INTEGER NOT NULL,
        PRIMARY KEY (sms_id, send_id)
    );

    CREATE TABLE raw_answers (                  -- every poll answer, kept before it is parsed
        id INTEGER PRIMARY KEY,
        received_at REAL NOT NULL,
        endpoint TEXT NOT NULL,
        body TEXT NOT NULL,
        parsed INTEGER NOT NULL DEFAULT 0,
        problem TEXT
    );

    CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        received_at REAL NOT NULL,
        sms_id TEXT NOT NULL,
        phone TEXT NOT NULL,
        status INTEGER NOT NULL,
        send_id INTEGER,                         -- the matched send; NULL: matched none
        processed INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX reports_unprocessed ON reports(processed) WHERE processed = 0;

    CREATE TABLE inbound (
        id INTEGER PRIMARY KEY,
        received_at REAL NOT NULL,
        msg_id TEXT NOT NULL,
        phone TEXT NOT NULL,
        text TEXT NOT NULL,
        forwarded_at REAL,
        tg_chat_id INTEGER,
        tg_message_id INTEGER,
        tg_thread_id INTEGER,
        UNIQUE (msg_id, phone)
    );
    CREATE INDEX inbound_pending ON inbound(id) WHERE forwarded_at IS NULL;
    CREATE INDEX inbound_phone ON inbound(phone, id);

    CREATE TABLE threads (                      -- one forum topic per phone in the inbox chat
        phone TEXT PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        thread_id INTEGER NOT NULL,
        title TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE UNIQUE INDEX threads_by_topic ON threads(chat_id, thread_id);

    CREATE TABLE tg_messages (                  -- Telegram messages that speak for a phone
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        phone TEXT NOT NULL,
        PRIMARY KEY (chat_id, message_id)
    );

    CREATE TABLE contacts (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        phone TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX contacts_phone ON contacts(phone);

    CREATE TABLE groups (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        created_at REAL NOT NULL
    );
    CREATE TABLE group_members (
        group_name TEXT NOT NULL REFERENCES groups(name) ON DELETE CASCADE ON UPDATE CASCADE,
        position INTEGER NOT NULL,
        member TEXT NOT NULL,                    -- a normalised number or a contact name
        PRIMARY KEY (group_name, member)
    );

    CREATE TABLE confirmations (
        token TEXT PRIMARY KEY,
        created_at REAL NOT NULL,
        chat_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        message_id INTEGER,
        payload TEXT NOT NULL,                   -- JSON of the prepared send
        state TEXT NOT NULL DEFAULT 'open'       -- open|confirmed|cancelled|expired
    );

    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        kind TEXT NOT NULL,
        chat_id INTEGER,
        user_id INTEGER,
        detail TEXT
    );

    CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: alerts (issue 6): notifications from monitoring, their alerts, acks, the hourly cap
    """
    CREATE TABLE alerts (                       -- one notification for one group = one alert SMS
        id INTEGER PRIMARY KEY,
        received_at REAL NOT NULL,
        source TEXT NOT NULL,                   -- alertmanager | grafana | text
        group_name TEXT NOT NULL,
        fingerprint TEXT NOT NULL,              -- of the lead alert (the one the SMS names)
        status TEXT NOT NULL,                   -- firing | resolved (of the lead alert)
        name TEXT NOT NULL,
        summary TEXT NOT NULL,
        labels TEXT NOT NULL,                   -- JSON object, the lead alert's labels
        code INTEGER,                           -- ack code; NULL when there is nothing to ack
        state TEXT NOT NULL,                    -- stored|sending|sent|partial|failed|unknown|refused|
                                                -- gave_up|error|suppressed|deduplicated|acked|skipped
        text TEXT,                              -- the SMS, once rendered
        send_id INTEGER,                        -- the last send
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL,                   -- state failed: when to try again
        error TEXT,
        suppressed INTEGER NOT NULL DEFAULT 0,  -- phones held back by the hourly cap
        acked_by TEXT,
        acked_at REAL,
        closed_at REAL,                         -- the code is free again (acked, resolved)
        copy_chat_id INTEGER,
        copy_message_id INTEGER,
        copy_version INTEGER NOT NULL DEFAULT 1,  -- bumped whenever the chat copy should change
        copy_shown INTEGER NOT NULL DEFAULT 0,
        copy_send_shown INTEGER NOT NULL DEFAULT 0,  -- the send's status_version the copy shows
        copy_edited_at REAL
    );
    CREATE INDEX alerts_received ON alerts(received_at);
    CREATE INDEX alerts_due ON alerts(state, next_attempt_at);
    CREATE INDEX alerts_open_code ON alerts(code) WHERE code IS NOT NULL AND closed_at IS NULL;
    CREATE INDEX alerts_copy_dirty ON alerts(copy_version, copy_shown);

    CREATE TABLE alert_items (                  -- every alert of a notification
        alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        fingerprint TEXT NOT NULL,
        status TEXT NOT NULL,
        name TEXT NOT NULL,
        summary TEXT NOT NULL,
        labels TEXT NOT NULL,
        outcome TEXT NOT NULL,                  -- new | deduplicated | acked | skipped
        PRIMARY KEY (alert_id, position)
    );
    CREATE INDEX alert_items_fp ON alert_items(fingerprint, status);

    CREATE TABLE alert_acks (                   -- acknowledged fingerprints: repeats stop until resolved
        fingerprint TEXT PRIMARY KEY,
        alert_id INTEGER NOT NULL,
        acked_by TEXT NOT NULL,
        acked_at REAL NOT NULL,
        expires_at REAL                         -- NULL: until resolved
    );

    CREATE TABLE alert_quota (                  -- alert SMS per phone, for the hourly cap
        id INTEGER PRIMARY KEY,
        phone TEXT NOT NULL,
        at REAL NOT NULL,
        alert_id INTEGER                        -- NULL: a summary
    );
    CREATE INDEX alert_quota_phone ON alert_quota(phone, at);

    CREATE TABLE alert_suppressed (             -- alerts the cap held back from a phone
        phone TEXT NOT NULL,
        alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
        at REAL NOT NULL,
        summary_send_id INTEGER,                -- the summary SMS that told the phone (journaled)
        PRIMARY KEY (phone, alert_id)
    );
    CREATE INDEX alert_suppressed_open ON alert_suppressed(phone) WHERE summary_send_id IS NULL;
    """,
    # 3: why a send failed, as a kind (the error's class) and its argument, so the
    #    status message can say it in the reader's language
    """
    ALTER TABLE sends ADD COLUMN error_kind TEXT;
    ALTER TABLE sends ADD COLUMN error_arg TEXT;
    """,
    # 4: acks are per group: an ack by one team must not silence the same alert (same
    #    fingerprint) for another group it pages. An existing ack keeps the group of the
    #    alert that was acknowledged.
    """
    CREATE TABLE alert_acks_by_group (
        group_name TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        alert_id INTEGER NOT NULL,
        acked_by TEXT NOT NULL,
        acked_at REAL NOT NULL,
        expires_at REAL,                        -- NULL: until resolved
        PRIMARY KEY (group_name, fingerprint)
    );
    INSERT OR REPLACE INTO alert_acks_by_group(group_name, fingerprint, alert_id, acked_by, acked_at, expires_at)
        SELECT a.group_name, k.fingerprint, k.alert_id, k.acked_by, k.acked_at, k.expires_at
        FROM alert_acks k JOIN alerts a ON a.id = k.alert_id;
    DROP TABLE alert_acks;
    ALTER TABLE alert_acks_by_group RENAME TO alert_acks;
    """,
    # 5: an alert's sends, found by alert id: its chat copy sums every attempt, and the copy
    #    loop looks for moved delivery counts every second
    """
    CREATE INDEX sends_alert ON sends(alert_id) WHERE alert_id IS NOT NULL;
    """,
    # 6: the sends whose status message is owed (Telegram failed when it was due): the forward
    #    job looks for them every second, which without this index reads the whole sends table
    """
    CREATE INDEX sends_status_owed ON sends(id)
        WHERE status_chat_id IS NOT NULL AND status_message_id IS NULL;
    """,
    # 7: what became of each number, and why: a chunk is marked `sending` right before its
    #    request, so a crash leaves only that chunk unknown and the chunks never started
    #    `failed` (not sent); each recipient keeps the reason of its chunk (a code such as
    #    timeout, http_status or interrupted, or the kind of a refusal) and its argument.
    #    Unknown outcomes stored before are given their reason code from the error's text, and
    #    a send a crash left pending has its first pending chunk marked in flight (chunks go
    #    out in order: the later ones never started).
    """
    ALTER TABLE recipients ADD COLUMN reason TEXT;
    ALTER TABLE recipients ADD COLUMN reason_arg TEXT;
    UPDATE sends SET
        error_kind = CASE
            WHEN error LIKE '%did not answer in time%' THEN 'timeout'
            WHEN error LIKE '%answered HTTP %' THEN 'http_status'
            WHEN error LIKE '%could not be read%' THEN 'unreadable'
            ELSE 'connection_closed' END,
        error_arg = CASE WHEN error LIKE '%answered HTTP %'
            THEN substr(error, instr(error, 'answered HTTP ') + 14, 3) END
        WHERE error_kind = 'SendOutcomeUnknown';
    UPDATE sends SET error_kind = 'interrupted'
        WHERE error_kind IS NULL AND error LIKE 'interrupted:%';
    UPDATE sends SET error_kind = 'internal_error'
        WHERE error_kind IS NULL AND error = 'unexpected error during the send';
    UPDATE recipients SET state = 'sending'
        WHERE state = 'pending'
          AND send_id IN (SELECT id FROM sends WHERE state = 'pending')
          AND chunk = (SELECT MIN(p.chunk) FROM recipients p     -- rows marked here count too
                       WHERE p.send_id = recipients.send_id AND p.state IN ('pending', 'sending'));
    """,
    # 8: scheduled sends that smsbot holds until their time (the gateway's send_time cannot be
    #    cancelled): the prepared send, where its status message is, and how it ended
    """
    CREATE TABLE scheduled_sends (
        id INTEGER PRIMARY KEY,
        created_at REAL NOT NULL,
        due_at REAL NOT NULL,                   -- epoch seconds: when it is handed to the gateway
        origin TEXT NOT NULL,                   -- command | reply
        chat_id INTEGER NOT NULL,               -- where it was asked
        user_id INTEGER NOT NULL,               -- who asked (may cancel it, as may an admin)
        user_name TEXT,
        lang TEXT NOT NULL DEFAULT 'en',
        numbers TEXT NOT NULL,                  -- JSON array of normalised numbers, in send order
        text TEXT NOT NULL,
        segments INTEGER NOT NULL,
        status_chat_id INTEGER,
        status_thread_id INTEGER,
        status_message_id INTEGER,              -- "scheduled for ..., not sent yet", later the send's status
        state TEXT NOT NULL DEFAULT 'held',     -- held|releasing|released|cancelled|missed
        send_id INTEGER REFERENCES sends(id),   -- the journal entry it became
        closed_at REAL,                         -- cancelled or missed at
        closed_by INTEGER,                      -- who cancelled
        closed_by_name TEXT,
        told INTEGER NOT NULL DEFAULT 0         -- missed: the asker was told
    );
    CREATE INDEX scheduled_sends_due ON scheduled_sends(due_at) WHERE state = 'held';
    CREATE INDEX scheduled_sends_chat ON scheduled_sends(chat_id, due_at) WHERE state = 'held';
    CREATE INDEX scheduled_sends_untold ON scheduled_sends(id) WHERE state = 'missed' AND told = 0;
    """,
    # 9: when the monitoring system said an alert is over (resolved_at), apart from when its
    #    code stopped taking acks (closed_at): an acknowledged alert resolves too, and its copy
    #    and /ack say so. Before, a code closed without an ack was closed by a resolve; an
    #    acknowledged alert is resolved when each alert it texted as firing was resolved later
    #    for its group, at the first such resolve of the last of them.
    """
    ALTER TABLE alerts ADD COLUMN resolved_at REAL;
    UPDATE alerts SET resolved_at = closed_at
        WHERE code IS NOT NULL AND acked_at IS NULL AND closed_at IS NOT NULL;
    UPDATE alerts SET resolved_at = (
            SELECT MAX((SELECT MIN(ra.received_at) FROM alert_items r JOIN alerts ra ON ra.id = r.alert_id
                        WHERE ra.group_name = alerts.group_name AND r.fingerprint = i.fingerprint
                          AND r.status = 'resolved' AND r.alert_id > i.alert_id))
            FROM alert_items i WHERE i.alert_id = alerts.id AND i.status = 'firing' AND i.outcome = 'new')
        WHERE code IS NOT NULL AND acked_at IS NOT NULL
          AND EXISTS (SELECT 1 FROM alert_items i
                      WHERE i.alert_id = alerts.id AND i.status = 'firing' AND i.outcome = 'new')
          AND NOT EXISTS (
              SELECT 1 FROM alert_items i WHERE i.alert_id = alerts.id AND i.status = 'firing'
                AND i.outcome = 'new'
                AND NOT EXISTS (SELECT 1 FROM alert_items r JOIN alerts ra ON ra.id = r.alert_id
                                WHERE ra.group_name = alerts.group_name AND r.fingerprint = i.fingerprint
                                  AND r.status = 'resolved' AND r.alert_id > i.alert_id));
    """,
    # 10: why a send failed is kept as the error's reason code, not its class name (a class may
    #     be renamed; a code never is): the class names stored before become their codes, in
    #     the sends and in each recipient's reason.
    """
    CREATE TEMP TABLE kind_codes (kind TEXT PRIMARY KEY, code TEXT NOT NULL);
    INSERT INTO kind_codes (kind, code) VALUES
        ('NoTarget', 'no_target'), ('NoContent', 'no_content'), ('ForbiddenWord', 'forbidden_word'),
        ('TooManyNumbers', 'too_many_numbers'), ('LoginFailed', 'login_failed'),
        ('ContentTooLong', 'content_too_long'), ('InsufficientBalance', 'insufficient_balance'),
        ('AccountLocked', 'account_locked'), ('AccountNotFound', 'account_not_found'),
        ('GatewayBusy', 'busy'), ('GatewayUnavailable', 'unavailable'), ('PageMaybeLost', 'page_maybe_lost'),
        ('GatewayProtocolError', 'unreadable'), ('GatewayRefused', 'gateway_error'),
        ('GatewayError', 'gateway_error'),
        ('InvalidNumber', 'invalid_number'), ('UnsupportedCharacters', 'unsupported_characters'),
        ('TextTooLong', 'text_too_long'), ('EmptyText', 'empty_text'), ('NoRecipients', 'no_recipients'),
        ('InvalidSchedule', 'invalid_schedule');
    UPDATE sends SET error_kind = (SELECT code FROM kind_codes WHERE kind = sends.error_kind)
        WHERE error_kind IN (SELECT kind FROM kind_codes);
    UPDATE recipients SET reason = (SELECT code FROM kind_codes WHERE kind = recipients.reason)
        WHERE reason IN (SELECT kind FROM kind_codes);
    DROP TABLE kind_codes;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
