//! Per-session state: the session's market-data requests, one stream per
//! (request, symbol), what each stream's client last saw (for limited
//! depth), what it is owed, and the session's flow-control flags. Every
//! table is a fixed set of slots allocated at construction.

use super::book::PriceLevel;
use super::limits::{MarketDataLimits, MD_REQ_ID_MAX};
use super::pending::PendingTable;
use super::request::{EntryTypes, ParsedRequest};

/// One active MarketDataRequest (263=1) of a session.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub active: bool,
    id: [u8; MD_REQ_ID_MAX],
    id_len: usize,
    pub types: EntryTypes,
    /// 0 = full book.
    pub depth: usize,
    pub full_refresh: bool,
}

impl Request {
    /// MDReqID (262).
    pub fn id(&self) -> &[u8] {
        &self.id[..self.id_len]
    }
}

/// One symbol of one request.
#[derive(Debug, Clone)]
pub(crate) struct Stream {
    pub active: bool,
    /// Bumped each time the slot is reused, so owed entries of a previous
    /// occupant are recognised and ignored.
    pub generation: u32,
    /// Request slot.
    pub request: usize,
    pub instrument: u32,
    /// Subscribed during an engine batch: its snapshot goes out at the end
    /// of the batch so it reflects exactly the state later updates start from.
    pub awaiting_snapshot: bool,
    /// A subscribed side changed since the last send (limited depth and
    /// full refresh streams compare against `mirror` when sending).
    pub levels_changed: bool,
    /// A trade happened since the last send (full refresh streams).
    pub traded: bool,
    /// Bids and offers as the client last saw them (limited depth only).
    pub mirror: [Vec<PriceLevel>; 2],
}

/// Everything the hub keeps for one session.
#[derive(Debug)]
pub(crate) struct SessionState {
    /// Logged on (the acceptor said so, or the session sent a request).
    pub logged_on: bool,
    /// Receives unsolicited TradingSessionStatus (h); a g with 263=2 stops it.
    pub status_updates: bool,
    /// Output over the acceptor's threshold: changes are owed, not sent.
    pub backlogged: bool,
    /// Backlog just cleared: the next send is a catch-up.
    pub recovering: bool,
    /// `pending` overflowed: every stream gets a snapshot instead.
    pub overflowed: bool,
    /// Something is owed.
    pub flush_due: bool,
    pub requests: Vec<Request>,
    pub streams: Vec<Stream>,
    pub pending: PendingTable,
    /// One bit per instrument whose trading state changed since the last send.
    pub states_owed: Vec<u64>,
}

impl SessionState {
    pub fn new(limits: &MarketDataLimits, instruments: usize) -> SessionState {
        let slots = limits.max_subscriptions_per_session;
        let request = Request {
            active: false,
            id: [0; MD_REQ_ID_MAX],
            id_len: 0,
            types: EntryTypes::default(),
            depth: 0,
            full_refresh: false,
        };
        let stream = || Stream {
            active: false,
            generation: 0,
            request: 0,
            instrument: 0,
            awaiting_snapshot: false,
            levels_changed: false,
            traded: false,
            mirror: [
                Vec::with_capacity(limits.max_depth),
                Vec::with_capacity(limits.max_depth),
            ],
        };
        SessionState {
            logged_on: false,
            status_updates: true,
            backlogged: false,
            recovering: false,
            overflowed: false,
            flush_due: false,
            requests: vec![request; slots],
            streams: (0..slots).map(|_| stream()).collect(),
            pending: PendingTable::new(limits.max_pending_updates_per_session),
            states_owed: vec![0; instruments.div_ceil(64)],
        }
    }

    /// The active request with MDReqID `id`.
    pub fn find_request(&self, id: &[u8]) -> Option<usize> {
        self.requests
            .iter()
            .position(|request| request.active && request.id() == id)
    }

    /// Streams in use.
    pub fn active_streams(&self) -> usize {
        self.streams.iter().filter(|stream| stream.active).count()
    }

    /// Adds a request with one stream per instrument; the caller has checked
    /// that enough stream slots are free. Returns the request slot.
    pub fn add_request(
        &mut self,
        parsed: &ParsedRequest<'_>,
        instruments: &[u32],
        awaiting_snapshot: bool,
    ) -> usize {
        let slot = self
            .requests
            .iter()
            .position(|request| !request.active)
            .expect("a request has a stream, and stream slots were checked");
        let request = &mut self.requests[slot];
        request.active = true;
        request.id[..parsed.id.len()].copy_from_slice(parsed.id);
        request.id_len = parsed.id.len();
        request.types = parsed.types;
        request.depth = parsed.depth;
        request.full_refresh = parsed.full_refresh;
        for &instrument in instruments {
            let stream = self
                .streams
                .iter_mut()
                .find(|stream| !stream.active)
                .expect("stream slots were checked");
            stream.active = true;
            stream.generation = stream.generation.wrapping_add(1);
            stream.request = slot;
            stream.instrument = instrument;
            stream.awaiting_snapshot = awaiting_snapshot;
            stream.levels_changed = false;
            stream.traded = false;
            stream.mirror[0].clear();
            stream.mirror[1].clear();
        }
        slot
    }

    /// Ends a request and its streams (their owed entries become stale).
    pub fn remove_request(&mut self, slot: usize) {
        self.requests[slot].active = false;
        for stream in &mut self.streams {
            if stream.active && stream.request == slot {
                stream.active = false;
            }
        }
    }

    /// The session is gone: forget everything it had.
    pub fn close(&mut self) {
        for slot in 0..self.requests.len() {
            if self.requests[slot].active {
                self.remove_request(slot);
            }
        }
        self.pending.clear();
        self.states_owed.fill(0);
        self.logged_on = false;
        self.status_updates = true;
        self.backlogged = false;
        self.recovering = false;
        self.overflowed = false;
        self.flush_due = false;
    }

    /// Notes that an instrument's trading state is owed.
    pub fn owe_state(&mut self, instrument: u32) {
        self.states_owed[instrument as usize / 64] |= 1 << (instrument % 64);
        self.flush_due = true;
    }
}
