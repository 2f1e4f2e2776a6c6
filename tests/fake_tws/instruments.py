"""The instruments the fake TWS lists, and its answers about them.

A test lists indexes and options; the catalog then answers reqContractDetails (matching the request's
fields the way TWS does), reqSecDefOptParams (one entry per exchange and trading class) and
reqMarketRule (the price increments a contract's details point at).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tests.fake_tws.model import FakeContract, WireContract
from tests.fake_tws.protocol import Outgoing

Reply = tuple[object, ...]
"""One outgoing message as its fields, the ``Outgoing`` id first."""

INDEX_MARKET_RULE = 9001
OPTION_MARKET_RULE = 9002
"""Market rule ids of the fake (its own numbers, not IB's)."""

DEFAULT_MARKET_RULES: dict[int, tuple[tuple[float, float], ...]] = {
    INDEX_MARKET_RULE: ((0.0, 0.01),),
    # Index options quote in 0.05 below $3 and in 0.10 from $3 (the CBOE rule for SPX).
    OPTION_MARKET_RULE: ((0.0, 0.05), (3.0, 0.10)),
}
"""Price increments ``(low edge, increment)`` by market rule id."""

OPTION_VENUE = "CBOE"
"""Where listed options trade; a request may name it or SMART."""

FIRST_AUTO_CON_ID = 700_000_001
"""Contract ids the catalog assigns when a test gives none start here."""

NO_SECURITY_DEFINITION = 200
NO_SECURITY_DEFINITION_TEXT = "No security definition has been found for the request"


@dataclass
class Catalog:
    """The listed instruments by contract id, and the market rules their details refer to.

    List through ``add_index``/``list_option``/``list_chain`` (they keep the lookups); ``contracts``
    is for reading.
    """

    contracts: dict[int, FakeContract] = field(default_factory=dict)
    market_rules: dict[int, tuple[tuple[float, float], ...]] = field(
        default_factory=lambda: dict(DEFAULT_MARKET_RULES)
    )
    _next_con_id: int = FIRST_AUTO_CON_ID
    # Lookups kept beside ``contracts`` so that listing and qualifying whole chains (thousands of
    # options) stay linear: by description, by symbol, and by (symbol, expiry, strike, right).
    _by_description: dict[tuple[object, ...], FakeContract] = field(default_factory=dict)
    _by_symbol: dict[str, list[FakeContract]] = field(default_factory=dict)
    _by_series: dict[tuple[str, str, float, str], list[FakeContract]] = field(default_factory=dict)
    _indexes: dict[str, FakeContract] = field(default_factory=dict)

    # --- listing ------------------------------------------------------------------------------

    def add_index(self, symbol: str, con_id: int, exchange: str = "CBOE") -> FakeContract:
        """List an index (SPX, VIX...) under ``con_id``."""
        index = FakeContract(
            con_id=con_id,
            sec_type="IND",
            symbol=symbol,
            trading_class=symbol,
            exchange=exchange,
            local_symbol=symbol,
        )
        return self._add(index)

    def list_option(
        self,
        symbol: str,
        expiry: str,
        strike: float,
        right: str,
        trading_class: str,
        con_id: int | None = None,
        exchange: str = "SMART",
        multiplier: str = "100",
    ) -> FakeContract:
        """List one option; ``con_id`` None assigns the next free id."""
        if len(expiry) != 8 or not expiry.isdigit():
            raise ValueError(f"expiry {expiry!r}: expected YYYYMMDD")
        if right not in ("C", "P"):
            raise ValueError(f"right {right!r}: expected 'C' or 'P'")
        option = FakeContract(
            con_id=self._take_con_id() if con_id is None else con_id,
            sec_type="OPT",
            symbol=symbol,
            expiry=expiry,
            strike=float(strike),
            right=right,
            trading_class=trading_class,
            exchange=exchange,
            multiplier=multiplier,
            local_symbol=occ_symbol(trading_class, expiry, right, strike),
        )
        return self._add(option)

    def list_chain(
        self, symbol: str, trading_class: str, expiries: Iterable[str], strikes: Iterable[float]
    ) -> list[FakeContract]:
        """List a call and a put at every strike of every expiry; contract ids are assigned."""
        strike_list = list(strikes)
        return [
            self.list_option(symbol, expiry, strike, right, trading_class)
            for expiry in expiries
            for strike in strike_list
            for right in ("C", "P")
        ]

    def get(self, con_id: int) -> FakeContract:
        """The listed contract with ``con_id``."""
        try:
            return self.contracts[con_id]
        except KeyError:
            raise KeyError(f"no contract with con_id {con_id} is listed") from None

    def index_of(self, symbol: str) -> FakeContract | None:
        """The listed index of ``symbol``, if any."""
        return self._indexes.get(symbol)

    def _add(self, contract: FakeContract) -> FakeContract:
        """Store ``contract``, refusing a second instrument under one id or one description."""
        if contract.con_id in self.contracts:
            raise ValueError(f"con_id {contract.con_id} is already listed: {self.contracts[contract.con_id]}")
        description = _description(contract)
        twin = self._by_description.get(description)
        if twin is not None:
            raise ValueError(f"{contract} is already listed as con_id {twin.con_id}")
        self.contracts[contract.con_id] = contract
        self._by_description[description] = contract
        self._by_symbol.setdefault(contract.symbol, []).append(contract)
        if contract.sec_type == "IND":
            self._indexes.setdefault(contract.symbol, contract)
        series = (contract.symbol, contract.expiry, contract.strike, contract.right)
        self._by_series.setdefault(series, []).append(contract)
        self._next_con_id = max(self._next_con_id, contract.con_id + 1)
        return contract

    def _take_con_id(self) -> int:
        """The next contract id nobody uses."""
        while self._next_con_id in self.contracts:
            self._next_con_id += 1
        return self._next_con_id

    # --- matching -----------------------------------------------------------------------------

    def match(self, request: WireContract) -> list[FakeContract]:
        """The listed contracts a request's contract describes, as TWS matches them.

        A contract id decides alone. Otherwise the symbol is required and every other field the
        request fills in must agree (a 6-digit expiry is a month); empty fields match anything.
        """
        if request.con_id:
            found = self.contracts.get(request.con_id)
            return [found] if found is not None else []
        if not request.symbol:
            return []
        return [c for c in self._candidates(request) if _describes(request, c)]

    def _candidates(self, request: WireContract) -> list[FakeContract]:
        """The listings worth checking: one series when the request names it fully, else the symbol's."""
        if len(request.expiry) == 8 and request.strike and request.right:
            series = (request.symbol, request.expiry, request.strike, normal_right(request.right))
            return self._by_series.get(series, [])
        return self._by_symbol.get(request.symbol, [])

    # --- answers ------------------------------------------------------------------------------

    def contract_details(self, request_id: int, request: WireContract) -> list[Reply]:
        """Every match as contractData, then contractDataEnd; no match is error 200 instead."""
        found = self.match(request)
        if not found:
            return [_error(request_id, NO_SECURITY_DEFINITION, NO_SECURITY_DEFINITION_TEXT)]
        replies = [self.contract_data(request_id, c, request.exchange or c.exchange) for c in found]
        replies.append((Outgoing.CONTRACT_DATA_END, 1, request_id))
        return replies

    def contract_data(self, request_id: int, contract: FakeContract, exchange: str) -> Reply:
        """``contractData`` as ib_async decodes it from server version 164 on (no version field).

        ``[10, reqId, symbol, secType, lastTradeDate, strike, right, exchange, currency, localSymbol,
        marketName, tradingClass, conId, minTick, multiplier, orderTypes, validExchanges,
        priceMagnifier, underConId, longName, primaryExchange, contractMonth, industry, category,
        subcategory, timeZoneId, tradingHours, liquidHours, evRule, evMultiplier, secIdListCount,
        aggGroup, underSymbol, underSecType, marketRuleIds, realExpirationDate, stockType, minSize,
        sizeIncrement, suggestedSizeIncrement]``
        """
        is_option = contract.sec_type == "OPT"
        underlying = self.index_of(contract.symbol) if is_option else None
        exchanges = valid_exchanges(contract)
        rule = OPTION_MARKET_RULE if is_option else INDEX_MARKET_RULE
        return (
            Outgoing.CONTRACT_DATA, request_id,
            contract.symbol, contract.sec_type, contract.expiry, contract.strike, contract.right,
            exchange, contract.currency, contract.local_symbol,
            contract.trading_class, contract.trading_class, contract.con_id,
            0.05 if is_option else 0.01, contract.multiplier,
            "LMT,MKT,STP" if is_option else "", ",".join(exchanges), 1,
            underlying.con_id if underlying else 0, _long_name(contract),
            OPTION_VENUE if is_option else contract.exchange, contract.expiry[:6],
            "", "", "", "US/Central", "", "", "", "", 0,
            2 if is_option else 0,
            contract.symbol if is_option else "", "IND" if underlying else "",
            ",".join(str(rule) for _ in exchanges), contract.expiry, "",
            1, 1, 1,
        )

    def option_parameters(
        self, request_id: int, symbol: str, exchange: str, underlying_con_id: int
    ) -> list[Reply]:
        """``securityDefinitionOptionParameter`` per (exchange, trading class), then the End.

        ``[75, reqId, exchange, underlyingConId, tradingClass, multiplier, expirationCount,
        expirations..., strikeCount, strikes...]`` and ``[76, reqId]``.
        """
        index = self.index_of(symbol)
        under_id = underlying_con_id or (index.con_id if index else 0)
        groups: dict[tuple[str, str], list[FakeContract]] = {}
        for option in self._by_symbol.get(symbol, []):
            if _is_option_of(option, symbol, exchange):
                groups.setdefault((option.exchange, option.trading_class), []).append(option)
        replies: list[Reply] = []
        for (venue, trading_class), options in sorted(groups.items()):
            expiries = sorted({o.expiry for o in options})
            strikes = sorted({o.strike for o in options})
            replies.append(
                (Outgoing.SECURITY_DEFINITION_OPTION_PARAMETER, request_id, venue, under_id,
                 trading_class, options[0].multiplier, len(expiries), *expiries, len(strikes), *strikes)
            )
        replies.append((Outgoing.SECURITY_DEFINITION_OPTION_PARAMETER_END, request_id))
        return replies

    def market_rule(self, rule_id: int) -> Reply:
        """``[93, marketRuleId, count, (lowEdge, increment)...]``; an unknown id has no increments."""
        increments = self.market_rules.get(rule_id, ())
        flat = [value for increment in increments for value in increment]
        return (Outgoing.MARKET_RULE, rule_id, len(increments), *flat)


def valid_exchanges(contract: FakeContract) -> list[str]:
    """Where a contract may be asked for: an index on its own exchange, an option also on SMART."""
    if contract.sec_type != "OPT":
        return [contract.exchange]
    return list(dict.fromkeys(["SMART", contract.exchange, OPTION_VENUE]))


def occ_symbol(trading_class: str, expiry: str, right: str, strike: float) -> str:
    """The OCC option symbol IB uses as local symbol, e.g. ``SPXW  150130P02000000``."""
    return f"{trading_class:<6}{expiry[2:]}{right}{round(strike * 1000):08d}"


def normal_right(right: str) -> str:
    """``C``/``CALL`` → ``C``, ``P``/``PUT`` → ``P`` (TWS accepts both spellings)."""
    return right[:1].upper()


def _describes(request: WireContract, contract: FakeContract) -> bool:
    """True if every field the request fills in agrees with ``contract``."""
    checks: Sequence[tuple[bool, bool]] = (
        (True, request.symbol == contract.symbol),
        (bool(request.sec_type), request.sec_type == contract.sec_type),
        (bool(request.expiry), _expiry_matches(request.expiry, contract.expiry)),
        (bool(request.strike), abs(request.strike - contract.strike) < 1e-9),
        (bool(request.right), normal_right(request.right) == contract.right),
        (bool(request.trading_class), request.trading_class == contract.trading_class),
        (bool(request.exchange), request.exchange in valid_exchanges(contract)),
        (bool(request.currency), request.currency == contract.currency),
        (bool(request.multiplier), _same_multiplier(request.multiplier, contract.multiplier)),
        (bool(request.local_symbol), request.local_symbol == contract.local_symbol),
    )
    return all(matches for given, matches in checks if given)


def _is_option_of(contract: FakeContract, symbol: str, exchange: str) -> bool:
    """True for an option on ``symbol`` listed on ``exchange`` (any exchange when empty)."""
    listed_there = not exchange or contract.exchange == exchange
    return contract.sec_type == "OPT" and contract.symbol == symbol and listed_there


def _expiry_matches(asked: str, expiry: str) -> bool:
    """A full date must be the expiry; a ``YYYYMM`` month matches every expiry in it."""
    return expiry.startswith(asked) if len(asked) == 6 else asked == expiry


def _same_multiplier(asked: str, multiplier: str) -> bool:
    """Compare multipliers as numbers (``"100"`` and ``"100.0"`` agree)."""
    try:
        return float(asked) == float(multiplier or "nan")
    except ValueError:
        return asked == multiplier


def _description(contract: FakeContract) -> tuple[object, ...]:
    """What makes two listings one instrument (the contract id aside)."""
    return (contract.sec_type, contract.symbol, contract.expiry, contract.strike, contract.right,
            contract.trading_class)


def _long_name(contract: FakeContract) -> str:
    """A readable description, as TWS's longName gives one."""
    if contract.sec_type != "OPT":
        return f"{contract.symbol} index"
    return f"{contract.symbol} {contract.expiry} {contract.strike:g} {contract.right}"


def _error(request_id: int, code: int, message: str) -> Reply:
    """``[4, 2, reqId, code, message, advancedOrderRejectJson]``."""
    return (Outgoing.ERROR, 2, request_id, code, message, "")
