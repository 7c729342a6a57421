//! Swarm-style random command streams for the differential and determinism
//! tests.
//!
//! A case is a `Setup` (configuration knobs and a mix profile: one weight per
//! kind of command, some of them zero, so each case stresses a different
//! corner) and a list of raw `Recipe`s. A `Generator` turns each recipe into
//! a command, looking at the reference engine's live orders so that cancels
//! and replaces mostly hit live orders (and sometimes dead or unknown ones).
//! Recipes are plain bytes, so proptest shrinks them towards simple commands.

use proptest::collection::vec;
use proptest::prelude::*;
use rtes_engine::{
    AccountConfig, AccountId, CancelOrder, ClientOrderId, Command, CommandKind, EngineConfig,
    InstrumentConfig, InstrumentId, MassCancel, NewOrder, OrderType, OwnerId, Price, Qty,
    ReplaceOrder, SelfTradePrevention, Side, TimeInForce, TimestampNs, TradingState,
};

use super::reference::ReferenceEngine;

/// Kinds of command a recipe can become; the mix profile weights them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Day limit order.
    NewLimit,
    /// Market order (any time in force).
    Market,
    /// IOC limit order.
    Ioc,
    /// FOK limit or market order.
    Fok,
    /// Order with a minimum quantity.
    MinQty,
    /// Post-only order (sometimes with contradicting attributes).
    PostOnly,
    /// Hidden order.
    Hidden,
    /// Full cancel.
    Cancel,
    /// Cancel down to a leave quantity.
    PartialCancel,
    /// Replace at the same price with less (or zero) quantity.
    ReplaceDown,
    /// Replace to another price and quantity.
    ReplaceMove,
    /// Mass cancel by account.
    MassCancel,
    /// Cancel every order of the command's owner.
    CancelOwnerOrders,
    /// Trading state change (pre-open, halt, close, continuous).
    TradingState,
}

/// Every op, in the order of the profile's weights.
pub const OPS: [Op; 14] = [
    Op::NewLimit,
    Op::Market,
    Op::Ioc,
    Op::Fok,
    Op::MinQty,
    Op::PostOnly,
    Op::Hidden,
    Op::Cancel,
    Op::PartialCancel,
    Op::ReplaceDown,
    Op::ReplaceMove,
    Op::MassCancel,
    Op::CancelOwnerOrders,
    Op::TradingState,
];

/// Number of instruments in every generated configuration.
pub const INSTRUMENTS: u32 = 2;
/// Owners `0..OWNERS` are known; `OWNERS` itself is used as an unknown one.
pub const OWNERS: u32 = 6;
/// Accounts 0–4 are loose (STP Off, Off, CancelNewest, CancelOldest,
/// CancelBoth); 5 and 6 have tight risk limits; 7 is unknown.
pub const ACCOUNTS: u32 = 7;
/// Reference price of both instruments; orders cluster around it.
pub const MID: i64 = 1_000;
/// Half-width of the price band in ticks.
pub const BAND_HALF_WIDTH: i64 = 10;

/// Per-case knobs.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Weight of each op of `OPS` (swarm testing: some are zero).
    pub weights: [u32; 14],
    /// 0: tick 1, else tick 100.
    pub tick_choice: bool,
    /// Lot size (1 or 10).
    pub lot_size: u64,
    /// `Some(n)`: a slab of n orders, so `BookFull` happens.
    pub small_slab: Option<u32>,
    /// Tight risk limits of accounts 5 and 6, in lots / bps / counts:
    /// max order lots, notional lots at the reference, collar bps, max open
    /// orders, max position lots.
    pub tight: (u64, u64, u32, u32, u64),
    /// STP mode index of account 6.
    pub tight_stp: u8,
    /// Initial state index of each instrument.
    pub initial_states: [u8; 2],
}

/// Raw entropy for one command.
#[derive(Debug, Clone, Copy)]
pub struct Recipe {
    /// Picks the op (modulo the profile's total weight).
    pub op: u16,
    /// Further choices, each interpreted by the op.
    pub bytes: [u8; 8],
}

/// One generated case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Knobs.
    pub setup: Setup,
    /// Commands to generate, one recipe each.
    pub recipes: Vec<Recipe>,
}

