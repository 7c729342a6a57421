//! OUCH 4.2 messages ↔ engine commands and reports, for one user session.
//!
//! Inbound: tokens become client order ids, symbols instrument ids, prices
//! ticks; what the gateway itself refuses (unknown stock, reused token,
//! throttle) is answered here without bothering the engine. Outbound: engine
//! reports become OUCH messages, with the fields OUCH echoes taken from the
//! order as the client sent it.

use std::collections::HashMap;

use rtes_engine::{CommandKind, InstrumentId, Report, ReportKind};

use super::session::{OrderInfo, UserSession};
use super::WireInstrument;
use crate::ouch::convert::{
    cancel_order_to_engine, cancel_reason_to_ouch, enter_order_to_engine, liquidity_to_ouch,
    price_to_wire, reject_reason_to_ouch, replace_order_to_engine, timestamp_to_ouch, EntryContext,
    ReplaceContext, WireTick,
};
use crate::ouch::wire::{EnterOrderRecord, ReplaceOrderRecord};
use crate::ouch::{
    self, Accepted, AcceptedOrder, BboWeightIndicator, CancelReject, Canceled, Capacity, CrossType,
    Display, Executed, InboundMessage, IntermarketSweep, OrderState, OuchMessage, RejectReason,
    Rejected, Replaced, Side,
};
use crate::soupbin::ascii::Alpha;

