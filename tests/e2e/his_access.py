"""What the e2e tests of the HIS need: envelopes signed as the cloud signs them (through the
gateway), and the HIS database of a running stack, to arrange and check rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy.orm import Session

from devstack.stack import Stack
from envelope import CLOUD, EnvelopeClient, KeyRing, clock
from integration_platform import fees
from integration_platform.models import Patient, Schedule, Slot
from servicekit import idcard
from servicekit.db import make_engine, session_factory


def hospital_client(stack: Stack, receiver: str = "HIP") -> EnvelopeClient:
    """A client that sends envelopes to the gateway with the Internet zone's key."""
    ring = KeyRing.from_settings(
        "CLOUD", stack.env["ENVELOPE_KEY_ID_CLOUD"], stack.env["ENVELOPE_KEY_CLOUD"]
    )
    return EnvelopeClient(
        stack.env["GATEWAY_URL"],
        ring,
        sender=CLOUD,
        receiver=receiver,
        hospital_code=stack.env["HOSPITAL_CODE"],
        timeout=(5.0, 60.0),
    )


def his_database_url(stack: Stack) -> str:
    """The database integration_platform of this stack runs on."""
    default = f"sqlite:///{stack.var_dir / 'integration_platform.db'}"
    return stack.env.get("INTEGRATION_PLATFORM_DATABASE_URL", default)


@contextmanager
def his_session(stack: Stack) -> Iterator[Session]:
    """One committed unit of work on the stack's HIS database."""
    engine = make_engine(his_database_url(stack))
    try:
        with session_factory(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


def add_patients(
    stack: Stack, tag: str, born: date, count: int, phones: list[str] | None = None
) -> list[str]:
    """``count`` new self-pay patients born on ``born`` (ID numbers 110101<born>000, 001, ...),
    record numbers E<tag>0000, E<tag>0001, ..., with the phones given (each the phone its
    patient signs in with, so binding is proven); returns the record numbers."""
    mrns = [f"E{tag}{n:04d}" for n in range(count)]
    with his_session(stack) as session:
        for n, mrn in enumerate(mrns):
            number = idcard.complete(f"110101{born:%Y%m%d}{n:03d}")
            session.add(
                Patient(
                    patient_id=f"P{mrn}",
                    mrn=mrn,
                    id_card_no=number,
                    name=f"抢号{n}",
                    gender=idcard.gender_of(number),
                    birth_date=born,
                    phone=phones[n] if phones else "",
                    patient_type="SELF_PAY",
                )
            )
    return mrns


def _afternoon(index: int, len_minutes: int) -> str:
    """The HH:MM a slot of ``len_minutes`` starts at, the ``index``-th after 13:00."""
    minutes = 13 * 60 + index * len_minutes
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def add_todays_schedule(
    stack: Stack, schedule_id: str, slots: int, dept_code: str = "D0101", doctor: str = "DR003"
) -> None:
    """A GENERAL clinic today (of DR003 in D0101 unless told) with ``slots`` free slots,
    between 13:00 and 18:00 (slots of 3 minutes or more, each a real time of day)."""
    level = fees.level("GENERAL")
    len_minutes = max(1, 300 // max(1, slots))
    with his_session(stack) as session:
        session.add(
            Schedule(
                schedule_id=schedule_id,
                dept_code=dept_code,
                doctor_code=doctor,
                visit_date=clock.today(),
                period="PM",
                level=level.code,
                reg_fee_fen=level.reg_fee_fen,
                diag_fee_fen=level.diag_fee_fen,
                total_fen=level.total_fen,
                capacity=slots,
            )
        )
        session.flush()
        session.add_all(
            Slot(
                slot_id=f"{schedule_id}-{seq:02d}",
                schedule_id=schedule_id,
                seq_no=seq,
                start_time=_afternoon(seq - 1, len_minutes),
                end_time=_afternoon(seq, len_minutes),
            )
            for seq in range(1, slots + 1)
        )