fn setup_strategy() -> impl Strategy<Value = Setup> {
    (
        prop::array::uniform14(0u32..8),
        any::<bool>(),
        prop_oneof![Just(1u64), Just(10u64)],
        prop_oneof![2 => Just(None), 1 => (3u32..20).prop_map(Some)],
        (2u64..12, 2u64..12, 10u32..200, 1u32..6, 2u64..24),
        0u8..4,
        prop::array::uniform2(0u8..4),
    )
        .prop_map(
            |(mut weights, tick_choice, lot_size, small_slab, tight, tight_stp, initial_states)| {
                // Day limit orders are what everything else acts on: always some.
                weights[0] += 2;
                Setup {
                    weights,
                    tick_choice,
                    lot_size,
                    small_slab,
                    tight,
                    tight_stp,
                    initial_states,
                }
            },
        )
}

fn recipe_strategy() -> impl Strategy<Value = Recipe> {
    (any::<u16>(), any::<[u8; 8]>()).prop_map(|(op, bytes)| Recipe { op, bytes })
}

/// A case of `min_len..max_len` commands.
pub fn case_strategy(min_len: usize, max_len: usize) -> impl Strategy<Value = Case> {
    (setup_strategy(), vec(recipe_strategy(), min_len..max_len))
        .prop_map(|(setup, recipes)| Case { setup, recipes })
}

fn stp_mode(index: u8) -> SelfTradePrevention {
    match index % 4 {
        0 => SelfTradePrevention::Off,
        1 => SelfTradePrevention::CancelNewest,
        2 => SelfTradePrevention::CancelOldest,
        _ => SelfTradePrevention::CancelBoth,
    }
}

fn state_from(index: u8) -> TradingState {
    match index % 8 {
        0 => TradingState::PreOpen,
        1 => TradingState::Halted,
        2 => TradingState::Closed,
        _ => TradingState::Continuous,
    }
}

impl Setup {
    fn tick_size(&self) -> i64 {
        if self.tick_choice {
            100
        } else {
            1
        }
    }

    /// The engine configuration of this case.
    pub fn config(&self) -> EngineConfig {
        let instruments = (0..INSTRUMENTS)
            .map(|index| InstrumentConfig {
                symbol: format!("SYM{index}"),
                tick_size: self.tick_size(),
                lot_size: self.lot_size,
                // Instrument 1 needs two lots, so QuantityBelowMinimum happens.
                min_qty: Qty(self.lot_size * u64::from(index + 1)),
                max_qty: Qty(self.lot_size * 20),
                reference_price: Price(MID),
                band_low: Price(MID - BAND_HALF_WIDTH),
                band_high: Price(MID + BAND_HALF_WIDTH),
                initial_state: state_from(self.initial_states[index as usize]),
            })
            .collect();
        let loose = |name: &str, stp| AccountConfig {
            name: name.into(),
            max_order_qty: Qty(u64::MAX),
            max_notional: u128::MAX,
            price_collar_bps: 10_000,
            max_open_orders: u32::MAX,
            max_position: u64::MAX,
            self_trade_prevention: stp,
        };
        let (order_lots, notional_lots, collar_bps, open_orders, position_lots) = self.tight;
        let tight = |name: &str, stp| AccountConfig {
            name: name.into(),
            max_order_qty: Qty(order_lots * self.lot_size),
            max_notional: (MID * self.tick_size()) as u128
                * (notional_lots * self.lot_size) as u128,
            price_collar_bps: collar_bps,
            max_open_orders: open_orders,
            max_position: position_lots * self.lot_size,
            self_trade_prevention: stp,
        };
        let accounts = vec![
            loose("OFF0", SelfTradePrevention::Off),
            loose("OFF1", SelfTradePrevention::Off),
            loose("NEWEST", SelfTradePrevention::CancelNewest),
            loose("OLDEST", SelfTradePrevention::CancelOldest),
            loose("BOTH", SelfTradePrevention::CancelBoth),
            tight("TIGHT5", SelfTradePrevention::Off),
            tight("TIGHT6", stp_mode(self.tight_stp)),
        ];
        EngineConfig {
            instruments,
            accounts,
            max_resting_orders: self.small_slab.unwrap_or(100_000),
            max_owners: OWNERS,
        }
    }

    fn op(&self, roll: u16) -> Op {
        let total: u32 = self.weights.iter().sum();
        let mut pick = u32::from(roll) % total;
        for (op, weight) in OPS.iter().zip(self.weights) {
            if pick < weight {
                return *op;
            }
            pick -= weight;
        }
        unreachable!("pick < total")
    }
}

/// Turns recipes into commands; remembers the client order ids each owner
/// has used so that references hit live, dead and unknown orders.
pub struct Generator {
    setup: Setup,
    /// Next fresh client order id per owner (index `OWNERS` = unknown owner).
    next_client_order_id: Vec<u64>,
    /// Recently used client order ids per owner (bounded).
    recent: Vec<Vec<u64>>,
    ts: u64,
}