/// What an inbound OUCH message turned into.
#[derive(Debug)]
pub enum Inbound {
    /// A command for the engine.
    Command(CommandKind),
    /// A reply the gateway produced itself, encoded into the scratch buffer.
    Reply,
    /// Refused by the throttle; the Rejected is in the scratch buffer.
    Throttled,
    /// Breaks the protocol: the connection goes.
    Malformed(&'static str),
}

/// Decodes one OUCH message from a logged-in user.
pub fn decode_inbound(
    message: &[u8],
    user: &mut UserSession,
    symbols: &HashMap<[u8; 8], InstrumentId>,
    instruments: &[WireInstrument],
    now_ns: u64,
    venue_ns: u64,
    scratch: &mut Vec<u8>,
) -> Inbound {
    scratch.clear();
    match ouch::decode_inbound(message) {
        Err(ouch::OuchError::UnknownMessageType { .. }) => {
            Inbound::Malformed("unknown OUCH message type")
        }
        Err(_) => Inbound::Malformed("OUCH message of the wrong length"),
        Ok(InboundMessage::EnterOrder(record)) => enter(
            record,
            user,
            symbols,
            instruments,
            now_ns,
            venue_ns,
            scratch,
        ),
        Ok(InboundMessage::ReplaceOrder(record)) => {
            replace(record, user, instruments, now_ns, venue_ns, scratch)
        }
        Ok(InboundMessage::CancelOrder(record)) => match user.lookup_token(&record.order_token) {
            Some(id) => Inbound::Command(CommandKind::Cancel(cancel_order_to_engine(record, id))),
            None => {
                encode(
                    &CancelReject {
                        timestamp_ns: timestamp_to_ouch(rtes_engine::TimestampNs(venue_ns)),
                        order_token: Alpha(record.order_token),
                    },
                    scratch,
                );
                Inbound::Reply
            }
        },
    }
}

fn tick_of(instruments: &[WireInstrument], instrument: InstrumentId) -> WireTick {
    let tick = instruments[instrument.0 as usize].tick_size;
    WireTick::new(tick as u32).expect("tick sizes are validated positive at start-up")
}

fn reject(token: [u8; 14], reason: RejectReason, venue_ns: u64, scratch: &mut Vec<u8>) {
    encode(
        &Rejected {
            timestamp_ns: timestamp_to_ouch(rtes_engine::TimestampNs(venue_ns)),
            order_token: Alpha(token),
            reason,
        },
        scratch,
    );
}

fn enter(
    record: &EnterOrderRecord,
    user: &mut UserSession,
    symbols: &HashMap<[u8; 8], InstrumentId>,
    instruments: &[WireInstrument],
    now_ns: u64,
    venue_ns: u64,
    scratch: &mut Vec<u8>,
) -> Inbound {
    if !user.throttle.allow(now_ns) {
        reject(record.order_token, RejectReason::Other, venue_ns, scratch);
        return Inbound::Throttled;
    }
    if user.lookup_token(&record.order_token).is_some() {
        reject(record.order_token, RejectReason::Other, venue_ns, scratch);
        return Inbound::Reply;
    }
    let Some(&instrument) = symbols.get(&record.stock) else {
        reject(
            record.order_token,
            RejectReason::InvalidStock,
            venue_ns,
            scratch,
        );
        return Inbound::Reply;
    };
    let info = OrderInfo {
        token: record.order_token,
        instrument,
        side: record.side,
        price: record.price.get(),
        time_in_force: record.time_in_force.get(),
        firm: record.firm,
        display: record.display,
        capacity: record.capacity,
        intermarket_sweep: record.intermarket_sweep,
        cross_type: record.cross_type,
        min_qty: record.minimum_quantity.get(),
        pending_replacement: None,
    };
    let client_order_id = user
        .register_token(info)
        .expect("token checked unused just above");
    let context = EntryContext {
        client_order_id,
        account: user.config.account,
        instrument,
        tick: tick_of(instruments, instrument),
    };
    match enter_order_to_engine(record, &context) {
        Ok(order) => Inbound::Command(CommandKind::New(order)),
        Err(reason) => {
            reject(record.order_token, reason, venue_ns, scratch);
            Inbound::Reply
        }
    }
}

fn replace(
    record: &ReplaceOrderRecord,
    user: &mut UserSession,
    instruments: &[WireInstrument],
    now_ns: u64,
    venue_ns: u64,
    scratch: &mut Vec<u8>,
) -> Inbound {
    let replacement_token = record.replacement_order_token;
    if !user.throttle.allow(now_ns) {
        reject(replacement_token, RejectReason::Other, venue_ns, scratch);
        return Inbound::Throttled;
    }
    let Some(existing) = user.lookup_token(&record.existing_order_token) else {
        reject(replacement_token, RejectReason::Other, venue_ns, scratch);
        return Inbound::Reply;
    };
    if user.lookup_token(&replacement_token).is_some() {
        reject(replacement_token, RejectReason::Other, venue_ns, scratch);
        return Inbound::Reply;
    }
    let original = *user
        .order(existing)
        .expect("registered tokens have order info");
    let info = OrderInfo {
        token: replacement_token,
        price: record.price.get(),
        time_in_force: record.time_in_force.get(),
        min_qty: record.minimum_quantity.get(),
        pending_replacement: None,
        ..original
    };
    let new_client_order_id = user
        .register_token(info)
        .expect("token checked unused just above");
    let context = ReplaceContext {
        client_order_id: existing,
        new_client_order_id,
        tick: tick_of(instruments, original.instrument),
    };
    match replace_order_to_engine(record, &context) {
        Ok(replace) => {
            if let Some(order) = user.order_mut(existing) {
                order.pending_replacement = Some(new_client_order_id);
            }
            Inbound::Command(CommandKind::Replace(replace))
        }
        Err(reason) => {
            reject(replacement_token, reason, venue_ns, scratch);
            Inbound::Reply
        }
    }
}

/// True for the reports that answer a client request directly (what the
/// gateway's order-to-ack latency measures).
pub fn is_ack(report: &Report) -> bool {
    matches!(
        report.kind,
        ReportKind::Accepted { .. }
            | ReportKind::Rejected { .. }
            | ReportKind::Replaced { .. }
            | ReportKind::CancelRejected { .. }
    ) || matches!(
        report.kind,
        ReportKind::Canceled {
            reason: rtes_engine::CancelReason::User,
            ..
        }
    )
}

fn encode<M: OuchMessage>(message: &M, out: &mut Vec<u8>) {
    let mut staging = [0u8; 128];
    let written = message
        .encode(&mut staging)
        .expect("OUCH messages fit 128 bytes");
    out.extend_from_slice(&staging[..written]);
}

fn accepted_order(
    info: &OrderInfo,
    timestamp_ns: u64,
    shares: u64,
    price: u32,
    order_ref: u64,
    live: bool,
) -> AcceptedOrder {
    AcceptedOrder {
        timestamp_ns,
        order_token: Alpha(info.token),
        side: Side::from_byte(info.side).unwrap_or(Side::Buy),
        shares: shares as u32,
        stock: Alpha([b' '; 8]),
        price,
        time_in_force: info.time_in_force,
        firm: Alpha(info.firm),
        display: Display::from_byte(info.display).unwrap_or(Display::Anonymous),
        order_reference_number: order_ref,
        capacity: Capacity::from_byte(info.capacity).unwrap_or(Capacity::Agency),
        intermarket_sweep: IntermarketSweep::from_byte(info.intermarket_sweep)
            .unwrap_or(IntermarketSweep::NotEligible),
        minimum_quantity: info.min_qty,
        cross_type: CrossType::from_byte(info.cross_type).unwrap_or(CrossType::NoCross),
        order_state: if live {
            OrderState::Live
        } else {
            OrderState::Dead
        },
        bbo_weight_indicator: BboWeightIndicator::Unspecified,
    }
}

fn stock_of(instruments: &[WireInstrument], instrument: InstrumentId) -> Alpha<8> {
    let mut stock = [b' '; 8];
    let symbol = instruments[instrument.0 as usize].symbol.as_bytes();
    stock[..symbol.len()].copy_from_slice(symbol);
    Alpha(stock)
}

/// Encodes the OUCH message for an engine report into `out`; false when the
/// report has no OUCH counterpart.
pub fn encode_report(
    report: &Report,
    user: &mut UserSession,
    instruments: &[WireInstrument],
    out: &mut Vec<u8>,
) -> bool {
    let timestamp_ns = timestamp_to_ouch(report.ts);
    let Some(info) = user.order(report.client_order_id).copied() else {
        // Reports without an OUCH order (mass-cancel summaries) have no message.
        return false;
    };
    match report.kind {
        ReportKind::Accepted { order_ref, order } => {
            let mut accepted = accepted_order(
                &info,
                timestamp_ns,
                order.qty.0,
                info.price,
                order_ref.0,
                true,
            );
            accepted.stock = stock_of(instruments, order.instrument);
            encode(&Accepted(accepted), out);
        }
        ReportKind::Rejected { reason, .. } => {
            reject(info.token, reject_reason_to_ouch(reason), report.ts.0, out);
        }
        ReportKind::Executed {
            instrument,
            qty,
            price,
            match_number,
            liquidity,
            ..
        } => {
            let execution_price = price_to_wire(price, tick_of(instruments, instrument))
                .expect("engine prices lie inside the configured band");
            encode(
                &Executed {
                    timestamp_ns,
                    order_token: Alpha(info.token),
                    executed_shares: qty.0 as u32,
                    execution_price,
                    liquidity_flag: liquidity_to_ouch(liquidity),
                    match_number: match_number.0,
                },
                out,
            );
        }
        ReportKind::Canceled { qty, reason, .. } => {
            encode(
                &Canceled {
                    timestamp_ns,
                    order_token: Alpha(info.token),
                    decrement_shares: qty.0 as u32,
                    reason: cancel_reason_to_ouch(reason),
                },
                out,
            );
        }
        ReportKind::Replaced {
            previous_client_order_id,
            order_ref,
            instrument,
            price,
            qty,
            ..
        } => {
            let previous = user.order_mut(previous_client_order_id);
            let previous_token = match previous {
                Some(previous) => {
                    previous.pending_replacement = None;
                    previous.token
                }
                None => [b' '; 14],
            };
            let wire_price = price_to_wire(price, tick_of(instruments, instrument))
                .expect("engine prices lie inside the configured band");
            let mut order =
                accepted_order(&info, timestamp_ns, qty.0, wire_price, order_ref.0, true);
            order.stock = stock_of(instruments, instrument);
            encode(
                &Replaced {
                    order,
                    previous_order_token: Alpha(previous_token),
                },
                out,
            );
        }
        ReportKind::CancelRejected { reason } => {
            let pending = user
                .order_mut(report.client_order_id)
                .and_then(|order| order.pending_replacement.take());
            match pending.and_then(|replacement| user.order(replacement).copied()) {
                Some(replacement) => reject(
                    replacement.token,
                    reject_reason_to_ouch(reason),
                    report.ts.0,
                    out,
                ),
                None => encode(
                    &CancelReject {
                        timestamp_ns,
                        order_token: Alpha(info.token),
                    },
                    out,
                ),
            }
        }
        ReportKind::MassCanceled { .. } => return false,
    }
    true
}
