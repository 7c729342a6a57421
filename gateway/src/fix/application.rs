//! FIX application messages ↔ engine commands and reports, for one session.
//!
//! Inbound: NewOrderSingle (D), OrderCancelRequest (F),
//! OrderCancelReplaceRequest (G), OrderStatusRequest (H) and
//! OrderMassCancelRequest (q) become engine commands, or a reply the gateway
//! makes itself (a reject, a status). Outbound: engine reports become
//! ExecutionReport (8), OrderCancelReject (9) and OrderMassCancelReport (r).
//!
//! Prices are decimals on the wire and ticks inside; a price that is not a
//! multiple of the instrument's tick is rejected with a reason, never rounded.
//! Bodies are written into a caller-owned buffer; the session adds the header.

use std::collections::{HashMap, VecDeque};

use rtes_engine::config::PRICE_SCALE_DECIMALS;
use rtes_engine::{
    AccountId, CancelOrder, CancelReason, ClientOrderId, CommandKind, InstrumentId, Liquidity,
    MassCancel, NewOrder, OrderType, Price, Qty, RejectReason, ReplaceOrder, Report, ReportKind,
    Side, TimeInForce,
};

use super::codec::{parse_decimal, tags, FieldWriter, Message};
use super::orders::{ClOrdId, FixOrder, OrderTable, OrderTableError, Pending};
use crate::server::throttle::Throttle;
use crate::server::WireInstrument;

/// Decimal places of AvgPx (an average need not sit on a tick).
const AVG_PX_DECIMALS: u32 = 6;
/// Most mass cancels a session may have in flight.
const MASS_CANCELS_IN_FLIGHT_MAX: usize = 64;
/// OrderID (37) of an order the venue never accepted.
const NO_ORDER_ID: &[u8] = b"NONE";

/// MsgTypes RTES sends.
pub mod msg_type {
    /// ExecutionReport.
    pub const EXECUTION_REPORT: &[u8] = b"8";
    /// OrderCancelReject.
    pub const ORDER_CANCEL_REJECT: &[u8] = b"9";
    /// OrderMassCancelReport.
    pub const ORDER_MASS_CANCEL_REPORT: &[u8] = b"r";
    /// BusinessMessageReject.
    pub const BUSINESS_MESSAGE_REJECT: &[u8] = b"j";
}

/// The venue as every session sees it: instruments by id and by symbol.
#[derive(Debug, Clone)]
pub struct Venue {
    instruments: Vec<WireInstrument>,
    symbols: HashMap<Vec<u8>, InstrumentId>,
}

impl Venue {
    /// Indexes `instruments` (`InstrumentId(i)` is `instruments[i]`).
    pub fn new(instruments: Vec<WireInstrument>) -> Venue {
        let symbols = instruments
            .iter()
            .enumerate()
            .map(|(index, instrument)| {
                (
                    instrument.symbol.as_bytes().to_vec(),
                    InstrumentId(index as u32),
                )
            })
            .collect();
        Venue {
            instruments,
            symbols,
        }
    }

    /// The instrument called `symbol`.
    pub fn instrument(&self, symbol: &[u8]) -> Option<InstrumentId> {
        self.symbols.get(symbol).copied()
    }

    fn symbol(&self, instrument: InstrumentId) -> &[u8] {
        self.instruments
            .get(instrument.0 as usize)
            .map_or(&b"?"[..], |instrument| instrument.symbol.as_bytes())
    }

    fn tick(&self, instrument: InstrumentId) -> i64 {
        self.instruments[instrument.0 as usize].tick_size
    }

    /// Wire price text → ticks, exactly.
    fn price_ticks(&self, instrument: InstrumentId, text: &[u8]) -> Result<i64, String> {
        let units = parse_decimal(text, PRICE_SCALE_DECIMALS)
            .map_err(|error| format!("Price {}: {error}", String::from_utf8_lossy(text)))?;
        let tick = self.tick(instrument);
        if units <= 0 {
            return Err("Price must be positive".to_string());
        }
        if units % tick != 0 {
            let mut tick_text = Vec::new();
            super::codec::format_decimal(tick, PRICE_SCALE_DECIMALS, &mut tick_text);
            return Err(format!(
                "Price {} is not a multiple of the tick size {}",
                String::from_utf8_lossy(text),
                String::from_utf8_lossy(&tick_text)
            ));
        }
        Ok(units / tick)
    }

    /// Ticks → wire units (10^-4).
    fn price_units(&self, instrument: InstrumentId, ticks: i64) -> i64 {
        ticks * self.tick(instrument)
    }
}

/// Unique ExecIDs across sessions and restarts: the start time in
/// milliseconds, a dot, and a counter.
#[derive(Debug)]
pub struct ExecIds {
    epoch_ms: u64,
    next: u64,
    text: Vec<u8>,
}

impl ExecIds {
    /// A source whose ids start with `start_utc_ns` in milliseconds.
    pub fn new(start_utc_ns: u64) -> ExecIds {
        ExecIds {
            epoch_ms: start_utc_ns / 1_000_000,
            next: 1,
            text: Vec::with_capacity(48),
        }
    }

