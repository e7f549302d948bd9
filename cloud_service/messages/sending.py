"""What the cloud hands a delivery channel (WeChat subscribe message, Alipay template
message, SMS) and what a channel may answer: the one interface between the message centre
and the channels that reach a patient's phone (DESIGN §12)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """One message to one patient, already free of ID numbers and full names.

    kind: REPORT_READY, CLINIC_STOPPED, REFUND_DONE, VISIT_REMINDER or NEW_BILL.
    title: the Chinese headline; fields: the Chinese lines in order (label -> value), which
    a channel maps onto its template's keywords; page: the H5 path the message opens."""

    kind: str
    title: str
    fields: tuple[tuple[str, str], ...]
    page: str


class Refused(Exception):
    """The channel will never take this message (the user refused or unsubscribed, an
    unknown openid, a template the account does not have): do not retry."""


class Unavailable(Exception):
    """The channel could not take it now (timeout, 5xx, a throttle, an expired token that
    could not be renewed): retry later with backoff."""


class Sender(Protocol):
    """A delivery channel: send one message to one address (an openid, an Alipay user id,
    a phone number) and answer the channel's message id, or raise Refused or Unavailable."""

    def send(self, address: str, message: Outgoing) -> str: ...
