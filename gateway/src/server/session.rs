//! One order-entry identity (a configured user): its sequenced output, its
//! order tokens and the engine handles they map to. Outlives connections, so
//! a client that logs in again is replayed what it missed and keeps its orders.

use std::collections::HashMap;

use rtes_engine::{ClientOrderId, InstrumentId};

use crate::config::credentials::Login;

use super::store::SequencedStore;
use super::throttle::Throttle;

/// Length of an OUCH order token.
pub const TOKEN_LEN: usize = 14;

/// An OUCH order token as sent (space padded).
pub type Token = [u8; TOKEN_LEN];

/// What the gateway remembers of one order for building OUCH messages:
/// the fields OUCH echoes back that the engine does not keep.
#[derive(Debug, Clone, Copy)]
pub struct OrderInfo {
    /// The order's token.
    pub token: Token,
    /// Instrument (for the tick size of a later replace).
    pub instrument: InstrumentId,
    /// Side byte as sent (`B`, `S`, `T`, `E`).
    pub side: u8,
    /// Price as sent (market sentinels included).
    pub price: u32,
    /// Time in force as sent.
    pub time_in_force: u32,
    /// Firm as sent.
    pub firm: [u8; 4],
    /// Display as sent.
    pub display: u8,
    /// Capacity as sent.
    pub capacity: u8,
    /// Intermarket sweep flag as sent.
    pub intermarket_sweep: u8,
    /// Cross type as sent.
    pub cross_type: u8,
    /// Minimum quantity as sent.
    pub min_qty: u32,
    /// A replace of this order is in flight, to this replacement; a refused
    /// replace is reported as a Rejected on the replacement token.
    pub pending_replacement: Option<ClientOrderId>,
}

/// Live state of one user.
#[derive(Debug)]
pub struct UserSession {
    /// Configuration.
    pub config: Login,
    /// Every sequenced message sent this session, for replay.
    pub store: SequencedStore,
    /// Token → client order id, for every token used today.
    pub tokens: HashMap<Token, ClientOrderId>,
    /// Order details; client order id `n` is `orders[n - 1]`.
    pub orders: Vec<OrderInfo>,
    /// Connection currently logged in as this user.
    pub connection: Option<usize>,
    /// Message-rate throttle.
    pub throttle: Throttle,
    /// A password already verified against the hash (argon2 is slow by design;
    /// re-verifying on every login would stall the event loop).
    verified_password: Option<Vec<u8>>,
}

/// Initial capacity of the per-user token tables; they grow beyond it.
const INITIAL_ORDERS: usize = 1 << 16;

impl UserSession {
    /// A fresh session for a configured user.
    pub fn new(config: Login, throttle: Throttle) -> UserSession {
        UserSession {
            config,
            store: SequencedStore::new(),
            tokens: HashMap::with_capacity(INITIAL_ORDERS),
            orders: Vec::with_capacity(INITIAL_ORDERS),
            connection: None,
            throttle,
            verified_password: None,
        }
    }

    /// Checks a password against the configured hash (slow once, then cached).
    pub fn check_password(&mut self, password: &[u8]) -> bool {
        if let Some(known) = &self.verified_password {
            return constant_time_eq(known, password);
        }
        let Ok(text) = std::str::from_utf8(password) else {
            return false;
        };
        let ok = self.config.verify(text);
        if ok {
            self.verified_password = Some(password.to_vec());
        }
        ok
    }

    /// Registers a new token; `None` when the token was already used today.
    pub fn register_token(&mut self, info: OrderInfo) -> Option<ClientOrderId> {
        // Ids start at 1: the engine uses 0 for reports about no order.
        let id = ClientOrderId(self.orders.len() as u64 + 1);
        match self.tokens.entry(info.token) {
            std::collections::hash_map::Entry::Occupied(_) => None,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(id);
                self.orders.push(info);
                Some(id)
            }
        }
    }

    /// The client order id of a token used today.
    #[inline]
    pub fn lookup_token(&self, token: &Token) -> Option<ClientOrderId> {
        self.tokens.get(token).copied()
    }

    /// Details of an order by client order id.
    #[inline]
    pub fn order(&self, id: ClientOrderId) -> Option<&OrderInfo> {
        self.orders.get((id.0 as usize).checked_sub(1)?)
    }

    /// Mutable details of an order by client order id.
    #[inline]
    pub fn order_mut(&mut self, id: ClientOrderId) -> Option<&mut OrderInfo> {
        self.orders.get_mut((id.0 as usize).checked_sub(1)?)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
