"""The codec: engine values to canonical JSON and back, equal, with floats bit-identical."""

from __future__ import annotations

import json
import math
import struct
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.codec import dumps, loads
from engine.errors import InputError
from engine.model import (
    CandidateStatus,
    CheckStatus,
    ComboLeg,
    ExitPlan,
    Expiration,
    Fill,
    GateResult,
    Leg,
    Order,
    OrderIntent,
    OrderStatus,
    OrderUpdate,
    Position,
    Right,
    RiskVerdict,
    Settlement,
    Structure,
    StructureKind,
    TradeCandidate,
)

NY = ZoneInfo("America/New_York")
EXPIRY = date(2024, 3, 15)
T0 = datetime(2024, 3, 4, 10, 30, tzinfo=NY)


def bits(value: float) -> bytes:
    return struct.pack("<d", value)


def strict_json(text: str) -> object:
    """Parse `text` as strict JSON: a bare NaN / Infinity fails the test."""

    def refuse(constant: str) -> object:
        pytest.fail(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def make_order(**changes: object) -> Order:
    order = Order(
        order_id="O-1",
        underlying="SPX",
        intent=OrderIntent.OPEN,
        legs=(
            ComboLeg(Right.PUT, 5050.0, EXPIRY, -1, "SPX"),
            ComboLeg(Right.PUT, 5000.0, EXPIRY, +1, "SPX"),
        ),
        contracts=3,
        limit_price=2.45,
        created_at=T0,
        expires_at=T0 + timedelta(minutes=5),
        position_id="P-1",
    )
    return replace(order, **changes)


def make_fill(price: float = 2.6375, **changes: object) -> Fill:
    fill = Fill("O-1-F1", "O-1", T0 + timedelta(seconds=7), 3, price, (5.05, 2.4125), 7.74)
    return replace(fill, **changes)


def make_leg(strike: float, quantity: int, **changes: object) -> Leg:
    leg = Leg(Right.PUT, strike, EXPIRY, quantity, 5.0, 5.2, 5.1, 0.1834, -0.21, 0.0012, -1.37, 3.4, "SPX")
    return replace(leg, **changes)


def make_structure(**changes: object) -> Structure:
    structure = Structure(
        kind=StructureKind.PUT_CREDIT_SPREAD,
        underlying="SPX",
        legs=(make_leg(5050.0, -1), make_leg(5000.0, +1, bid=2.3, ask=2.45, mid=2.375, delta=-0.11)),
        credit_mid=2.725,
        credit_natural=2.55,
        max_profit=2.725,
        max_loss=47.275,
        breakevens=(5047.275,),
        probability_of_profit=0.81,
        delta=0.1,
        gamma=-0.0004,
        theta=0.21,
        vega=-0.33,
    )
    return replace(structure, **changes)


EXPIRATION = Expiration(EXPIRY, Settlement.AM, "SPX", datetime(2024, 3, 15, 9, 30, tzinfo=NY), "monthly")
PLAN = ExitPlan(1.36, 5.45, date(2024, 3, 8), date(2024, 3, 6))


def make_candidate(**changes: object) -> TradeCandidate:
    candidate = TradeCandidate(
        candidate_id="C-2024-03-04-1",
        underlying="SPX",
        signal_day=date(2024, 3, 1),
        proposed_at=T0,
        structure=make_structure(),
        expiration=EXPIRATION,
        contracts=2,
        conviction=0.72,
        exit_plan=PLAN,
        status=CandidateStatus.APPROVED,
        detail="approved by the trader",
        limit_price=2.6,
    )
    return replace(candidate, **changes)


def make_position(**changes: object) -> Position:
    position = Position("P-1", "SPX", make_structure(), 2, 2.6, date(2024, 3, 4), PLAN)
    return replace(position, **changes)


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cls"),
    [
        (make_order(), Order),
        (make_order(intent=OrderIntent.CLOSE, limit_price=-1.3, position_id=""), Order),
        (make_fill(), Fill),
        (make_fill(leg_prices=()), Fill),
        (make_candidate(), TradeCandidate),
        (make_candidate(limit_price=None, status=CandidateStatus.NEW, detail=""), TradeCandidate),
        (make_position(), Position),
        (EXPIRATION, Expiration),
        (PLAN, ExitPlan),
        (make_structure(), Structure),
        (RiskVerdict(False, "max_heat", 0.31, 0.25, "heat too high"), RiskVerdict),
        (RiskVerdict(True), RiskVerdict),
        (OrderUpdate("O-1", OrderStatus.FILLED, T0, "filled", make_fill()), OrderUpdate),
        (OrderUpdate("O-1", OrderStatus.WORKING, T0), OrderUpdate),
    ],
    ids=[
        "order", "closing-order", "fill", "fill-no-legs", "candidate", "candidate-no-limit", "position",
        "expiration", "exit-plan", "structure", "verdict-veto", "verdict-ok", "update-fill", "update-plain",
    ],
)
def test_round_trip_is_equal(value: object, cls: type) -> None:
    text = dumps(value)
    back = loads(text, cls)
    assert back == value
    assert type(back) is cls
    assert dumps(back) == text  # and writes the same text again


