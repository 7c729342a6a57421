//! MarketDataRequest (V): the fields that do not depend on the hub's state,
//! checked in a fixed order; the first failure becomes a
//! MarketDataRequestReject (Y) with MDReqRejReason (281) and Text (58).

use super::limits::MD_REQ_ID_MAX;
use crate::fix::codec::{tags, Message};

/// MDReqRejReason (281) values RTES sends.
pub mod reject_reason {
    /// Unknown symbol.
    pub const UNKNOWN_SYMBOL: u8 = b'0';
    /// Duplicate MDReqID.
    pub const DUPLICATE_MD_REQ_ID: u8 = b'1';
    /// Insufficient bandwidth: RTES's answer to "too many subscriptions".
    pub const INSUFFICIENT_BANDWIDTH: u8 = b'2';
    /// Unsupported SubscriptionRequestType.
    pub const UNSUPPORTED_SUBSCRIPTION_REQUEST_TYPE: u8 = b'4';
    /// Unsupported MarketDepth.
    pub const UNSUPPORTED_MARKET_DEPTH: u8 = b'5';
    /// Unsupported MDUpdateType.
    pub const UNSUPPORTED_MD_UPDATE_TYPE: u8 = b'6';
    /// Unsupported AggregatedBook (RTES only aggregates by price).
    pub const UNSUPPORTED_AGGREGATED_BOOK: u8 = b'7';
    /// Unsupported MDEntryType.
    pub const UNSUPPORTED_MD_ENTRY_TYPE: u8 = b'8';
}

/// SubscriptionRequestType (263).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestKind {
    /// 0: one snapshot.
    Snapshot,
    /// 1: a snapshot, then updates.
    Subscribe,
    /// 2: stop the updates of an earlier request.
    Unsubscribe,
}

/// Which MDEntryTypes (269) a request wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct EntryTypes {
    pub bids: bool,
    pub offers: bool,
    pub trades: bool,
}

/// The checked stateless part of a MarketDataRequest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ParsedRequest<'a> {
    pub id: &'a [u8],
    pub kind: RequestKind,
    /// 0 = the full book.
    pub depth: usize,
    /// MDUpdateType 0: every change is sent as a new snapshot.
    pub full_refresh: bool,
    pub types: EntryTypes,
}

/// Why a request is refused: MDReqRejReason (absent when FIX has no code
/// for it) and Text, optionally followed by the offending value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refusal<'a> {
    pub reason: Option<u8>,
    pub text: &'static str,
    pub detail: &'a [u8],
}

impl<'a> Refusal<'a> {
    pub fn new(reason: Option<u8>, text: &'static str) -> Refusal<'a> {
        Refusal {
            reason,
            text,
            detail: b"",
        }
    }
}

/// MDReqID to echo in a reject: as sent (cut to the kept length), or `?`.
pub(crate) fn echo_id<'a>(message: &Message<'a>) -> &'a [u8] {
    let id = message.get(tags::MD_REQ_ID).unwrap_or(b"?");
    &id[..id.len().min(MD_REQ_ID_MAX)]
}

/// Checks MDReqID, SubscriptionRequestType and, unless unsubscribing,
/// MarketDepth, MDUpdateType, AggregatedBook and the MDEntryTypes.
pub(crate) fn parse<'a>(
    message: &Message<'a>,
    max_depth: usize,
) -> Result<ParsedRequest<'a>, Refusal<'a>> {
    use reject_reason::*;
    let id = message
        .get(tags::MD_REQ_ID)
        .ok_or(Refusal::new(None, "MDReqID (262) is required"))?;
    if id.len() > MD_REQ_ID_MAX {
        return Err(Refusal::new(None, "MDReqID (262) is longer than 64 bytes"));
    }
    let kind = match message.get(tags::SUBSCRIPTION_REQUEST_TYPE) {
        Some(b"0") => RequestKind::Snapshot,
        Some(b"1") => RequestKind::Subscribe,
        Some(b"2") => RequestKind::Unsubscribe,
        _ => {
            return Err(Refusal::new(
                Some(UNSUPPORTED_SUBSCRIPTION_REQUEST_TYPE),
                "SubscriptionRequestType (263) must be 0 snapshot, 1 snapshot and updates or 2 unsubscribe",
            ))
        }
    };
    let mut parsed = ParsedRequest {
        id,
        kind,
        depth: 0,
        full_refresh: false,
        types: EntryTypes::default(),
    };
    if kind == RequestKind::Unsubscribe {
        return Ok(parsed);
    }
    parsed.depth = match message.get_u64(tags::MARKET_DEPTH) {
        Ok(Some(depth)) if depth as usize <= max_depth => depth as usize,
        _ => {
            return Err(Refusal::new(
                Some(UNSUPPORTED_MARKET_DEPTH),
                "MarketDepth (264) must be 0 (full book) or 1..=max_depth levels",
            ))
        }
    };
    parsed.full_refresh =
        match (message.get(tags::MD_UPDATE_TYPE), kind) {
            (Some(b"0"), _) => true,
            (Some(b"1"), _) | (None, RequestKind::Snapshot) => false,
            (None, _) => return Err(Refusal::new(
                Some(UNSUPPORTED_MD_UPDATE_TYPE),
                "MDUpdateType (265) is required when subscribing: 0 full refresh or 1 incremental",
            )),
            (Some(_), _) => {
                return Err(Refusal::new(
                    Some(UNSUPPORTED_MD_UPDATE_TYPE),
                    "MDUpdateType (265) must be 0 full refresh or 1 incremental",
                ))
            }
        };
    if message.get(tags::AGGREGATED_BOOK) == Some(b"N") {
        return Err(Refusal::new(
            Some(UNSUPPORTED_AGGREGATED_BOOK),
            "AggregatedBook (266) N: RTES publishes price levels only",
        ));
    }
    parsed.types = entry_types(message)?;
    Ok(parsed)
}

fn entry_types<'a>(message: &Message<'a>) -> Result<EntryTypes, Refusal<'a>> {
    let mut types = EntryTypes::default();
    let mut any = false;
    for field in message.fields() {
        if field.tag != tags::MD_ENTRY_TYPE {
            continue;
        }
        any = true;
        match message.value(field) {
            b"0" => types.bids = true,
            b"1" => types.offers = true,
            b"2" => types.trades = true,
            other => {
                return Err(Refusal {
                    reason: Some(reject_reason::UNSUPPORTED_MD_ENTRY_TYPE),
                    text: "unsupported MDEntryType (0 bid, 1 offer, 2 trade are supported): ",
                    detail: other,
                })
            }
        }
    }
    if !any {
        return Err(Refusal::new(
            Some(reject_reason::UNSUPPORTED_MD_ENTRY_TYPE),
            "NoMDEntryTypes (267) must list at least one MDEntryType (269)",
        ));
    }
    Ok(types)
}
