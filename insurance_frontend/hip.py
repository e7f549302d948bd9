"""integration_platform as insurance_frontend sees it, over the INSFE_HIP link: patients and
the fee items of an order. A small interface so unit tests pass a fake."""

from __future__ import annotations

from typing import Any, Protocol

from envelope import codes
from envelope.client import EnvelopeClient
from envelope.codes import EnvelopeError
from envelope.messages.base import Request
from envelope.messages.his import BillDetail, PatientInfo, QueryRegistration, UnpaidBills


class HipPort(Protocol):
    """What insurance_frontend asks the HIS."""

    def patient(self, mrn: str, trace_id: str) -> dict[str, Any]:
        """1003: demographics with id_card_no and name."""
        ...

    def registration(self, order_no: str, trace_id: str) -> dict[str, Any]:
        """2010: the registration of an order with its lock_id, mrn, fees and items."""
        ...

    def bills(self, mrn: str, trace_id: str) -> dict[str, Any]:
        """3001: unpaid bills and their digest."""
        ...

    def bill_detail(self, bill_no: str, mrn: str, trace_id: str) -> dict[str, Any]:
        """3002: the items of one bill."""
        ...


class EnvelopeHip:
    """HipPort over signed envelopes (sender INSFE, receiver HIP)."""

    def __init__(self, client: EnvelopeClient) -> None:
        self.client = client

    def _ask(self, request: Request, trace_id: str) -> dict[str, Any]:
        reply = self.client.ask(request, trace_id=trace_id or None)
        if reply.ok:
            return reply.body
        if reply.result_code.startswith("2"):
            raise EnvelopeError(reply.result_code, reply.result_msg)
        # A read that failed changed nothing: the HIS is unavailable, whatever the cause.
        raise EnvelopeError(
            codes.HIS_UNAVAILABLE, f"integration_platform {request.trade}: {reply.result_msg}"
        )

    def patient(self, mrn: str, trace_id: str) -> dict[str, Any]:
        """1003 patient info."""
        return self._ask(PatientInfo(mrn=mrn), trace_id)

    def registration(self, order_no: str, trace_id: str) -> dict[str, Any]:
        """2010 registration query."""
        return self._ask(QueryRegistration(order_no=order_no), trace_id)

    def bills(self, mrn: str, trace_id: str) -> dict[str, Any]:
        """3001 unpaid bill list."""
        return self._ask(UnpaidBills(mrn=mrn), trace_id)

    def bill_detail(self, bill_no: str, mrn: str, trace_id: str) -> dict[str, Any]:
        """3002 bill detail."""
        return self._ask(BillDetail(bill_no=bill_no, mrn=mrn), trace_id)