    fn next(&mut self) -> &[u8] {
        self.text.clear();
        let mut digits = itoa::Buffer::new();
        self.text
            .extend_from_slice(digits.format(self.epoch_ms).as_bytes());
        self.text.push(b'.');
        self.text
            .extend_from_slice(digits.format(self.next).as_bytes());
        self.next += 1;
        &self.text
    }
}

/// One session's order-entry state.
pub struct OrderEntry {
    /// Its orders.
    pub orders: OrderTable,
    account: AccountId,
    account_name: String,
    throttle: Throttle,
    /// Mass cancels sent to the engine, oldest first: (ClOrdID, MassCancelRequestType).
    mass_cancels: VecDeque<(ClOrdId, u8)>,
    mass_cancel_count: u64,
}

/// What an inbound application message turned into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbound {
    /// A command for the engine.
    Command(CommandKind),
    /// A reply of this type whose body is in the body buffer.
    Reply(&'static [u8]),
}

/// Clock readings for one message: monotonic (throttle) and UTC (TransactTime).
#[derive(Debug, Clone, Copy)]
pub struct Times {
    /// Monotonic ns.
    pub monotonic_ns: u64,
    /// UTC ns since the epoch.
    pub utc_ns: u64,
}

/// A new order's fields after checking, before it has a slot.
struct OrderFields {
    instrument: InstrumentId,
    side: Side,
    order_type: OrderType,
    time_in_force: TimeInForce,
    price_ticks: i64,
    qty: u64,
    min_qty: u64,
    post_only: bool,
}

impl OrderEntry {
    /// State for a session trading for `account` (`account_name` is what
    /// Account (1) must say when present), with at most `max_orders` orders
    /// remembered and `throttle_per_second` order messages a second (0 = no limit).
    pub fn new(
        account: AccountId,
        account_name: &str,
        max_orders: usize,
        throttle_per_second: u32,
    ) -> OrderEntry {
        OrderEntry {
            orders: OrderTable::new(max_orders),
            account,
            account_name: account_name.to_string(),
            throttle: Throttle::new(throttle_per_second, (throttle_per_second / 10).max(5)),
            mass_cancels: VecDeque::with_capacity(MASS_CANCELS_IN_FLIGHT_MAX),
            mass_cancel_count: 0,
        }
    }

    /// Handles one validated inbound application message.
    pub fn on_message(
        &mut self,
        message: &Message<'_>,
        venue: &Venue,
        exec_ids: &mut ExecIds,
        times: Times,
        body: &mut Vec<u8>,
    ) -> Inbound {
        body.clear();
        match message.msg_type() {
            b"D" => self.new_order(message, venue, exec_ids, times, body),
            b"F" => self.cancel(message, venue, times, body),
            b"G" => self.replace(message, venue, times, body),
            b"H" => self.status(message, venue, exec_ids, times, body),
            b"q" => self.mass_cancel(message, venue, times, body),
            other => {
                business_reject(message, other, body);
                Inbound::Reply(msg_type::BUSINESS_MESSAGE_REJECT)
            }
        }
    }

    fn new_order(
        &mut self,
        message: &Message<'_>,
        venue: &Venue,
        exec_ids: &mut ExecIds,
        times: Times,
        body: &mut Vec<u8>,
    ) -> Inbound {
        let raw_id = message.get(tags::CL_ORD_ID).unwrap_or(b"?");
        let Some(cl_ord_id) = ClOrdId::new(raw_id) else {
            let text = format!("ClOrdID longer than {} bytes", super::orders::CL_ORD_ID_MAX);
            reject_new(message, raw_id, 0, &text, times, exec_ids, body);
            return Inbound::Reply(msg_type::EXECUTION_REPORT);
        };
        let fields = match self.order_fields(message, venue, times) {
            Ok(fields) => fields,
            Err((reason, text)) => {
                reject_new(message, raw_id, reason, &text, times, exec_ids, body);
                return Inbound::Reply(msg_type::EXECUTION_REPORT);
            }
        };
        let order = FixOrder {
            cl_ord_id,
            order_ref: 0,
            instrument: fields.instrument,
            side: message.get_char(tags::SIDE).ok().flatten().unwrap_or(b'1'),
            ord_type: message
                .get_char(tags::ORD_TYPE)
                .ok()
                .flatten()
                .unwrap_or(b'2'),
            time_in_force: message
                .get_char(tags::TIME_IN_FORCE)
                .ok()
                .flatten()
                .unwrap_or(b'0'),
            price_ticks: fields.price_ticks,
            order_qty: fields.qty,
            cum_qty: 0,
            leaves_qty: fields.qty,
            executed_notional_ticks: 0,
            ord_status: b'A',
            pending: Pending::None,
        };
        let id = match self.orders.insert(order) {
            Ok(id) => id,
            Err(error) => {
                let reason = if error == OrderTableError::Duplicate {
                    6
                } else {
                    99
                };
                reject_new(
                    message,
                    raw_id,
                    reason,
                    &error.to_string(),
                    times,
                    exec_ids,
                    body,
                );
                return Inbound::Reply(msg_type::EXECUTION_REPORT);
            }
        };
        Inbound::Command(CommandKind::New(NewOrder {
            client_order_id: id,
            account: self.account,
            instrument: fields.instrument,
            side: fields.side,
            order_type: fields.order_type,
            price: Price(fields.price_ticks),
            qty: Qty(fields.qty),
            time_in_force: fields.time_in_force,
            min_qty: Qty(fields.min_qty),
            post_only: fields.post_only,
            hidden: false,
        }))
    }

