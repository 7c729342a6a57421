//! OUCH ↔ engine conversion: prices and their edge cases, market and FOK
//! conventions, display handling, and the reason/liquidity mappings.

use proptest::prelude::*;
use rtes_engine::{
    AccountId, CancelReason as EngineCancelReason, ClientOrderId, InstrumentId, Liquidity,
    OrderType, Price, Qty, RejectReason as EngineRejectReason, Side as EngineSide, TimeInForce,
    TimestampNs,
};
use rtes_gateway::ouch::convert::*;
use rtes_gateway::ouch::*;
use rtes_gateway::soupbin::ascii::Alpha;

const CENT: WireTick = match WireTick::new(100) {
    Some(tick) => tick,
    None => panic!(),
};

fn context() -> EntryContext {
    EntryContext {
        client_order_id: ClientOrderId(7),
        account: AccountId(3),
        instrument: InstrumentId(2),
        tick: CENT,
    }
}

fn order(side: Side, price: u32, time_in_force: u32) -> EnterOrder {
    EnterOrder {
        order_token: Alpha::padded(b"T").unwrap(),
        side,
        shares: 100,
        stock: Alpha::padded(b"AAPL").unwrap(),
        price,
        time_in_force,
        firm: Alpha::BLANK,
        display: Display::Anonymous,
        capacity: Capacity::Agency,
        intermarket_sweep: IntermarketSweep::NotEligible,
        minimum_quantity: 0,
        cross_type: CrossType::NoCross,
        customer_type: CustomerType::PortDefault,
    }
}

fn convert(message: &EnterOrder) -> Result<rtes_engine::NewOrder, RejectReason> {
    enter_order_to_engine(&message.to_record(), &context())
}

#[test]
fn price_conversion_edges() {
    assert_eq!(price_from_wire(0, CENT), Ok(Price(0)));
    assert_eq!(price_from_wire(100, CENT), Ok(Price(1)));
    assert_eq!(price_from_wire(99, CENT), Err(RejectReason::InvalidPrice));
    assert_eq!(price_from_wire(101, CENT), Err(RejectReason::InvalidPrice));
    assert_eq!(
        price_from_wire(u32::MAX, WireTick::new(1).unwrap()),
        Ok(Price(i64::from(u32::MAX)))
    );
    assert_eq!(
        price_from_wire(u32::MAX, CENT),
        Err(RejectReason::InvalidPrice)
    );
    assert_eq!(price_to_wire(Price(0), CENT), Some(0));
    assert_eq!(price_to_wire(Price(-1), CENT), None);
    assert_eq!(price_to_wire(Price(42_949_672), CENT), Some(4_294_967_200));
    assert_eq!(price_to_wire(Price(42_949_673), CENT), None);
    assert_eq!(price_to_wire(Price(i64::MAX), CENT), None);
    assert_eq!(WireTick::new(0), None);
}

#[test]
fn limit_orders() {
    let new = convert(&order(Side::Buy, 1_500_000, 99_999)).unwrap();
    assert_eq!(new.client_order_id, ClientOrderId(7));
    assert_eq!(new.account, AccountId(3));
    assert_eq!(new.instrument, InstrumentId(2));
    assert_eq!(new.side, EngineSide::Buy);
    assert_eq!(new.order_type, OrderType::Limit);
    assert_eq!(new.price, Price(15_000));
    assert_eq!(new.qty, Qty(100));
    assert_eq!(new.time_in_force, TimeInForce::Day);
    assert!(!new.hidden && !new.post_only);
    assert_eq!(
        convert(&order(Side::Sell, 100, 99_998))
            .unwrap()
            .time_in_force,
        TimeInForce::Day
    );
    // Timed orders rest for the day.
    assert_eq!(
        convert(&order(Side::Sell, 100, 30)).unwrap().time_in_force,
        TimeInForce::Day
    );
    assert_eq!(
        convert(&order(Side::Sell, 100, 0)).unwrap().time_in_force,
        TimeInForce::Ioc
    );
    // Short sales are sells.
    assert_eq!(
        convert(&order(Side::SellShort, 100, 0)).unwrap().side,
        EngineSide::Sell
    );
    assert_eq!(
        convert(&order(Side::SellShortExempt, 100, 0)).unwrap().side,
        EngineSide::Sell
    );
}

#[test]
fn invalid_prices_are_rejected_not_rounded() {
    assert_eq!(
        convert(&order(Side::Buy, 1_500_050, 99_999)),
        Err(RejectReason::InvalidPrice)
    );
    assert_eq!(
        convert(&order(Side::Buy, 0, 99_999)),
        Err(RejectReason::InvalidPrice)
    );
    assert_eq!(
        convert(&order(Side::Buy, 0, 0)),
        Err(RejectReason::InvalidPrice)
    );
    assert_eq!(
        convert(&order(Side::Sell, MAX_LIMIT_PRICE + 100, 99_999)),
        Err(RejectReason::InvalidPrice)
    );
    assert!(convert(&order(Side::Sell, MAX_LIMIT_PRICE, 99_999)).is_ok());
}