def test_round_trip_keeps_nested_types() -> None:
    candidate = loads(dumps(make_candidate()), TradeCandidate)
    assert isinstance(candidate.structure, Structure)
    assert candidate.structure.kind is StructureKind.PUT_CREDIT_SPREAD
    assert isinstance(candidate.structure.legs, tuple)
    assert all(isinstance(leg, Leg) for leg in candidate.structure.legs)
    assert candidate.structure.legs[0].right is Right.PUT
    assert isinstance(candidate.structure.breakevens, tuple)
    assert candidate.status is CandidateStatus.APPROVED
    assert candidate.expiration.settlement is Settlement.AM
    assert type(candidate.signal_day) is date
    assert type(candidate.exit_plan.time_stop) is date
    order = loads(dumps(make_order()), Order)
    assert order.intent is OrderIntent.OPEN
    assert all(isinstance(leg, ComboLeg) for leg in order.legs)
    assert isinstance(order.legs[0].right, Right)


def test_optional_float_round_trips_as_none_and_as_a_value() -> None:
    assert loads(dumps(make_candidate(limit_price=None)), TradeCandidate).limit_price is None
    assert loads(dumps(make_candidate(limit_price=2.65)), TradeCandidate).limit_price == 2.65


# --- floats ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("special", [math.inf, -math.inf])
def test_infinities_survive(special: float) -> None:
    fill = make_fill(price=special, leg_prices=(special, 1.0))
    text = dumps(fill)
    strict_json(text)  # still strict JSON: no bare Infinity
    assert loads(text, Fill) == fill


def test_nan_survives_in_plain_and_nested_fields() -> None:
    structure = make_structure(
        legs=(make_leg(5050.0, -1, iv=math.nan, delta=math.nan), make_leg(5000.0, 1)),
        probability_of_profit=math.nan,
    )
    candidate = make_candidate(structure=structure, conviction=math.nan, limit_price=math.nan)
    text = dumps(candidate)
    strict_json(text)  # no bare NaN
    back = loads(text, TradeCandidate)
    assert math.isnan(back.conviction)
    assert back.limit_price is not None
    assert math.isnan(back.limit_price)
    assert math.isnan(back.structure.probability_of_profit)
    assert math.isnan(back.structure.legs[0].iv)
    assert math.isnan(back.structure.legs[0].delta)
    assert back.structure.legs[1] == structure.legs[1]
    assert dumps(back) == text


def test_nan_in_a_float_tuple_survives() -> None:
    fill = make_fill(leg_prices=(math.nan, 2.5, math.inf))
    back = loads(dumps(fill), Fill)
    assert math.isnan(back.leg_prices[0])
    assert back.leg_prices[1:] == (2.5, math.inf)


@given(st.floats(allow_nan=False))
def test_fill_price_is_bit_identical(price: float) -> None:
    back = loads(dumps(make_fill(price=price)), Fill)
    assert type(back.price) is float
    assert bits(back.price) == bits(price)


@given(st.lists(st.floats(allow_nan=False), max_size=4))
def test_leg_prices_are_bit_identical(prices: list[float]) -> None:
    back = loads(dumps(make_fill(leg_prices=tuple(prices))), Fill)
    assert [bits(p) for p in back.leg_prices] == [bits(p) for p in prices]