    /// Checks a NewOrderSingle; on failure (OrdRejReason, Text).
    fn order_fields(
        &mut self,
        message: &Message<'_>,
        venue: &Venue,
        times: Times,
    ) -> Result<OrderFields, (u64, String)> {
        if !self.throttle.allow(times.monotonic_ns) {
            return Err((99, "throttled: over the session's order rate".to_string()));
        }
        self.check_account(message).map_err(|text| (99, text))?;
        let symbol = message.get(tags::SYMBOL).unwrap_or_default();
        let instrument = venue.instrument(symbol).ok_or_else(|| {
            (
                1,
                format!("unknown symbol {}", String::from_utf8_lossy(symbol)),
            )
        })?;
        let side = side(message).map_err(|text| (99, text))?;
        let (order_type, price_ticks) = match message.get_char(tags::ORD_TYPE) {
            Ok(Some(b'1')) => (OrderType::Market, 0),
            Ok(Some(b'2')) => {
                let text = message
                    .get(tags::PRICE)
                    .ok_or((99, "Price (44) is required for a limit order".to_string()))?;
                let ticks = venue
                    .price_ticks(instrument, text)
                    .map_err(|text| (99, text))?;
                (OrderType::Limit, ticks)
            }
            _ => return Err((11, "unsupported OrdType (1 market and 2 limit are)".into())),
        };
        let time_in_force = match message.get_char(tags::TIME_IN_FORCE) {
            // GTC behaves as Day: the book does not outlive the process.
            Ok(None | Some(b'0') | Some(b'1')) => TimeInForce::Day,
            Ok(Some(b'3')) => TimeInForce::Ioc,
            Ok(Some(b'4')) => TimeInForce::Fok,
            _ => {
                return Err((
                    11,
                    "unsupported TimeInForce (0 day, 1 GTC, 3 IOC, 4 FOK are)".into(),
                ))
            }
        };
        let qty = quantity(message, tags::ORDER_QTY)?
            .ok_or((13, "OrderQty (38) is required".to_string()))?;
        let min_qty = quantity(message, tags::MIN_QTY)?.unwrap_or(0);
        let post_only = message.get(tags::EXEC_INST).is_some_and(|values| {
            values
                .split(|byte| *byte == b' ')
                .any(|value| value == b"6")
        });
        Ok(OrderFields {
            instrument,
            side,
            order_type,
            time_in_force,
            price_ticks,
            qty,
            min_qty,
            post_only,
        })
    }

    fn check_account(&self, message: &Message<'_>) -> Result<(), String> {
        match message.get(tags::ACCOUNT) {
            Some(account) if account != self.account_name.as_bytes() => Err(format!(
                "Account {} is not this session's account",
                String::from_utf8_lossy(account)
            )),
            _ => Ok(()),
        }
    }

    /// Finds OrigClOrdID's order for a cancel or replace, or writes the
    /// OrderCancelReject that says why not.
    fn cancel_target(
        &mut self,
        message: &Message<'_>,
        response_to: u8,
        times: Times,
        body: &mut Vec<u8>,
    ) -> Result<(ClientOrderId, ClOrdId), ()> {
        let request_id = message.get(tags::CL_ORD_ID).unwrap_or(b"?");
        let orig_id = message.get(tags::ORIG_CL_ORD_ID).unwrap_or(b"?");
        let mut refuse = |order: Option<&FixOrder>, reason: u64, text: &str| {
            cancel_reject(
                order,
                request_id,
                orig_id,
                response_to,
                reason,
                text,
                times,
                body,
            );
            Err(())
        };
        if !self.throttle.allow(times.monotonic_ns) {
            return refuse(None, 99, "throttled: over the session's order rate");
        }
        let Some(new_id) = ClOrdId::new(request_id) else {
            return refuse(None, 99, "ClOrdID too long");
        };
        let Some(id) = ClOrdId::new(orig_id).and_then(|orig| self.orders.find(&orig)) else {
            return refuse(None, 1, "unknown order");
        };
        let order = *self.orders.get(id).expect("found ids are valid");
        if self.orders.contains(&new_id) {
            return refuse(Some(&order), 6, "duplicate ClOrdID");
        }
        if order.cl_ord_id.as_bytes() != orig_id {
            return refuse(
                Some(&order),
                1,
                "OrigClOrdID was replaced; use the latest ClOrdID",
            );
        }
        // A pending-new order may be cancelled: the engine applies commands
        // in order, so it knows the order by the time the cancel arrives.
        if !order.is_open() {
            return refuse(Some(&order), 0, "too late: the order is not open");
        }
        if order.pending != Pending::None {
            return refuse(Some(&order), 3, "a cancel or replace is already pending");
        }
        Ok((id, new_id))
    }

