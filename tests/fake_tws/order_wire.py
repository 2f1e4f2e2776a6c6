"""The order messages on the wire: placeOrder as ib_async sends it, and TWS's order answers.

Layouts follow ib_async 2.1's ``client.placeOrder`` (what arrives) and ``decoder.openOrder``,
``completedOrder``, ``execDetails``, ``commissionReport``, ``position`` (what it reads back), for
server versions 176..178: from 177 the obsolete ``faProfile`` is gone from placeOrder, openOrder and
completedOrder; from 178 execDetails carries ``pendingPriceRevision``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from tests.fake_tws.model import (
    FakeContract,
    FakeExecution,
    FakeOrder,
    PlacedLeg,
    PlacedOrder,
    WireContract,
)
from tests.fake_tws.protocol import FieldReader, Fields, Outgoing

Reply = tuple[object, ...]

NO_FA_PROFILE_VERSION = 177
"""From this server version on, orders carry no ``faProfile`` field."""
PENDING_PRICE_REVISION_VERSION = 178
"""From this server version on, executions end with ``pendingPriceRevision``."""

_HEAD = (
    "action", "totalQuantity", "orderType", "lmtPrice", "auxPrice", "tif", "ocaGroup", "account",
    "openClose", "origin", "orderRef", "transmit", "parentId", "blockOrder", "sweepToFill",
    "displaySize", "triggerMethod", "outsideRth", "hidden",
)
_ALLOCATION = (
    "sharesAllocation", "discretionaryAmt", "goodAfterTime", "goodTillDate", "faGroup", "faMethod",
    "faPercentage",
)
_BODY = (
    "modelCode", "shortSaleSlot", "designatedLocation", "exemptCode", "ocaType", "rule80A",
    "settlingFirm", "allOrNone", "minQty", "percentOffset", "eTradeOnly", "firmQuoteOnly",
    "nbboPriceCap", "auctionStrategy", "startingPrice", "stockRefPrice", "delta", "stockRangeLower",
    "stockRangeUpper", "overridePercentageConstraints", "volatility", "volatilityType",
    "deltaNeutralOrderType", "deltaNeutralAuxPrice",
)
_DELTA_NEUTRAL = (
    "deltaNeutralConId", "deltaNeutralSettlingFirm", "deltaNeutralClearingAccount",
    "deltaNeutralClearingIntent", "deltaNeutralOpenClose", "deltaNeutralShortSale",
    "deltaNeutralShortSaleSlot", "deltaNeutralDesignatedLocation",
)
_CONTINUOUS = (
    "continuousUpdate", "referencePriceType", "trailStopPrice", "trailingPercent",
    "scaleInitLevelSize", "scaleSubsLevelSize", "scalePriceIncrement",
)
_SCALE = (
    "scalePriceAdjustValue", "scalePriceAdjustInterval", "scaleProfitOffset", "scaleAutoReset",
    "scaleInitPosition", "scaleInitFillQty", "scaleRandomPercent",
)
_SCALE_TABLE = ("scaleTable", "activeStartTime", "activeStopTime", "hedgeType")
_CLEARING = ("optOutSmartRouting", "clearingAccount", "clearingIntent", "notHeld")
_MISC = ("algoId", "whatIf", "orderMiscOptions", "solicited", "randomizeSize", "randomizePrice")
_PEG_BENCH = (
    "referenceContractId", "isPeggedChangeAmountDecrease", "peggedChangeAmount",
    "referenceChangeAmount", "referenceExchangeId",
)
_ADJUSTED = (
    "adjustedOrderType", "triggerPrice", "lmtPriceOffset", "adjustedStopPrice",
    "adjustedStopLimitPrice", "adjustedTrailingAmount", "adjustableTrailingUnit", "extOperator",
    "softDollarTierName", "softDollarTierValue", "cashQty", "mifid2DecisionMaker",
    "mifid2DecisionAlgo", "mifid2ExecutionTrader", "mifid2ExecutionAlgo", "dontUseAutoPriceForHedge",
    "isOmsContainer", "discretionaryUpToLimitPrice", "usePriceMgmtAlgo",
)
_BY_VERSION = (
    (158, "duration"), (160, "postToAts"), (162, "autoCancelParent"),
    (166, "advancedErrorOverride"), (169, "manualOrderTime"),
)


# --- placeOrder ------------------------------------------------------------------------------------


def parse_place_order(fields: Fields, server_version: int, client_id: int) -> PlacedOrder:
    """Read a placeOrder message to its last field; a field too many or too few raises ValueError.

    ``[3, orderId, contract(12), secIdType, secId, action, totalQuantity, orderType, lmtPrice,
    auxPrice, tif, ocaGroup, account, openClose, origin, orderRef, transmit, parentId, blockOrder,
    sweepToFill, displaySize, triggerMethod, outsideRth, hidden, (BAG: legCount, legs × 8,
    orderLegCount, prices, paramCount, tag/value pairs), "", discretionaryAmt, goodAfterTime,
    goodTillDate, faGroup, faMethod, faPercentage, (faProfile below 177), modelCode ... (see
    ``ib_async.client.placeOrder``) ..., duration, postToAts, autoCancelParent,
    advancedErrorOverride, manualOrderTime, (PEG/ATS extras)]``
    """
    reader = FieldReader(fields)
    order_id = reader.integer("orderId")
    contract = WireContract.read(reader)
    named: dict[str, str] = {}
    _read_into(reader, named, ("secIdType", "secId", *_HEAD))
    legs = _read_combo(reader, named) if contract.sec_type == "BAG" else ()
    _read_into(reader, named, _ALLOCATION)
    if server_version < NO_FA_PROFILE_VERSION:
        _read_into(reader, named, ("faProfile",))
    _read_tail(reader, named, server_version, contract.exchange)
    reader.expect_end()
    return PlacedOrder(
        order_id=order_id,
        client_id=client_id,
        server_version=server_version,
        contract=contract,
        legs=legs,
        action=named["action"],
        total_quantity=float(named["totalQuantity"] or 0),
        order_type=named["orderType"],
        lmt_price=_optional_float(named["lmtPrice"]),
        aux_price=_optional_float(named["auxPrice"]),
        tif=named["tif"],
        order_ref=named["orderRef"],
        account=named["account"],
        transmit=named["transmit"] == "1",
        named=named,
        raw=tuple(fields),
    )


def _read_combo(reader: FieldReader, named: dict[str, str]) -> tuple[PlacedLeg, ...]:
    """The BAG block: legs (8 fields each), per-leg order prices, smart combo routing params."""
    legs = []
    for _ in range(reader.integer("comboLegsCount")):
        legs.append(
            PlacedLeg(
                con_id=reader.integer("leg.conId"),
                ratio=reader.integer("leg.ratio"),
                action=reader.text("leg.action"),
                exchange=reader.text("leg.exchange"),
            )
        )
        for name in ("openClose", "shortSaleSlot", "designatedLocation", "exemptCode"):
            reader.text(f"leg.{name}")
    prices = [reader.text("orderComboLeg.price") for _ in range(reader.integer("orderComboLegsCount"))]
    named["orderComboLegPrices"] = ",".join(prices)
    named["smartComboRoutingParams"] = _read_tag_values(reader, "smartComboRoutingParamsCount")
    return tuple(legs)


def _read_tail(reader: FieldReader, named: dict[str, str], version: int, exchange: str) -> None:
    """Everything after the allocation fields, with the sections that only some orders carry."""
    _read_into(reader, named, _BODY)
    if named["deltaNeutralOrderType"]:
        _read_into(reader, named, _DELTA_NEUTRAL)
    _read_into(reader, named, _CONTINUOUS)
    if float(named["scalePriceIncrement"] or 0) > 0:
        _read_into(reader, named, _SCALE)
    _read_into(reader, named, _SCALE_TABLE)
    if named["hedgeType"]:
        _read_into(reader, named, ("hedgeParam",))
    _read_into(reader, named, _CLEARING)
    if reader.flag("deltaNeutralContractPresent"):
        _read_into(reader, named, ("dnc.conId", "dnc.delta", "dnc.price"))
    _read_into(reader, named, ("algoStrategy",))
    if named["algoStrategy"]:
        named["algoParams"] = _read_tag_values(reader, "algoParamsCount")
    _read_into(reader, named, _MISC)
    if named["orderType"] in ("PEG BENCH", "PEGBENCH"):
        _read_into(reader, named, _PEG_BENCH)
    if reader.integer("conditionsCount"):
        raise ValueError("order conditions are not supported by the fake TWS")
    _read_into(reader, named, _ADJUSTED)
    _read_into(reader, named, tuple(name for since, name in _BY_VERSION if version >= since))
    if version >= 170:
        _read_peg_extras(reader, named, exchange)


def _read_peg_extras(reader: FieldReader, named: dict[str, str], exchange: str) -> None:
    """Server 170+: minTradeQty for IBKRATS, the PEG BEST / PEG MID offsets."""
    if exchange == "IBKRATS":
        _read_into(reader, named, ("minTradeQty",))
    order_type = named["orderType"]
    if order_type in ("PEG BEST", "PEGBEST"):
        _read_into(reader, named, ("minCompeteSize", "competeAgainstBestOffset"))
        if named["competeAgainstBestOffset"] == "Infinite":
            _read_into(reader, named, ("midOffsetAtWhole", "midOffsetAtHalf"))
    elif order_type in ("PEG MID", "PEGMID"):
        _read_into(reader, named, ("midOffsetAtWhole", "midOffsetAtHalf"))


def _read_into(reader: FieldReader, named: dict[str, str], names: tuple[str, ...]) -> None:
    """Read one field per name into ``named``."""
    for name in names:
        named[name] = reader.text(name)


def _read_tag_values(reader: FieldReader, count_name: str) -> str:
    """A count then tag/value pairs, kept as ib_async writes tag lists: ``tag=value;...``."""
    count = reader.integer(count_name)
    return "".join(f"{reader.text('tag')}={reader.text('value')};" for _ in range(count))


def _optional_float(text: str) -> float | None:
    """A price field: empty (unset) is None."""
    return float(text) if text else None


# --- order answers ---------------------------------------------------------------------------------


def order_status(order: FakeOrder) -> Reply:
    """``[3, orderId, status, filled, remaining, avgFillPrice, permId, parentId, lastFillPrice,
    clientId, whyHeld, mktCapPrice]`` (no version field at these server versions)."""
    return (
        Outgoing.ORDER_STATUS, order.order_id, order.status, order.filled, order.remaining,
        order.avg_fill_price, order.perm_id, 0, order.last_fill_price, order.client_id, "", 0,
    )


def open_order(order: FakeOrder, contract: FakeContract, version: int) -> Reply:
    """``openOrder`` as ``ib_async.decoder.openOrder`` reads it (no version field).

    ``[5, orderId, contract(11), action, totalQuantity, orderType, lmtPrice, auxPrice, tif,
    ocaGroup, account, openClose, origin, orderRef, clientId, permId, outsideRth, hidden,
    discretionaryAmt, goodAfterTime, sharesAllocation, faGroup, faMethod, faPercentage,
    (faProfile below 177), modelCode, goodTillDate, rule80A, percentOffset, settlingFirm,
    shortSaleSlot, designatedLocation, exemptCode, auctionStrategy, startingPrice, stockRefPrice,
    delta, stockRangeLower, stockRangeUpper, displaySize, blockOrder, sweepToFill, allOrNone,
    minQty, ocaType, eTradeOnly, firmQuoteOnly, nbboPriceCap, parentId, triggerMethod, volatility,
    volatilityType, deltaNeutralOrderType, deltaNeutralAuxPrice, continuousUpdate,
    referencePriceType, trailStopPrice, trailingPercent, basisPoints, basisPointsType,
    comboLegsDescrip, legs, orderLegs, smartComboParams, scaleInitLevelSize, scaleSubsLevelSize,
    scalePriceIncrement, hedgeType, optOutSmartRouting, clearingAccount, clearingIntent, notHeld,
    deltaNeutralContractPresent, algoStrategy, solicited, whatIf, status, 9 margin values,
    commission, minCommission, maxCommission, commissionCurrency, warningText, randomizeSize,
    randomizePrice, conditionsCount, adjustedOrderType, triggerPrice, trailStopPrice,
    lmtPriceOffset, adjustedStopPrice, adjustedStopLimitPrice, adjustedTrailingAmount,
    adjustableTrailingUnit, softDollarTier × 3, cashQty, dontUseAutoPriceForHedge, isOmsContainer,
    discretionaryUpToLimitPrice, usePriceMgmtAlgo, duration, postToAts, autoCancelParent,
    minTradeQty, minCompeteSize, competeAgainstBestOffset, midOffsetAtWhole, midOffsetAtHalf]``
    """
    get = _echo(order.placed)
    return (
        Outgoing.OPEN_ORDER, order.order_id, *contract.wire(),
        *_order_terms(order),
        order.client_id, order.perm_id, get("outsideRth", "0"), get("hidden", "0"),
        get("discretionaryAmt", "0"), get("goodAfterTime"), "",
        get("faGroup"), get("faMethod"), get("faPercentage"),
        *_fa_profile(version),
        get("modelCode"), get("goodTillDate"), get("rule80A"), get("percentOffset"),
        get("settlingFirm"), get("shortSaleSlot", "0"), get("designatedLocation"),
        get("exemptCode", "-1"), get("auctionStrategy", "0"), get("startingPrice"),
        get("stockRefPrice"), get("delta"), get("stockRangeLower"), get("stockRangeUpper"),
        get("displaySize"), get("blockOrder", "0"), get("sweepToFill", "0"), get("allOrNone", "0"),
        get("minQty"), get("ocaType", "0"), "0", "0", "", get("parentId", "0"),
        # triggerMethod, volatility (never echoed: ib_async clears it), volatilityType, no delta neutral
        get("triggerMethod", "0"), "", get("volatilityType"), "", "",
        get("continuousUpdate", "0"), get("referencePriceType"), get("trailStopPrice"),
        get("trailingPercent"), "", "",  # ..., basisPoints, basisPointsType
        *_combo_block(order.placed),
        "", "", "", "",  # scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement, hedgeType
        "0", "", "", get("notHeld", "0"), 0, "",  # ..., notHeld, no delta-neutral contract, no algo
        "0", "0", order.status,  # solicited, whatIf, the order state's status
        *([""] * 9), "", "", "", "", "",  # margins, commission, min, max, currency, warningText
        "0", "0", 0,  # randomizeSize, randomizePrice, no conditions
        "", "", get("trailStopPrice"), "", "", "", "", 0,  # adjusted order fields
        "", "", "", get("cashQty"),  # soft dollar tier name, value, display name; cashQty
        "0", "0", "0", "0",  # dontUseAutoPriceForHedge, isOmsContainer, discretionaryUpTo.., priceMgmtAlgo
        "", "", "0",  # duration, postToAts, autoCancelParent
        "", "", "", "", "",  # minTradeQty, minCompeteSize, competeAgainstBestOffset, midOffsets
    )


def completed_order(order: FakeOrder, contract: FakeContract, version: int) -> Reply:
    """``completedOrder`` as ``ib_async.decoder.completedOrder`` reads it (no order id, no version).

    ``[101, contract(11), action, totalQuantity, orderType, lmtPrice, auxPrice, tif, ocaGroup,
    account, openClose, origin, orderRef, permId, outsideRth, hidden, discretionaryAmt,
    goodAfterTime, faGroup, faMethod, faPercentage, (faProfile below 177), modelCode, goodTillDate,
    rule80A, percentOffset, settlingFirm, shortSaleSlot, designatedLocation, exemptCode,
    startingPrice, stockRefPrice, delta, stockRangeLower, stockRangeUpper, displaySize, sweepToFill,
    allOrNone, minQty, ocaType, triggerMethod, volatility, volatilityType, deltaNeutralOrderType,
    deltaNeutralAuxPrice, continuousUpdate, referencePriceType, trailStopPrice, trailingPercent,
    comboLegsDescrip, legs, orderLegs, smartComboParams, scaleInitLevelSize, scaleSubsLevelSize,
    scalePriceIncrement, hedgeType, clearingAccount, clearingIntent, notHeld,
    deltaNeutralContractPresent, algoStrategy, solicited, status, randomizeSize, randomizePrice,
    conditionsCount, trailStopPrice, lmtPriceOffset, cashQty, dontUseAutoPriceForHedge,
    isOmsContainer, autoCancelDate, filledQuantity, refFuturesConId, autoCancelParent, shareholder,
    imbalanceOnly, routeMarketableToBbo, parentPermId, completedTime, completedStatus,
    minTradeQty, minCompeteSize, competeAgainstBestOffset, midOffsetAtWhole, midOffsetAtHalf]``
    """
    get = _echo(order.placed)
    return (
        Outgoing.COMPLETED_ORDER, *contract.wire(),
        *_order_terms(order),
        order.perm_id, get("outsideRth", "0"), get("hidden", "0"),
        get("discretionaryAmt", "0"), get("goodAfterTime"),
        get("faGroup"), get("faMethod"), get("faPercentage"),
        *_fa_profile(version),
        get("modelCode"), get("goodTillDate"), get("rule80A"), get("percentOffset"),
        get("settlingFirm"), get("shortSaleSlot", "0"), get("designatedLocation"),
        get("exemptCode", "-1"), get("startingPrice"), get("stockRefPrice"), get("delta"),
        get("stockRangeLower"), get("stockRangeUpper"), get("displaySize"),
        get("sweepToFill", "0"), get("allOrNone", "0"), get("minQty"), get("ocaType", "0"),
        get("triggerMethod", "0"), "", get("volatilityType"), "", "",
        get("continuousUpdate", "0"), get("referencePriceType"), get("trailStopPrice"),
        get("trailingPercent"),
        *_combo_block(order.placed),
        "", "", "", "",  # scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement, hedgeType
        "", "", get("notHeld", "0"), 0, "",  # clearing, notHeld, no delta-neutral contract, no algo
        "0", order.status, "0", "0",  # solicited, status, randomizeSize, randomizePrice
        0, get("trailStopPrice"), "", get("cashQty"),  # no conditions, ..., lmtPriceOffset, cashQty
        "0", "0", "", order.filled,  # dontUseAutoPriceForHedge, isOmsContainer, autoCancelDate, filled
        0, "0", "", "0", "0", 0,  # refFuturesConId .. parentPermId
        order.completed_time, order.status,  # completedTime, completedStatus
        "", "", "", "", "",  # minTradeQty, minCompeteSize, competeAgainstBestOffset, midOffsets
    )


def _order_terms(order: FakeOrder) -> tuple[object, ...]:
    """``action, totalQuantity, orderType, lmtPrice, auxPrice, tif, ocaGroup, account, openClose,
    origin, orderRef`` as the order was last placed."""
    get = _echo(order.placed)
    return (
        get("action"), get("totalQuantity"), get("orderType"), get("lmtPrice"), get("auxPrice"),
        get("tif"), get("ocaGroup"), order.account, get("openClose"), get("origin", "0"),
        get("orderRef"),
    )


def _combo_block(placed: PlacedOrder) -> tuple[object, ...]:
    """``comboLegsDescrip, legCount, legs × 8, orderLegCount, prices, paramCount, pairs``."""
    description = ",".join(f"{leg.con_id}|{leg.ratio * leg.sign}" for leg in placed.legs)
    legs = [
        value
        for leg in placed.legs
        for value in (leg.con_id, leg.ratio, leg.action, leg.exchange, 0, 0, "", -1)
    ]
    prices_text = placed.named.get("orderComboLegPrices", "")
    prices = prices_text.split(",") if prices_text else []
    pairs = [
        part.split("=", 1) for part in placed.named.get("smartComboRoutingParams", "").split(";") if part
    ]
    flat_pairs = [value for pair in pairs for value in pair]
    return (description, len(placed.legs), *legs, len(prices), *prices, len(pairs), *flat_pairs)


def _fa_profile(version: int) -> tuple[object, ...]:
    """The obsolete ``faProfile`` field, present below server version 177."""
    return ("",) if version < NO_FA_PROFILE_VERSION else ()


def _echo(placed: PlacedOrder) -> Callable[..., str]:
    """A getter of the order's fields as placed, with a default for fields not sent."""

    def get(name: str, default: str = "") -> str:
        return placed.named.get(name, default)

    return get


