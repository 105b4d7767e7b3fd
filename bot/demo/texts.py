"""What the demo itself says: the intro, the list of its commands, General explained.

The phone in the examples is world.DEMO_PHONE, the member of @oncall.
"""

from __future__ import annotations

INTRO = """\
smsbot demo: the real bot, a sandbox SMS gateway and a local Telegram, all on 127.0.0.1.
No account, no token; nothing leaves this machine.

You are "{user}", an admin of the bot, writing in the team chat "Ops team".
What you type is sent as your Telegram message; the bot's answers appear as they happen,
numbered (#N) so that :reply N can answer them. End a line with \\ to go on on the next one.
Try:
  /sms 13800138000 hi           text a phone, as a team member would
  :phone 13800138000 hello back that phone answers: the SMS appears in its topic of the inbox
  :inbox 13800138000            go to that topic: what you write there is texted back
  :reply N /sms 13900139000     text the SMS shown as #N to another phone
  :alert disk full on db-1      a monitoring alert: @{group} ({phone}) gets it by SMS,
                                and the "Alerts" chat a copy (:alerts shows it)
  :sent                         what the gateway has sent
  /help                         everything the bot can do
:help lists the demo's commands; :quit or Ctrl-D leaves.
"""

HELP = """\
Demo commands (anything else is sent as your Telegram message where you are):
  :team                  write in the team chat "Ops team"
  :inbox                 write in the inbox's General topic (and list the topics)
  :inbox PHONE           write in PHONE's topic of the inbox: replies go to PHONE by SMS
  :topic N               write in topic N of the inbox
  :reply N TEXT          answer the bot's message #N with TEXT, in its chat (a Telegram reply);
                         e.g. :reply 4 /sms 13900139000 texts the SMS shown as #4 to that phone
  :phone PHONE TEXT      PHONE sends TEXT by SMS to the gateway (the bot polls it every {poll:g} s)
  :sent                  the SMS the sandbox gateway has sent
  :alert TEXT            a monitoring system posts TEXT to the bot's alert webhook (HTTP,
                         {{"text": TEXT}}): @{group} gets it by SMS, the "Alerts" chat a copy
  :alerts                the "Alerts" chat
  :press BUTTON          press a button under the bot's last message here, e.g. :press Confirm
  :lang en|zh            your Telegram language (the bot answers in it)
  :show                  the whole chat you are in, as Telegram would show it
  :help                  this list
  :quit                  stop everything (Ctrl-D too)
A line that ends in \\ goes on on the next line: the text gets a line break there, e.g.
  /sms {phone} \\
  Server is back, \\
  all clear
"""

GENERAL = """\
The bot leaves text in the inbox's General topic alone: General is where the team talks
among themselves; it belongs to no phone, so nothing is texted. Each phone that texts in
gets a topic of its own, and what you write there goes back to it by SMS: :inbox PHONE
(e.g. :inbox {phone}) or :topic N. /sms PHONE TEXT works here too."""