    fn cancel(
        &mut self,
        message: &Message<'_>,
        _venue: &Venue,
        times: Times,
        body: &mut Vec<u8>,
    ) -> Inbound {
        let Ok((id, new_id)) = self.cancel_target(message, b'1', times, body) else {
            return Inbound::Reply(msg_type::ORDER_CANCEL_REJECT);
        };
        self.orders.get_mut(id).expect("valid id").pending = Pending::Cancel(new_id);
        Inbound::Command(CommandKind::Cancel(CancelOrder {
            client_order_id: id,
            leave_qty: Qty(0),
        }))
    }

    fn replace(
        &mut self,
        message: &Message<'_>,
        venue: &Venue,
        times: Times,
        body: &mut Vec<u8>,
    ) -> Inbound {
        let Ok((id, new_id)) = self.cancel_target(message, b'2', times, body) else {
            return Inbound::Reply(msg_type::ORDER_CANCEL_REJECT);
        };
        let order = *self.orders.get(id).expect("valid id");
        let checked = self.replace_fields(message, venue, &order);
        let (price_ticks, order_qty) = match checked {
            Ok(values) => values,
            Err(text) => {
                cancel_reject(
                    Some(&order),
                    new_id.as_bytes(),
                    order.cl_ord_id.as_bytes(),
                    b'2',
                    99,
                    &text,
                    times,
                    body,
                );
                return Inbound::Reply(msg_type::ORDER_CANCEL_REJECT);
            }
        };
        self.orders.get_mut(id).expect("valid id").pending = Pending::Replace {
            cl_ord_id: new_id,
            order_qty,
            ord_type: order.ord_type,
        };
        Inbound::Command(CommandKind::Replace(ReplaceOrder {
            client_order_id: id,
            new_client_order_id: id,
            price: Price(price_ticks),
            qty: Qty(order_qty - order.cum_qty),
        }))
    }

    /// New price (ticks) and OrderQty of a replace, or why not.
    fn replace_fields(
        &self,
        message: &Message<'_>,
        venue: &Venue,
        order: &FixOrder,
    ) -> Result<(i64, u64), String> {
        let symbol = message.get(tags::SYMBOL).unwrap_or_default();
        if venue.instrument(symbol) != Some(order.instrument) {
            return Err("Symbol differs from the order's".to_string());
        }
        if message.get_char(tags::SIDE).ok().flatten() != Some(order.side) {
            return Err("Side differs from the order's".to_string());
        }
        if message.get_char(tags::ORD_TYPE).ok().flatten() != Some(b'2') || order.ord_type != b'2' {
            return Err("only limit orders can be replaced, as limit orders".to_string());
        }
        let price_text = message
            .get(tags::PRICE)
            .ok_or_else(|| "Price (44) is required".to_string())?;
        let price_ticks = venue.price_ticks(order.instrument, price_text)?;
        let order_qty = quantity(message, tags::ORDER_QTY)
            .map_err(|(_, text)| text)?
            .ok_or_else(|| "OrderQty (38) is required".to_string())?;
        if order_qty <= order.cum_qty {
            return Err(format!(
                "OrderQty {order_qty} is not above the executed quantity {}",
                order.cum_qty
            ));
        }
        Ok((price_ticks, order_qty))
    }

    fn status(
        &mut self,
        message: &Message<'_>,
        venue: &Venue,
        exec_ids: &mut ExecIds,
        times: Times,
        body: &mut Vec<u8>,
    ) -> Inbound {
        let raw_id = message.get(tags::CL_ORD_ID).unwrap_or(b"?");
        let found = ClOrdId::new(raw_id).and_then(|id| self.orders.find(&id));
        let mut fields = FieldWriter(body);
        match found.and_then(|id| self.orders.get(id)) {
            Some(order) => {
                execution_header(&mut fields, order, exec_ids, b'I', order.ord_status);
                fields.bytes(tags::CL_ORD_ID, raw_id);
                order_fields(&mut fields, order, venue);
            }
            None => {
                fields
                    .bytes(tags::ORDER_ID, NO_ORDER_ID)
                    .bytes(tags::EXEC_ID, exec_ids.next())
                    .char(tags::EXEC_TYPE, b'I')
                    .char(tags::ORD_STATUS, b'8')
                    .bytes(tags::CL_ORD_ID, raw_id)
                    .bytes(tags::SYMBOL, message.get(tags::SYMBOL).unwrap_or(b"?"))
                    .bytes(tags::SIDE, message.get(tags::SIDE).unwrap_or(b"1"))
                    .u64(tags::LEAVES_QTY, 0)
                    .u64(tags::CUM_QTY, 0)
                    .u64(tags::AVG_PX, 0)
                    .bytes(tags::TEXT, b"unknown order");
            }
        }
        if let Some(request_id) = message.get(tags::ORD_STATUS_REQ_ID) {
            fields.bytes(tags::ORD_STATUS_REQ_ID, request_id);
        }
        fields.timestamp(tags::TRANSACT_TIME, times.utc_ns);
        Inbound::Reply(msg_type::EXECUTION_REPORT)
    }