# --- executions and positions ----------------------------------------------------------------------


def exec_details(request_id: int, execution: FakeExecution, version: int) -> Reply:
    """``execDetails`` as ``ib_async.decoder.execDetails`` reads it (no version field).

    ``[11, reqId, orderId, conId, symbol, secType, lastTradeDate, strike, right, multiplier,
    exchange, currency, localSymbol, tradingClass, execId, time, acctNumber, exchange, side, shares,
    price, permId, clientId, liquidation, cumQty, avgPrice, orderRef, evRule, evMultiplier,
    modelCode, lastLiquidity, (pendingPriceRevision from 178)]``
    """
    revision = (0,) if version >= PENDING_PRICE_REVISION_VERSION else ()
    return (
        Outgoing.EXECUTION_DATA, request_id, execution.order_id,
        *execution.contract.wire(exchange=execution.venue),
        execution.exec_id, _execution_time(execution.time), execution.account, execution.venue,
        execution.side, execution.shares, execution.price, execution.perm_id, execution.client_id,
        0, execution.cum_qty, execution.avg_price, execution.order_ref, "", "", "", 2,
        *revision,
    )


def commission_report(execution: FakeExecution) -> Reply:
    """``[59, 1, execId, commission, currency, realizedPNL, yield, yieldRedemptionDate]``."""
    return (
        Outgoing.COMMISSION_REPORT, 1, execution.exec_id, execution.commission, execution.currency,
        "", "", "",
    )


def position(account: str, contract: FakeContract, quantity: float, avg_cost: float) -> Reply:
    """``[61, 3, account, conId, symbol, secType, lastTradeDate, strike, right, multiplier,
    exchange, currency, localSymbol, tradingClass, position, avgCost]``; TWS leaves the exchange
    of a position empty."""
    return (Outgoing.POSITION_DATA, 3, account, *contract.wire(exchange=""), quantity, avg_cost)


def _execution_time(moment: datetime) -> str:
    """``YYYYMMDD HH:MM:SS UTC`` (recent TWS versions name the zone; UTC is always a valid one)."""
    return f"{moment.astimezone(UTC):%Y%m%d %H:%M:%S} UTC"
