//! The ITCH 5.0 / MoldUDP64 market-data stage: plugs `rtes-mdfeed`'s
//! publisher into the runtime as its [`FeedStage`].
//!
//! [`ItchFeed::bind`] opens every socket before any thread starts (the
//! multicast sender, the MoldUDP64 re-request server and the SoupBinTCP
//! replay listener for late joiners) and records them in [`BoundPorts`] as
//! `feed_multicast`, `feed_rerequest` and `feed_replay`. [`FeedAgent`] then
//! drains the market ring into the publisher, answers re-requests and
//! streams replays, all non-blocking inside `do_work`.

mod agent;
mod drop;
mod replay;

pub use agent::{FeedAgent, REQUEST_COUNT_MAX};
pub use drop::PacketDropper;
pub use replay::{ReplayServer, REPLAY_SESSIONS_MAX, SNAPSHOT_SESSION, SNAPSHOT_SESSIONS_MAX};

use crate::config::{FeedSettings, Settings};
use crate::runtime::server::{BoundPorts, FeedStage, StageError};
use crate::runtime::MarketRecord;
use rtes_mdfeed::moldudp::SESSION_LEN;
use rtes_mdfeed::net::{multicast_sender, udp_bound};
use rtes_mdfeed::publisher::{InstrumentInfo, Publisher, PublisherConfig};
use rtrb::Consumer;
use std::net::{IpAddr, SocketAddr, SocketAddrV4, UdpSocket};

/// MoldUDP64 and replay session name: `RTES` + the UTC day number, as the
/// OUCH gateway names its SoupBinTCP session.
pub fn session_name() -> [u8; SESSION_LEN] {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_secs() / 86_400)
        .unwrap_or(0);
    let text = format!("RTES{:06}", days % 1_000_000);
    let mut out = [b' '; SESSION_LEN];
    out.copy_from_slice(&text.as_bytes()[..SESSION_LEN]);
    out
}

/// The feed's sockets, bound.
struct Sockets {
    multicast: UdpSocket,
    group: SocketAddrV4,
    rerequest: UdpSocket,
    replay: std::net::TcpListener,
}

/// The ITCH publisher as the runtime's market-data stage.
#[derive(Default)]
pub struct ItchFeed {
    sockets: Option<Sockets>,
    publisher: Option<Publisher>,
    settings: Option<FeedSettings>,
}

fn bind_sockets(feed: &FeedSettings) -> Result<Sockets, StageError> {
    let IpAddr::V4(interface) = feed.interface else {
        return Err("feed.interface: must be an IPv4 loopback address".into());
    };
    let SocketAddr::V4(group) = feed.multicast else {
        return Err("feed.multicast: must be an IPv4 group".into());
    };
    let (multicast, group) = multicast_sender(interface, group, feed.ttl)
        .map_err(|error| format!("feed.multicast: cannot open the sender for {group}: {error}"))?;
    let rerequest = udp_bound(feed.rerequest_listen).map_err(|error| {
        format!(
            "feed.rerequest_listen: cannot bind {}: {error}",
            feed.rerequest_listen
        )
    })?;
    let replay = std::net::TcpListener::bind(feed.replay_listen).map_err(|error| {
        format!(
            "feed.replay_listen: cannot listen on {}: {error}",
            feed.replay_listen
        )
    })?;
    replay.set_nonblocking(true)?;
    Ok(Sockets {
        multicast,
        group,
        rerequest,
        replay,
    })
}

impl FeedStage for ItchFeed {
    type Agent = FeedAgent;

    fn bind(&mut self, settings: &Settings, ports: &mut BoundPorts) -> Result<(), StageError> {
        let feed = &settings.feed;
        let sockets = bind_sockets(feed)?;
        ports.add("feed_multicast", SocketAddr::V4(sockets.group));
        ports.add("feed_rerequest", sockets.rerequest.local_addr()?);
        ports.add("feed_replay", sockets.replay.local_addr()?);
        let config = PublisherConfig {
            session: session_name(),
            payload_len_max: feed.mtu_bytes,
            history_bytes: feed.history_bytes,
            flush_interval_ns: feed.flush_interval.as_nanos() as u64,
            heartbeat_interval_ns: feed.heartbeat_interval.as_nanos() as u64,
            book_orders_max: settings.engine.max_resting_orders as usize,
        };
        let instruments = settings
            .engine
            .instruments
            .iter()
            .map(InstrumentInfo::from)
            .collect();
        self.publisher = Some(Publisher::new(config, instruments));
        self.sockets = Some(sockets);
        self.settings = Some(feed.clone());
        Ok(())
    }

    fn feed_agent(&mut self, market: Consumer<MarketRecord>) -> Result<FeedAgent, StageError> {
        let (Some(sockets), Some(publisher), Some(settings)) = (
            self.sockets.take(),
            self.publisher.take(),
            self.settings.take(),
        ) else {
            return Err("ItchFeed::feed_agent called before bind".into());
        };
        let dropper = PacketDropper::new(settings.drop_per_million, settings.drop_seed);
        let replay = ReplayServer::new(
            sockets.replay,
            publisher.session(),
            settings.heartbeat_interval,
        );
        let agent = FeedAgent::new(
            market,
            publisher,
            agent::Transport {
                multicast: sockets.multicast,
                group: SocketAddr::V4(sockets.group),
                rerequest: sockets.rerequest,
                dropper,
            },
            replay,
        )
        .map_err(|error| format!("feed: cannot create the socket poll: {error}"))?;
        Ok(agent)
    }
}