    fn mass_cancel(
        &mut self,
        message: &Message<'_>,
        venue: &Venue,
        times: Times,
        body: &mut Vec<u8>,
    ) -> Inbound {
        let raw_id = message.get(tags::CL_ORD_ID).unwrap_or(b"?");
        let request_type = message
            .get_char(tags::MASS_CANCEL_REQUEST_TYPE)
            .ok()
            .flatten()
            .unwrap_or(b'?');
        let instrument = match request_type {
            b'7' => Ok(None),
            b'1' => {
                let symbol = message.get(tags::SYMBOL).unwrap_or_default();
                venue
                    .instrument(symbol)
                    .map(Some)
                    .ok_or((2, "unknown symbol"))
            }
            _ => Err((1, "unsupported MassCancelRequestType (1 and 7 are)")),
        };
        let cl_ord_id = ClOrdId::new(raw_id);
        let result = match (instrument, cl_ord_id) {
            (Err(refusal), _) => Err(refusal),
            (Ok(_), None) => Err((99, "ClOrdID too long")),
            (Ok(_), Some(_)) if self.mass_cancels.len() == MASS_CANCELS_IN_FLIGHT_MAX => {
                Err((99, "too many mass cancels in flight"))
            }
            (Ok(instrument), Some(id)) => Ok((instrument, id)),
        };
        match result {
            Ok((instrument, id)) => {
                self.mass_cancels.push_back((id, request_type));
                Inbound::Command(CommandKind::MassCancel(MassCancel {
                    account: self.account,
                    instrument,
                }))
            }
            Err((reason, text)) => {
                self.mass_cancel_count += 1;
                FieldWriter(body)
                    .bytes(tags::CL_ORD_ID, raw_id)
                    .u64(tags::ORDER_ID, self.mass_cancel_count)
                    .char(tags::MASS_CANCEL_REQUEST_TYPE, request_type)
                    .char(tags::MASS_CANCEL_RESPONSE, b'0')
                    .u64(tags::MASS_CANCEL_REJECT_REASON, reason)
                    .bytes(tags::TEXT, text.as_bytes())
                    .timestamp(tags::TRANSACT_TIME, times.utc_ns);
                Inbound::Reply(msg_type::ORDER_MASS_CANCEL_REPORT)
            }
        }
    }