#[test]
fn market_order_convention() {
    let buy = convert(&order(Side::Buy, MARKET_BUY_PRICE, 0)).unwrap();
    assert_eq!(
        (buy.order_type, buy.time_in_force),
        (OrderType::Market, TimeInForce::Ioc)
    );
    let sell = convert(&order(Side::Sell, MARKET_SELL_PRICE, 0)).unwrap();
    assert_eq!(
        (sell.order_type, sell.side),
        (OrderType::Market, EngineSide::Sell)
    );
    // The sentinels only mean "market" with TIF 0 and on their own side.
    assert_eq!(
        convert(&order(Side::Buy, MARKET_BUY_PRICE, 99_999)),
        Err(RejectReason::InvalidPrice)
    );
    assert_eq!(
        convert(&order(Side::Sell, MARKET_SELL_PRICE, 99_999)),
        Err(RejectReason::InvalidPrice)
    );
    assert_eq!(
        convert(&order(Side::Sell, MARKET_BUY_PRICE, 0)),
        Err(RejectReason::InvalidPrice)
    );
}

#[test]
fn fill_or_kill_and_minimum_quantity() {
    let mut fok = order(Side::Buy, 100, 0);
    fok.minimum_quantity = 100;
    let new = convert(&fok).unwrap();
    assert_eq!((new.time_in_force, new.min_qty), (TimeInForce::Fok, Qty(0)));
    let mut market_fok = order(Side::Buy, MARKET_BUY_PRICE, 0);
    market_fok.minimum_quantity = 100;
    let new = convert(&market_fok).unwrap();
    assert_eq!(
        (new.order_type, new.time_in_force),
        (OrderType::Market, TimeInForce::Fok)
    );
    let mut partial = order(Side::Buy, 100, 0);
    partial.minimum_quantity = 40;
    let new = convert(&partial).unwrap();
    assert_eq!(
        (new.time_in_force, new.min_qty),
        (TimeInForce::Ioc, Qty(40))
    );
    let mut day = order(Side::Buy, 100, 99_999);
    day.minimum_quantity = 100;
    assert_eq!(convert(&day).unwrap().time_in_force, TimeInForce::Day);
    let mut too_big = order(Side::Buy, 100, 0);
    too_big.minimum_quantity = 101;
    assert_eq!(convert(&too_big), Err(RejectReason::InvalidMinimumQuantity));
}

#[test]
fn display_values() {
    let mut message = order(Side::Buy, 100, 99_999);
    message.display = Display::NonDisplay;
    assert!(convert(&message).unwrap().hidden);
    message.display = Display::PostOnly;
    let new = convert(&message).unwrap();
    assert!(new.post_only && !new.hidden);
    assert_eq!(display_to_ouch(&new), Display::PostOnly);
    for &display in Display::ALL {
        message.display = display;
        let honoured = matches!(
            display,
            Display::Anonymous | Display::NonDisplay | Display::PostOnly
        );
        assert_eq!(convert(&message).is_ok(), honoured, "{display:?}");
        if !honoured {
            assert_eq!(convert(&message), Err(RejectReason::InvalidDisplay));
        }
    }
    let mut record = order(Side::Buy, 100, 99_999).to_record();
    record.display = b'?';
    assert_eq!(
        enter_order_to_engine(&record, &context()),
        Err(RejectReason::InvalidDisplay)
    );
}

#[test]
fn other_fields() {
    let mut message = order(Side::Buy, 100, 99_999);
    message.cross_type = CrossType::Opening;
    assert_eq!(convert(&message), Err(RejectReason::NotAllowedInCross));
    let mut record = order(Side::Buy, 100, 99_999).to_record();
    record.side = b'Q';
    assert_eq!(
        enter_order_to_engine(&record, &context()),
        Err(RejectReason::Other)
    );
    let mut record = order(Side::Buy, 100, 99_999).to_record();
    record.capacity = b'?';
    assert_eq!(
        enter_order_to_engine(&record, &context()),
        Err(RejectReason::Other)
    );
    let mut record = order(Side::Buy, 100, 99_999).to_record();
    record.cross_type = b'?';
    assert_eq!(
        enter_order_to_engine(&record, &context()),
        Err(RejectReason::Other)
    );
}

