"""Our legs as IB contracts and IB's sign convention for combo prices (engine.brokers.ib.contracts)."""

from __future__ import annotations

from datetime import date

import pytest
from ib_async import Option

from engine.brokers.ib.contracts import (
    ContractBook,
    bag_contract,
    engine_net_of,
    ib_limit_of,
    net_of_leg_prices,
    option_contract,
)
from engine.model import ComboLeg, Right

EXPIRY = date(2015, 2, 20)
SHORT = ComboLeg(Right.PUT, 1900.0, EXPIRY, -1, "SPX")
LONG = ComboLeg(Right.PUT, 1875.0, EXPIRY, 1, "SPX")


def qualified(leg: ComboLeg, con_id: int) -> Option:
    contract = option_contract("SPX", leg)
    contract.conId = con_id
    contract.secType = "OPT"
    return contract


def test_option_contract_names_class_expiry_strike_right() -> None:
    weekly = ComboLeg(Right.CALL, 2100.0, date(2015, 2, 13), 1, "SPXW")
    contract = option_contract("SPX", weekly)
    assert (contract.symbol, contract.lastTradeDateOrContractMonth, contract.strike, contract.right) == (
        "SPX", "20150213", 2100.0, "C")
    assert (contract.tradingClass, contract.exchange, contract.multiplier) == ("SPXW", "SMART", "100")


def test_bag_legs_carry_conids_ratios_and_actions() -> None:
    book = ContractBook()
    book.add([qualified(SHORT, 101), qualified(LONG, 102)])
    bag = bag_contract("SPX", [SHORT, LONG], book)
    assert (bag.secType, bag.symbol) == ("BAG", "SPX")
    assert [(c.conId, c.ratio, c.action) for c in bag.comboLegs] == [(101, 1, "SELL"), (102, 1, "BUY")]


def test_unqualified_leg_is_named() -> None:
    with pytest.raises(KeyError, match="1875"):
        bag_contract("SPX", [LONG], ContractBook())


def test_credit_is_a_negative_ib_limit_and_back() -> None:
    assert ib_limit_of(1.5) == -1.5
    assert ib_limit_of(-0.8) == 0.8
    assert str(ib_limit_of(0.0)) == "0.0"  # never "-0.0" on the wire
    assert engine_net_of(-1.5) == 1.5


def test_net_of_leg_prices_sold_add_bought_subtract() -> None:
    assert net_of_leg_prices([5.1, 3.8], [SHORT, LONG]) == pytest.approx(1.3)
    with pytest.raises(ValueError, match="1 leg prices for 2 legs"):
        net_of_leg_prices([5.1], [SHORT, LONG])