const RECENT_MAX: usize = 24;

impl Generator {
    /// A generator for one case.
    pub fn new(setup: &Setup) -> Generator {
        Generator {
            setup: setup.clone(),
            next_client_order_id: vec![1; OWNERS as usize + 1],
            recent: vec![Vec::new(); OWNERS as usize + 1],
            ts: 1_000_000,
        }
    }

    /// The command for one recipe, given the reference's current state.
    pub fn command(&mut self, recipe: &Recipe, reference: &ReferenceEngine) -> Command {
        let b = recipe.bytes;
        // Mostly known owners; about 1 in 64 is unknown.
        let owner = if b[0] >= 252 {
            OWNERS
        } else {
            u32::from(b[0]) % OWNERS
        };
        self.ts += 1 + u64::from(b[7] % 3);
        let op = self.setup.op(recipe.op);
        let kind = match op {
            Op::NewLimit
            | Op::Market
            | Op::Ioc
            | Op::Fok
            | Op::MinQty
            | Op::PostOnly
            | Op::Hidden => CommandKind::New(self.new_order(op, owner, b)),
            Op::Cancel | Op::PartialCancel => {
                let (client_order_id, leaves) = self.target(owner, b[1], reference);
                let leave_qty = if op == Op::Cancel {
                    Qty(0)
                } else {
                    let leave_qty = leaves.0.saturating_sub(self.lots(b[2] % 4));
                    // Sometimes off the lot size: the contract does not forbid it.
                    Qty(if b[3] < 16 { leave_qty + 1 } else { leave_qty })
                };
                CommandKind::Cancel(CancelOrder {
                    client_order_id,
                    leave_qty,
                })
            }
            Op::ReplaceDown | Op::ReplaceMove => self.replace(op, owner, b, reference),
            Op::MassCancel => CommandKind::MassCancel(MassCancel {
                account: AccountId(u32::from(b[1]) % (ACCOUNTS + 1)),
                instrument: match b[2] % 8 {
                    0..=2 => None,
                    7 if b[3] < 32 => Some(InstrumentId(INSTRUMENTS)),
                    other => Some(InstrumentId(u32::from(other) % INSTRUMENTS)),
                },
            }),
            Op::CancelOwnerOrders => CommandKind::CancelOwnerOrders,
            Op::TradingState => CommandKind::SetTradingState {
                instrument: InstrumentId(if b[1] == 255 {
                    INSTRUMENTS
                } else {
                    u32::from(b[1]) % INSTRUMENTS
                }),
                state: state_from(b[2]),
            },
        };
        Command {
            owner: OwnerId(owner),
            ts: TimestampNs(self.ts),
            kind,
        }
    }

    fn lots(&self, lots: u8) -> u64 {
        u64::from(lots) * self.setup.lot_size
    }

    /// A price near the mid; about 1 in 32 falls outside the band.
    fn price(&self, byte: u8) -> Price {
        if byte >= 248 {
            let outside = BAND_HALF_WIDTH + 1 + i64::from(byte % 3);
            return Price(if byte & 1 == 0 {
                MID + outside
            } else {
                MID - outside
            });
        }
        Price(MID - 5 + i64::from(byte % 11))
    }

    /// A quantity of 1–6 lots mostly; sometimes 0, off-lot or over the maximum.
    fn qty(&self, byte: u8) -> Qty {
        match byte {
            0..=239 => Qty(self.lots(1 + byte % 6)),
            240..=243 => Qty(0),
            244..=247 => Qty(self.lots(1 + byte % 6) + 1),
            248..=251 => Qty(self.lots(21)),
            _ => Qty(self.lots(7 + byte % 8)),
        }
    }

    fn fresh_client_order_id(&mut self, owner: u32) -> u64 {
        let owner = owner as usize;
        let id = self.next_client_order_id[owner];
        self.next_client_order_id[owner] += 1;
        self.recent[owner].push(id);
        if self.recent[owner].len() > RECENT_MAX {
            self.recent[owner].remove(0);
        }
        id
    }

    /// Mostly a fresh id; about 1 in 16 reuses a recent one (duplicate if
    /// live, allowed if dead).
    fn new_client_order_id(&mut self, owner: u32, byte: u8) -> ClientOrderId {
        let recent = &self.recent[owner as usize];
        if byte < 16 && !recent.is_empty() {
            return ClientOrderId(recent[byte as usize % recent.len()]);
        }
        ClientOrderId(self.fresh_client_order_id(owner))
    }

