//! Handling one MarketDataRequest (V) end to end: the stateless checks
//! (`request.rs`), then the ones that need the session, then the answer: a
//! reject (Y), snapshots (W) and, for a subscription, its streams.

use rtes_engine::InstrumentConfig;

use super::book::Market;
use super::limits::{MarketDataLimits, MarketDataOptions};
use super::request::{self, reject_reason, Refusal, RequestKind};
use super::subscriptions::SessionState;
use super::writer::{msg_type, text_field, Outbox, Scratch};
use super::{lookup, publish};
use crate::fix::codec::{tags, Message};

/// Checks and answers a MarketDataRequest of `session`.
pub(crate) fn handle(
    context: &mut RequestContext<'_>,
    state: &mut SessionState,
    session: usize,
    message: &Message<'_>,
    outbox: &mut Outbox<'_, '_>,
) {
    let parsed = match request::parse(message, context.limits.max_depth)
        .and_then(|parsed| context.check_state(state, message, parsed))
    {
        Ok(parsed) => parsed,
        Err(refusal) => {
            return reject(context.scratch, outbox, session, message, &refusal);
        }
    };
    match parsed.kind {
        RequestKind::Unsubscribe => {
            let slot = state.find_request(parsed.id).expect("checked");
            state.remove_request(slot);
        }
        RequestKind::Snapshot => {
            for position in 0..context.named.len() {
                let instrument = context.named[position];
                context.send_snapshot(outbox, session, &parsed, instrument);
            }
        }
        RequestKind::Subscribe => {
            let deferred = context.batch_open;
            let slot = state.add_request(&parsed, context.named, deferred);
            *context.wake |= deferred;
            if !deferred {
                publish::send_new_snapshots(context.publisher(outbox), session, state, slot);
            }
        }
    }
}

/// What handling a MarketDataRequest borrows from the hub.
pub(crate) struct RequestContext<'a> {
    pub market: &'a Market,
    pub instruments: &'a [InstrumentConfig],
    pub by_symbol: &'a [u32],
    pub options: &'a MarketDataOptions,
    pub limits: &'a MarketDataLimits,
    pub scratch: &'a mut Scratch,
    pub named: &'a mut Vec<u32>,
    pub named_bits: &'a mut Vec<u64>,
    pub batch_open: bool,
    pub wake: &'a mut bool,
}

impl RequestContext<'_> {
    /// The checks that need the session: unsubscribe target, symbols,
    /// duplicate MDReqID, subscription capacity (in that order).
    fn check_state<'m>(
        &mut self,
        state: &SessionState,
        message: &Message<'m>,
        parsed: request::ParsedRequest<'m>,
    ) -> Result<request::ParsedRequest<'m>, Refusal<'m>> {
        if parsed.kind == RequestKind::Unsubscribe {
            state.find_request(parsed.id).ok_or(Refusal::new(
                None,
                "no active subscription has this MDReqID (262)",
            ))?;
            return Ok(parsed);
        }
        self.name_instruments(message)?;
        if state.find_request(parsed.id).is_some() {
            return Err(Refusal::new(
                Some(reject_reason::DUPLICATE_MD_REQ_ID),
                "MDReqID (262) is already used by an active subscription",
            ));
        }
        let capacity = self.limits.max_subscriptions_per_session;
        if parsed.kind == RequestKind::Subscribe
            && state.active_streams() + self.named.len() > capacity
        {
            return Err(Refusal::new(
                Some(reject_reason::INSUFFICIENT_BANDWIDTH),
                "too many subscriptions: the session's symbol subscriptions would exceed max_subscriptions_per_session",
            ));
        }
        Ok(parsed)
    }

    /// Fills `named` with the request's instruments, each once, in request order.
    fn name_instruments<'m>(&mut self, message: &Message<'m>) -> Result<(), Refusal<'m>> {
        self.named.clear();
        self.named_bits.fill(0);
        let find = lookup(self.instruments, self.by_symbol);
        for field in message.fields().iter().filter(|f| f.tag == tags::SYMBOL) {
            let symbol = message.value(field);
            let instrument = find(symbol).ok_or(Refusal {
                reason: Some(reject_reason::UNKNOWN_SYMBOL),
                text: "unknown symbol ",
                detail: symbol,
            })?;
            let (word, bit) = (instrument as usize / 64, 1u64 << (instrument % 64));
            if self.named_bits[word] & bit == 0 {
                self.named_bits[word] |= bit;
                self.named.push(instrument);
            }
        }
        if self.named.is_empty() {
            return Err(Refusal::new(
                Some(reject_reason::UNKNOWN_SYMBOL),
                "NoRelatedSym (146) must list at least one Symbol (55)",
            ));
        }
        Ok(())
    }

    fn publisher<'s, 'o, 'e, 'f>(
        &'s mut self,
        outbox: &'o mut Outbox<'e, 'f>,
    ) -> publish::Publisher<'s, 'o, 'e, 'f> {
        publish::Publisher {
            market: self.market,
            instruments: self.instruments,
            options: self.options,
            scratch: self.scratch,
            outbox,
        }
    }

    fn send_snapshot(
        &mut self,
        outbox: &mut Outbox<'_, '_>,
        session: usize,
        parsed: &request::ParsedRequest<'_>,
        instrument: u32,
    ) {
        let info = &self.instruments[instrument as usize];
        let body = self.scratch.snapshot(
            parsed.id,
            info,
            &self.market.books[instrument as usize],
            (parsed.types, parsed.depth),
            self.options.extension_fields,
            None,
        );
        outbox.metrics.snapshots_sent += 1;
        outbox.send(session, msg_type::SNAPSHOT, body);
    }
}

/// MarketDataRequestReject (Y).
fn reject(
    scratch: &mut Scratch,
    outbox: &mut Outbox<'_, '_>,
    session: usize,
    message: &Message<'_>,
    refusal: &Refusal<'_>,
) {
    let mut fields = scratch.start_body();
    fields.bytes(tags::MD_REQ_ID, request::echo_id(message));
    if let Some(reason) = refusal.reason {
        fields.char(tags::MD_REQ_REJ_REASON, reason);
    }
    text_field(
        &mut scratch.body,
        tags::TEXT,
        refusal.text.as_bytes(),
        refusal.detail,
    );
    outbox.metrics.request_rejects += 1;
    outbox.send(session, msg_type::REQUEST_REJECT, &scratch.body);
}
