//! The seeded mixed command stream shared by the random-stream and
//! zero-allocation tests: small price range, four owners, every STP mode.
#![allow(dead_code)]

use rtes_engine::*;

/// xorshift64*: a seeded generator with no dependencies.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

pub const OWNERS: u64 = 4;
pub const CLIENT_IDS: u64 = 3_000;
pub const INSTRUMENTS: u32 = 2;

pub fn config_with(max_resting_orders: u32) -> EngineConfig {
    let instrument = |symbol: &str| InstrumentConfig {
        symbol: symbol.into(),
        tick_size: 100,
        lot_size: 10,
        min_qty: Qty(10),
        max_qty: Qty(10_000),
        reference_price: Price(1_000),
        band_low: Price(900),
        band_high: Price(1_100),
        initial_state: TradingState::Continuous,
    };
    let account = |stp| AccountConfig {
        name: "A".into(),
        max_order_qty: Qty(5_000),
        max_notional: 1_000_000_000_000,
        price_collar_bps: 900,
        max_open_orders: 2_000,
        max_position: 200_000,
        self_trade_prevention: stp,
    };
    EngineConfig {
        instruments: vec![instrument("AAA"), instrument("BBB")],
        accounts: vec![
            account(SelfTradePrevention::Off),
            account(SelfTradePrevention::CancelNewest),
            account(SelfTradePrevention::CancelOldest),
            account(SelfTradePrevention::CancelBoth),
        ],
        max_resting_orders,
        max_owners: OWNERS as u32,
    }
}

pub fn random_command(rng: &mut Rng, ts: u64) -> Command {
    let owner = OwnerId(rng.below(OWNERS) as u32);
    let instrument = InstrumentId(rng.below(u64::from(INSTRUMENTS)) as u32);
    let client_order_id = ClientOrderId(rng.below(CLIENT_IDS));
    let price = Price(980 + rng.below(41) as i64);
    let qty = Qty(10 * (1 + rng.below(20)));
    let roll = rng.below(1_000);
    let kind = if roll < 400 {
        let time_in_force = match rng.below(10) {
            0 => TimeInForce::Ioc,
            1 => TimeInForce::Fok,
            _ => TimeInForce::Day,
        };
        CommandKind::New(NewOrder {
            client_order_id,
            account: AccountId(rng.below(4) as u32),
            instrument,
            side: if rng.below(2) == 0 {
                Side::Buy
            } else {
                Side::Sell
            },
            order_type: if rng.below(30) == 0 {
                OrderType::Market
            } else {
                OrderType::Limit
            },
            price,
            qty,
            time_in_force,
            min_qty: Qty(if rng.below(10) == 0 { 10 } else { 0 }),
            post_only: rng.below(20) == 0,
            hidden: rng.below(8) == 0,
        })
    } else if roll < 750 {
        CommandKind::Replace(ReplaceOrder {
            client_order_id,
            new_client_order_id: if rng.below(2) == 0 {
                client_order_id
            } else {
                ClientOrderId(rng.below(CLIENT_IDS))
            },
            price,
            qty: if rng.below(20) == 0 { Qty(0) } else { qty },
        })
    } else if roll < 990 {
        CommandKind::Cancel(CancelOrder {
            client_order_id,
            leave_qty: Qty(10 * rng.below(3)),
        })
    } else if roll < 993 {
        CommandKind::MassCancel(MassCancel {
            account: AccountId(rng.below(5) as u32),
            instrument: if rng.below(2) == 0 {
                None
            } else {
                Some(instrument)
            },
        })
    } else if roll < 994 {
        CommandKind::CancelOwnerOrders
    } else {
        let state = match rng.below(6) {
            0 => TradingState::PreOpen,
            1 => TradingState::Halted,
            2 => TradingState::Closed,
            _ => TradingState::Continuous,
        };
        CommandKind::SetTradingState { instrument, state }
    };
    Command {
        owner,
        ts: TimestampNs(ts),
        kind,
    }
}