    /// Encodes the message for an engine report into `body`; returns its
    /// MsgType, or `None` when the report needs no message on this session.
    pub fn on_report(
        &mut self,
        report: &Report,
        venue: &Venue,
        exec_ids: &mut ExecIds,
        utc_ns: u64,
        body: &mut Vec<u8>,
    ) -> Option<&'static [u8]> {
        body.clear();
        if let ReportKind::MassCanceled { count } = report.kind {
            return self.mass_cancel_report(count, utc_ns, body);
        }
        let id = report.client_order_id;
        let order = self.orders.get_mut(id)?;
        let mut fields = FieldWriter(body);
        let msg_type = match report.kind {
            ReportKind::Accepted { order_ref, .. } => {
                order.order_ref = order_ref.0;
                order.ord_status = b'0';
                execution_header(&mut fields, order, exec_ids, b'0', b'0');
                fields.bytes(tags::CL_ORD_ID, order.cl_ord_id.as_bytes());
                msg_type::EXECUTION_REPORT
            }
            ReportKind::Rejected { reason, .. } => {
                order.ord_status = b'8';
                order.leaves_qty = 0;
                execution_header(&mut fields, order, exec_ids, b'8', b'8');
                fields
                    .bytes(tags::CL_ORD_ID, order.cl_ord_id.as_bytes())
                    .u64(tags::ORD_REJ_REASON, ord_rej_reason(reason))
                    .bytes(tags::TEXT, reject_text(reason).as_bytes());
                msg_type::EXECUTION_REPORT
            }
            ReportKind::Executed {
                qty,
                price,
                leaves,
                match_number,
                liquidity,
                ..
            } => {
                order.cum_qty += qty.0;
                order.leaves_qty = leaves.0;
                order.executed_notional_ticks += u128::from(qty.0) * price.0.max(0) as u128;
                order.ord_status = if leaves.0 == 0 { b'2' } else { b'1' };
                execution_header(&mut fields, order, exec_ids, b'F', order.ord_status);
                fields
                    .bytes(tags::CL_ORD_ID, order.cl_ord_id.as_bytes())
                    .decimal(
                        tags::LAST_PX,
                        venue.price_units(order.instrument, price.0),
                        PRICE_SCALE_DECIMALS,
                    )
                    .u64(tags::LAST_QTY, qty.0)
                    .u64(tags::SECONDARY_EXEC_ID, match_number.0)
                    .char(tags::LAST_LIQUIDITY_IND, liquidity_indicator(liquidity));
                msg_type::EXECUTION_REPORT
            }
            ReportKind::Canceled { leaves, reason, .. } => {
                order.leaves_qty = leaves.0;
                let requested = match order.pending {
                    Pending::Cancel(new_id) if reason == CancelReason::User => Some(new_id),
                    _ => None,
                };
                if leaves.0 > 0 {
                    // Reduced, still working (not a FIX request): restated.
                    execution_header(&mut fields, order, exec_ids, b'D', order.ord_status);
                } else {
                    order.ord_status = b'4';
                    execution_header(&mut fields, order, exec_ids, b'4', b'4');
                }
                match requested {
                    Some(new_id) => {
                        fields
                            .bytes(tags::CL_ORD_ID, new_id.as_bytes())
                            .bytes(tags::ORIG_CL_ORD_ID, order.cl_ord_id.as_bytes());
                    }
                    None => {
                        fields
                            .bytes(tags::CL_ORD_ID, order.cl_ord_id.as_bytes())
                            .bytes(tags::TEXT, cancel_text(reason).as_bytes());
                    }
                }
                msg_type::EXECUTION_REPORT
            }
            ReportKind::Replaced {
                order_ref,
                price,
                qty,
                ..
            } => {
                let Pending::Replace {
                    cl_ord_id,
                    order_qty,
                    ord_type,
                } = order.pending
                else {
                    tracing::error!(?id, "engine replaced an order with no replace pending");
                    return None;
                };
                let orig_id = order.cl_ord_id;
                order.order_ref = order_ref.0;
                order.price_ticks = price.0;
                order.leaves_qty = qty.0;
                order.order_qty = order_qty.max(order.cum_qty + qty.0);
                order.ord_type = ord_type;
                order.ord_status = if order.cum_qty > 0 { b'1' } else { b'0' };
                execution_header(&mut fields, order, exec_ids, b'5', order.ord_status);
                fields
                    .bytes(tags::CL_ORD_ID, cl_ord_id.as_bytes())
                    .bytes(tags::ORIG_CL_ORD_ID, orig_id.as_bytes());
                msg_type::EXECUTION_REPORT
            }
            ReportKind::CancelRejected { reason } => {
                let (request_id, response_to) = match order.pending {
                    Pending::Cancel(request_id) => (request_id, b'1'),
                    Pending::Replace { cl_ord_id, .. } => (cl_ord_id, b'2'),
                    Pending::None => {
                        tracing::error!(?id, "engine refused a cancel that is not pending");
                        return None;
                    }
                };
                order.pending = Pending::None;
                let cxl_rej_reason = if reason == RejectReason::UnknownOrder {
                    0
                } else {
                    99
                };
                let order = *order;
                cancel_reject(
                    Some(&order),
                    request_id.as_bytes(),
                    order.cl_ord_id.as_bytes(),
                    response_to,
                    cxl_rej_reason,
                    reject_text(reason),
                    Times {
                        monotonic_ns: 0,
                        utc_ns,
                    },
                    body,
                );
                return Some(msg_type::ORDER_CANCEL_REJECT);
            }
            ReportKind::MassCanceled { .. } => unreachable!("handled above"),
        };
        order_fields(&mut fields, order, venue);
        fields.timestamp(tags::TRANSACT_TIME, utc_ns);
        self.after_report(id, &report.kind);
        Some(msg_type)
    }

    /// Bookkeeping once a report's message is written: renames after a
    /// cancel or replace, and retires finished orders.
    fn after_report(&mut self, id: ClientOrderId, kind: &ReportKind) {
        let order = *self.orders.get(id).expect("valid id");
        match (kind, order.pending) {
            (ReportKind::Replaced { .. }, Pending::Replace { cl_ord_id, .. })
            | (
                ReportKind::Canceled {
                    reason: CancelReason::User,
                    ..
                },
                Pending::Cancel(cl_ord_id),
            ) => {
                self.orders.get_mut(id).expect("valid id").pending = Pending::None;
                self.orders.rename(id, cl_ord_id);
            }
            _ => {}
        }
        if !order.is_open() {
            self.orders.finish(id);
        }
    }

    fn mass_cancel_report(
        &mut self,
        count: u32,
        utc_ns: u64,
        body: &mut Vec<u8>,
    ) -> Option<&'static [u8]> {
        // Cancel-on-disconnect also ends with a MassCanceled; nobody asked
        // for a report then.
        let (cl_ord_id, request_type) = self.mass_cancels.pop_front()?;
        self.mass_cancel_count += 1;
        FieldWriter(body)
            .bytes(tags::CL_ORD_ID, cl_ord_id.as_bytes())
            .u64(tags::ORDER_ID, self.mass_cancel_count)
            .char(tags::MASS_CANCEL_REQUEST_TYPE, request_type)
            .char(tags::MASS_CANCEL_RESPONSE, request_type)
            .u64(tags::TOTAL_AFFECTED_ORDERS, u64::from(count))
            .timestamp(tags::TRANSACT_TIME, utc_ns);
        Some(msg_type::ORDER_MASS_CANCEL_REPORT)
    }
}