    fn new_order(&mut self, op: Op, owner: u32, b: [u8; 8]) -> NewOrder {
        let account = if b[1] >= 250 {
            AccountId(ACCOUNTS)
        } else {
            AccountId(u32::from(b[1]) % ACCOUNTS)
        };
        let instrument = if b[2] == 255 {
            InstrumentId(INSTRUMENTS)
        } else {
            InstrumentId(u32::from(b[2]) % INSTRUMENTS)
        };
        let side = if b[2] & 2 == 0 { Side::Buy } else { Side::Sell };
        let qty = self.qty(b[4]);
        let mut order = NewOrder {
            client_order_id: self.new_client_order_id(owner, b[6]),
            account,
            instrument,
            side,
            order_type: OrderType::Limit,
            price: self.price(b[3]),
            qty,
            time_in_force: TimeInForce::Day,
            min_qty: Qty(0),
            post_only: false,
            hidden: false,
        };
        let variant = b[5];
        match op {
            Op::NewLimit => order.hidden = variant < 16,
            Op::Market => {
                order.order_type = OrderType::Market;
                order.time_in_force = match variant % 4 {
                    0 => TimeInForce::Day,
                    1 => TimeInForce::Fok,
                    _ => TimeInForce::Ioc,
                };
            }
            Op::Ioc => order.time_in_force = TimeInForce::Ioc,
            Op::Fok => {
                order.time_in_force = TimeInForce::Fok;
                if variant & 3 == 0 {
                    order.order_type = OrderType::Market;
                }
            }
            Op::MinQty => {
                order.min_qty = Qty(self.lots(1 + variant % 7));
                order.time_in_force = if variant & 8 == 0 {
                    TimeInForce::Day
                } else {
                    TimeInForce::Ioc
                };
                order.hidden = variant & 16 != 0;
            }
            Op::PostOnly => {
                order.post_only = true;
                order.hidden = variant & 1 != 0;
                if variant >= 232 {
                    order.time_in_force = TimeInForce::Ioc;
                } else if variant >= 224 {
                    order.order_type = OrderType::Market;
                }
            }
            Op::Hidden => {
                order.hidden = true;
                if variant & 3 == 0 {
                    order.time_in_force = TimeInForce::Ioc;
                }
            }
            _ => unreachable!("not a new order op: {op:?}"),
        }
        order
    }

    /// A client order id to act on and its current leaves (0 if not live):
    /// mostly one of the owner's live orders, sometimes a recent id (maybe
    /// dead), rarely one never used.
    fn target(&self, owner: u32, byte: u8, reference: &ReferenceEngine) -> (ClientOrderId, Qty) {
        let live = reference.live_orders_of(OwnerId(owner));
        if byte < 200 && !live.is_empty() {
            let (_, order) = live[byte as usize % live.len()];
            return (order.client_order_id, order.leaves);
        }
        let recent = &self.recent[owner as usize];
        if byte < 248 && !recent.is_empty() {
            return (ClientOrderId(recent[byte as usize % recent.len()]), Qty(0));
        }
        (ClientOrderId(10_000 + u64::from(byte)), Qty(0))
    }

    fn replace(
        &mut self,
        op: Op,
        owner: u32,
        b: [u8; 8],
        reference: &ReferenceEngine,
    ) -> CommandKind {
        let (client_order_id, leaves) = self.target(owner, b[1], reference);
        let live_price = reference
            .live_orders_of(OwnerId(owner))
            .iter()
            .find(|(_, order)| order.client_order_id == client_order_id)
            .map(|(_, order)| order.price);
        let new_client_order_id = match b[5] % 8 {
            0..=3 => client_order_id,
            4 if !self.recent[owner as usize].is_empty() => {
                let recent = &self.recent[owner as usize];
                ClientOrderId(recent[b[6] as usize % recent.len()])
            }
            _ => ClientOrderId(self.fresh_client_order_id(owner)),
        };
        let (price, qty) = match (op, live_price) {
            (Op::ReplaceDown, Some(price)) => {
                // Down by 0–2 lots; sometimes to zero (a cancel).
                let qty = if b[2] < 16 {
                    Qty(0)
                } else {
                    Qty(leaves.0.saturating_sub(self.lots(b[2] % 3)))
                };
                (price, qty)
            }
            _ => (self.price(b[3]), self.qty(b[4])),
        };
        CommandKind::Replace(ReplaceOrder {
            client_order_id,
            new_client_order_id,
            price,
            qty,
        })
    }
}