def test_negative_zero_and_tiny_floats_are_bit_identical() -> None:
    for price in (-0.0, 5e-324, 1e308, 0.1 + 0.2, 2.0**53 + 2):
        back = loads(dumps(make_fill(price=price)), Fill)
        assert bits(back.price) == bits(price)


def test_a_whole_number_float_comes_back_a_float() -> None:
    back = loads(dumps(make_fill(price=3.0, commission=0.0)), Fill)
    assert type(back.price) is float
    assert type(back.commission) is float


# --- canonical text ---------------------------------------------------------------------------------


def test_same_value_gives_the_same_text() -> None:
    assert dumps(make_candidate()) == dumps(make_candidate())
    assert dumps(make_order()) == dumps(make_order())


def test_keys_are_sorted_at_every_level_with_no_spaces() -> None:
    text = dumps(make_candidate())
    assert " " not in text.replace("approved by the trader", "").replace("Put Credit Spread", "")

    def check(node: object) -> None:
        if isinstance(node, dict):
            assert list(node) == sorted(node)
            for child in node.values():
                check(child)
        elif isinstance(node, list):
            for child in node:
                check(child)

    parsed = strict_json(text)
    check(parsed)
    assert text == json.dumps(parsed, sort_keys=True, separators=(",", ":"))


def test_the_same_instant_in_another_zone_gives_the_same_text() -> None:
    in_new_york = make_order()
    in_utc = make_order(created_at=T0.astimezone(UTC), expires_at=in_new_york.expires_at.astimezone(UTC))
    in_tokyo = make_order(created_at=T0.astimezone(ZoneInfo("Asia/Tokyo")))
    assert dumps(in_new_york) == dumps(in_utc) == dumps(in_tokyo)


def test_datetimes_are_written_in_utc() -> None:
    parsed = json.loads(dumps(make_order()))
    assert parsed["created_at"] == "2024-03-04T15:30:00+00:00"


# --- datetimes ----------------------------------------------------------------------------------------


def test_a_naive_datetime_raises() -> None:
    with pytest.raises(InputError, match="timezone-aware"):
        dumps(make_order(created_at=datetime(2024, 3, 4, 10, 30)))  # noqa: DTZ001 - naive on purpose


def test_a_nested_naive_datetime_raises() -> None:
    expiration = replace(EXPIRATION, settles_at=datetime(2024, 3, 15, 9, 30))  # noqa: DTZ001
    with pytest.raises(InputError, match="timezone-aware"):
        dumps(make_candidate(expiration=expiration))


def test_datetimes_come_back_tz_aware_at_the_same_instant() -> None:
    order = make_order(created_at=datetime(2024, 3, 4, 10, 30, 0, 123456, tzinfo=NY))
    back = loads(dumps(order), Order)
    for written, read in ((order.created_at, back.created_at), (order.expires_at, back.expires_at)):
        assert read.tzinfo is not None
        assert read.utcoffset() is not None
        assert read == written
        assert read.timestamp() == written.timestamp()
    assert back.created_at.microsecond == 123456
    candidate = loads(dumps(make_candidate()), TradeCandidate)
    assert candidate.expiration.settles_at.tzinfo is not None
    assert candidate.expiration.settles_at == EXPIRATION.settles_at


# --- unions beyond "X | None" -------------------------------------------------------------------------


def test_gate_result_with_a_numeric_value_round_trips() -> None:
    gate = GateResult("VIX below 30", CheckStatus.PASS, 17.25, "< 30", "VIX 17.25")
    assert loads(dumps(gate), GateResult) == gate


def test_gate_result_with_a_text_value_round_trips() -> None:
    """`GateResult.value` is `float | str | None`; the codec must not force a str into a float."""
    gate = GateResult("regime", CheckStatus.PASS, "Bullish Calm", "not Crisis", "regime Bullish Calm")
    try:
        back = loads(dumps(gate), GateResult)
    except ValueError as exc:
        pytest.fail(
            "engine.codec._build takes the first non-None member of a union (float) and calls "
            f"float() on the JSON string 'Bullish Calm' of a `float | str | None` field: {exc}"
        )
    assert back == gate