/// BusinessMessageReject (j), reason 3 (unsupported message type), for an
/// application message this venue does not handle on order entry.
fn business_reject(message: &Message<'_>, msg_type: &[u8], body: &mut Vec<u8>) {
    let mut fields = FieldWriter(body);
    if let Some(sequence) = message.get(tags::MSG_SEQ_NUM) {
        fields.bytes(tags::REF_SEQ_NUM, sequence);
    }
    fields
        .bytes(tags::REF_MSG_TYPE, msg_type)
        .u64(tags::BUSINESS_REJECT_REASON, 3)
        .bytes(tags::TEXT, b"message type not supported by this session");
}

fn side(message: &Message<'_>) -> Result<Side, String> {
    match message.get_char(tags::SIDE) {
        Ok(Some(b'1')) => Ok(Side::Buy),
        // Sell short and sell short exempt match as sells.
        Ok(Some(b'2' | b'5' | b'6')) => Ok(Side::Sell),
        _ => Err("unsupported Side (1 buy, 2 sell, 5 and 6 short are)".to_string()),
    }
}

/// A positive whole quantity, `Ok(None)` when absent; (OrdRejReason, Text) when bad.
fn quantity(message: &Message<'_>, tag: u32) -> Result<Option<u64>, (u64, String)> {
    let Some(text) = message.get(tag) else {
        return Ok(None);
    };
    match parse_decimal(text, 0) {
        Ok(value) if value > 0 => Ok(Some(value as u64)),
        Ok(_) if tag == tags::MIN_QTY => Ok(Some(0)),
        _ => Err((
            13,
            format!(
                "tag {tag} must be a positive whole number, got {}",
                String::from_utf8_lossy(text)
            ),
        )),
    }
}

/// ExecutionReport fields every report starts with.
fn execution_header(
    fields: &mut FieldWriter<'_>,
    order: &FixOrder,
    exec_ids: &mut ExecIds,
    exec_type: u8,
    ord_status: u8,
) {
    if order.order_ref == 0 {
        fields.bytes(tags::ORDER_ID, NO_ORDER_ID);
    } else {
        fields.u64(tags::ORDER_ID, order.order_ref);
    }
    fields
        .bytes(tags::EXEC_ID, exec_ids.next())
        .char(tags::EXEC_TYPE, exec_type)
        .char(tags::ORD_STATUS, ord_status);
}

/// The order's own fields, quantities and average price.
fn order_fields(fields: &mut FieldWriter<'_>, order: &FixOrder, venue: &Venue) {
    fields
        .bytes(tags::SYMBOL, venue.symbol(order.instrument))
        .char(tags::SIDE, order.side)
        .u64(tags::ORDER_QTY, order.order_qty)
        .char(tags::ORD_TYPE, order.ord_type);
    if order.ord_type == b'2' {
        fields.decimal(
            tags::PRICE,
            venue.price_units(order.instrument, order.price_ticks),
            PRICE_SCALE_DECIMALS,
        );
    }
    fields
        .char(tags::TIME_IN_FORCE, order.time_in_force)
        .u64(tags::LEAVES_QTY, order.leaves_qty)
        .u64(tags::CUM_QTY, order.cum_qty)
        .decimal(tags::AVG_PX, average_price(order, venue), AVG_PX_DECIMALS);
}

/// Σ qty × price / Σ qty in units of 10^-6, rounded half up.
fn average_price(order: &FixOrder, venue: &Venue) -> i64 {
    if order.cum_qty == 0 {
        return 0;
    }
    let scale = 10u128.pow(AVG_PX_DECIMALS - PRICE_SCALE_DECIMALS);
    let notional_units = order.executed_notional_ticks * venue.tick(order.instrument) as u128;
    let cum = u128::from(order.cum_qty);
    ((notional_units * scale * 2 + cum) / (cum * 2)) as i64
}

/// ExecutionReport Rejected for an order the gateway refused itself.
fn reject_new(
    message: &Message<'_>,
    raw_id: &[u8],
    reason: u64,
    text: &str,
    times: Times,
    exec_ids: &mut ExecIds,
    body: &mut Vec<u8>,
) {
    let mut fields = FieldWriter(body);
    fields
        .bytes(tags::ORDER_ID, NO_ORDER_ID)
        .bytes(tags::EXEC_ID, exec_ids.next())
        .char(tags::EXEC_TYPE, b'8')
        .char(tags::ORD_STATUS, b'8')
        .bytes(tags::CL_ORD_ID, clip(raw_id))
        .bytes(tags::SYMBOL, message.get(tags::SYMBOL).unwrap_or(b"?"))
        .bytes(tags::SIDE, message.get(tags::SIDE).unwrap_or(b"1"));
    if let Some(qty) = message.get(tags::ORDER_QTY) {
        fields.bytes(tags::ORDER_QTY, qty);
    }
    fields
        .u64(tags::LEAVES_QTY, 0)
        .u64(tags::CUM_QTY, 0)
        .u64(tags::AVG_PX, 0)
        .u64(tags::ORD_REJ_REASON, reason)
        .bytes(tags::TEXT, text.as_bytes())
        .timestamp(tags::TRANSACT_TIME, times.utc_ns);
}

