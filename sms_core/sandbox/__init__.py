"""A faithful stand-in for the SMS gateway, served over real HTTP on loopback.

For tests (`SandboxServer` in a background thread), for trying smsbot without
an account (`smsbot sandbox` -> `run_sandbox`), and for the bench.
"""

from sms_core.sandbox.faults import Fault, FaultMode
from sms_core.sandbox.records import RequestRecord, SentRecord
from sms_core.sandbox.sending import is_valid_number, segments_for
from sms_core.sandbox.server import CONTROL_HELP, SandboxApp, SandboxServer, run_sandbox
from sms_core.sandbox.state import SandboxGateway
from sms_core.sandbox.wire import decode_query, format_inbound, format_reports

__all__ = [
    "CONTROL_HELP",
    "Fault",
    "FaultMode",
    "RequestRecord",
    "SandboxApp",
    "SandboxGateway",
    "SandboxServer",
    "SentRecord",
    "decode_query",
    "format_inbound",
    "format_reports",
    "is_valid_number",
    "run_sandbox",
    "segments_for",
]
