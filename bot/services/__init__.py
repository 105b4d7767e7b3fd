"""The rules, one module each: handlers, jobs and the web call these; they use the store and sms_core."""