/// An over-long identifier echoed back, cut to a length any client accepts.
fn clip(value: &[u8]) -> &[u8] {
    &value[..value.len().min(64)]
}

/// OrderCancelReject (9).
#[allow(clippy::too_many_arguments)]
fn cancel_reject(
    order: Option<&FixOrder>,
    request_id: &[u8],
    orig_id: &[u8],
    response_to: u8,
    reason: u64,
    text: &str,
    times: Times,
    body: &mut Vec<u8>,
) {
    let mut fields = FieldWriter(body);
    match order {
        Some(order) if order.order_ref != 0 => fields.u64(tags::ORDER_ID, order.order_ref),
        _ => fields.bytes(tags::ORDER_ID, NO_ORDER_ID),
    };
    fields
        .bytes(tags::CL_ORD_ID, clip(request_id))
        .bytes(tags::ORIG_CL_ORD_ID, clip(orig_id))
        .char(
            tags::ORD_STATUS,
            order.map_or(b'8', |order| match order.ord_status {
                b'A' => b'A',
                status => status,
            }),
        )
        .char(tags::CXL_REJ_RESPONSE_TO, response_to)
        .u64(tags::CXL_REJ_REASON, reason)
        .bytes(tags::TEXT, text.as_bytes())
        .timestamp(tags::TRANSACT_TIME, times.utc_ns);
}

fn liquidity_indicator(liquidity: Liquidity) -> u8 {
    match liquidity {
        Liquidity::Added => b'1',
        Liquidity::Removed => b'2',
        Liquidity::Cross => b'4',
    }
}

/// OrdRejReason (103) for an engine reject.
fn ord_rej_reason(reason: RejectReason) -> u64 {
    match reason {
        RejectReason::UnknownInstrument => 1,
        RejectReason::InstrumentClosed | RejectReason::InstrumentHalted => 2,
        RejectReason::RiskMaxOrderQty
        | RejectReason::RiskMaxNotional
        | RejectReason::RiskMaxOpenOrders
        | RejectReason::RiskMaxPosition => 3,
        RejectReason::DuplicateClientOrderId => 6,
        RejectReason::UnknownOrder => 5,
        RejectReason::InvalidQuantity
        | RejectReason::QuantityBelowMinimum
        | RejectReason::QuantityAboveMaximum
        | RejectReason::InvalidMinQty => 13,
        RejectReason::InvalidOrderAttributes
        | RejectReason::NotAllowedInState
        | RejectReason::PostOnlyWouldTake => 11,
        RejectReason::PriceOutsideBand | RejectReason::RiskPriceCollar => 99,
        RejectReason::UnknownAccount | RejectReason::BookFull => 99,
    }
}

/// Text (58) for an engine reject.
pub fn reject_text(reason: RejectReason) -> &'static str {
    match reason {
        RejectReason::UnknownInstrument => "unknown instrument",
        RejectReason::InvalidQuantity => "quantity is zero or not a multiple of the lot size",
        RejectReason::QuantityBelowMinimum => "quantity below the instrument's minimum",
        RejectReason::QuantityAboveMaximum => "quantity above the instrument's maximum",
        RejectReason::PriceOutsideBand => "price outside the instrument's price band",
        RejectReason::InvalidMinQty => "MinQty larger than OrderQty",
        RejectReason::InvalidOrderAttributes => "contradictory order attributes",
        RejectReason::DuplicateClientOrderId => "duplicate order id",
        RejectReason::PostOnlyWouldTake => "post-only order would take liquidity",
        RejectReason::UnknownOrder => "unknown order (already filled or cancelled)",
        RejectReason::InstrumentClosed => "instrument closed",
        RejectReason::InstrumentHalted => "instrument halted: cancels only",
        RejectReason::NotAllowedInState => "order type not allowed in the instrument's state",
        RejectReason::RiskMaxOrderQty => "risk: order quantity over the account's limit",
        RejectReason::RiskMaxNotional => "risk: notional over the account's limit",
        RejectReason::RiskPriceCollar => "risk: price outside the account's collar",
        RejectReason::RiskMaxOpenOrders => "risk: too many open orders",
        RejectReason::RiskMaxPosition => "risk: position limit",
        RejectReason::UnknownAccount => "unknown account",
        RejectReason::BookFull => "venue order capacity reached",
    }
}

fn cancel_text(reason: CancelReason) -> &'static str {
    match reason {
        CancelReason::User => "cancelled",
        CancelReason::ImmediateOrCancel => "immediate-or-cancel remainder",
        CancelReason::FillConditionNotMet => "fill-or-kill / minimum quantity not met",
        CancelReason::SelfTradeNewest
        | CancelReason::SelfTradeOldest
        | CancelReason::SelfTradeBoth => "self-trade prevention",
        CancelReason::MassCancel => "mass cancel",
        CancelReason::Disconnect => "cancel on disconnect",
        CancelReason::Supervisory => "supervisory cancel",
    }
}