#[test]
fn replace_and_cancel() {
    let replace = ReplaceOrder {
        existing_order_token: Alpha::padded(b"A").unwrap(),
        replacement_order_token: Alpha::padded(b"B").unwrap(),
        shares: 50,
        price: 1_000,
        time_in_force: 99_999,
        display: Display::Anonymous,
        intermarket_sweep: IntermarketSweep::NotEligible,
        minimum_quantity: 0,
    };
    let context = ReplaceContext {
        client_order_id: ClientOrderId(1),
        new_client_order_id: ClientOrderId(2),
        tick: CENT,
    };
    let engine = replace_order_to_engine(&replace.to_record(), &context).unwrap();
    assert_eq!((engine.price, engine.qty), (Price(10), Qty(50)));
    assert_eq!(
        (engine.client_order_id, engine.new_client_order_id),
        (ClientOrderId(1), ClientOrderId(2))
    );
    let off_tick = ReplaceOrder {
        price: 1_050,
        ..replace
    };
    assert_eq!(
        replace_order_to_engine(&off_tick.to_record(), &context),
        Err(RejectReason::InvalidPrice)
    );
    let market = ReplaceOrder {
        price: MARKET_BUY_PRICE,
        ..replace
    };
    assert_eq!(
        replace_order_to_engine(&market.to_record(), &context),
        Err(RejectReason::InvalidPrice)
    );
    let mid_point = ReplaceOrder {
        display: Display::MidPoint,
        ..replace
    };
    assert_eq!(
        replace_order_to_engine(&mid_point.to_record(), &context),
        Err(RejectReason::InvalidDisplay)
    );
    let cancel = CancelOrder {
        order_token: Alpha::padded(b"A").unwrap(),
        shares: 30,
    };
    let engine = cancel_order_to_engine(&cancel.to_record(), ClientOrderId(9));
    assert_eq!(
        (engine.client_order_id, engine.leave_qty),
        (ClientOrderId(9), Qty(30))
    );
}

#[test]
fn reject_reason_mapping() {
    use EngineRejectReason as E;
    let cases = [
        (E::UnknownInstrument, b'S'),
        (E::InvalidQuantity, b'O'),
        (E::QuantityBelowMinimum, b'O'),
        (E::QuantityAboveMaximum, b'Z'),
        (E::PriceOutsideBand, b'X'),
        (E::InvalidMinQty, b'N'),
        (E::InvalidOrderAttributes, b'O'),
        (E::DuplicateClientOrderId, b'O'),
        (E::PostOnlyWouldTake, b'O'),
        (E::UnknownOrder, b'O'),
        (E::InstrumentClosed, b'C'),
        (E::InstrumentHalted, b'H'),
        (E::NotAllowedInState, b'R'),
        (E::RiskMaxOrderQty, b'Z'),
        (E::RiskMaxNotional, b'n'),
        (E::RiskPriceCollar, b'X'),
        (E::RiskMaxOpenOrders, b'O'),
        (E::RiskMaxPosition, b'O'),
        (E::UnknownAccount, b'L'),
        (E::BookFull, b'O'),
    ];
    for (engine, byte) in cases {
        assert_eq!(reject_reason_to_ouch(engine).as_byte(), byte, "{engine:?}");
    }
}

#[test]
fn cancel_reason_mapping() {
    use EngineCancelReason as E;
    let cases = [
        (E::User, b'U'),
        (E::ImmediateOrCancel, b'I'),
        (E::FillConditionNotMet, b'I'),
        (E::SelfTradeNewest, b'Q'),
        (E::SelfTradeOldest, b'Q'),
        (E::SelfTradeBoth, b'Q'),
        (E::MassCancel, b'U'),
        (E::Disconnect, b'Z'),
        (E::Supervisory, b'S'),
    ];
    for (engine, byte) in cases {
        assert_eq!(cancel_reason_to_ouch(engine).as_byte(), byte, "{engine:?}");
    }
}

#[test]
fn liquidity_side_state_and_time() {
    assert_eq!(liquidity_to_ouch(Liquidity::Added), LiquidityFlag::Added);
    assert_eq!(
        liquidity_to_ouch(Liquidity::Removed),
        LiquidityFlag::Removed
    );
    assert_eq!(
        liquidity_to_ouch(Liquidity::Cross),
        LiquidityFlag::OpeningCross
    );
    assert_eq!(side_to_ouch(EngineSide::Buy), Side::Buy);
    assert_eq!(side_to_ouch(EngineSide::Sell), Side::Sell);
    assert_eq!(order_state_to_ouch(true), OrderState::Live);
    assert_eq!(order_state_to_ouch(false), OrderState::Dead);
    assert_eq!(
        timestamp_to_ouch(TimestampNs(3 * NANOSECONDS_PER_DAY + 42)),
        42
    );
}

proptest! {
    #[test]
    fn prices_round_trip_through_ticks(ticks in 0i64..=42_949_672, tick_units in 1u32..=10_000) {
        let tick = WireTick::new(tick_units).unwrap();
        match price_to_wire(Price(ticks), tick) {
            Some(wire) => prop_assert_eq!(price_from_wire(wire, tick), Ok(Price(ticks))),
            None => prop_assert!(ticks * i64::from(tick_units) > i64::from(u32::MAX)),
        }
    }

    #[test]
    fn off_tick_prices_are_always_rejected(wire in any::<u32>(), tick_units in 2u32..=10_000) {
        let tick = WireTick::new(tick_units).unwrap();
        let result = price_from_wire(wire, tick);
        prop_assert_eq!(result.is_ok(), wire % tick_units == 0);
        if let Ok(price) = result {
            prop_assert_eq!(price_to_wire(price, tick), Some(wire));
        }
    }
}
