//! Plugs the OUCH gateway into the runtime as its [`Frontend`]: binds the
//! listener before any thread starts, then builds the gateway agent.

use std::time::Duration;

use super::{GatewayAgent, GatewayConfig, WireInstrument};
use crate::config::Settings;
use crate::runtime::latency::AgentStats;
use crate::runtime::server::{BoundPorts, Frontend, StageError};
use crate::runtime::{Agent, GatewayRings};

/// The SoupBinTCP/OUCH front end.
#[derive(Default)]
pub struct OuchFrontend {
    listener: Option<mio::net::TcpListener>,
    config: Option<GatewayConfig>,
}

/// SoupBinTCP session name announced at login: `RTES` + the UTC day number,
/// so a client can tell one trading day's session from the next.
fn session_name() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_secs() / 86_400)
        .unwrap_or(0);
    format!("RTES{:06}", days % 1_000_000)
}

/// Gateway settings from the validated configuration.
pub fn gateway_config(settings: &Settings) -> GatewayConfig {
    let ouch = &settings.ouch;
    let rate = ouch.throttle_msgs_per_sec;
    GatewayConfig {
        listen: ouch.listen,
        gateway_id: crate::runtime::GatewayId(0),
        session_name: session_name(),
        heartbeat_interval: ouch.heartbeat_interval,
        idle_timeout: ouch.idle_timeout,
        login_timeout: ouch.idle_timeout,
        max_frame_len: u16::try_from(ouch.max_frame_bytes).unwrap_or(u16::MAX),
        max_outbound_bytes: ouch.outbound_buffer_bytes,
        max_connections: 1024,
        throttle_per_second: rate,
        // A tenth of a second's worth of burst, at least a few messages.
        throttle_burst: (rate / 10).max(5),
        // Rejecting a full second's worth of excess within one heartbeat
        // interval is "sustained": the session is logged out.
        throttle_disconnect_after: rate,
        users: settings.credentials.iter().cloned().collect(),
        instruments: settings
            .engine
            .instruments
            .iter()
            .map(|instrument| WireInstrument {
                symbol: instrument.symbol.clone(),
                tick_size: instrument.tick_size,
            })
            .collect(),
    }
}

impl Frontend for OuchFrontend {
    type Agent = GatewayAgent;

    fn gateway_threads(&self, settings: &Settings) -> usize {
        if settings.runtime.gateway_threads > 1 {
            tracing::warn!(
                configured = settings.runtime.gateway_threads,
                "the OUCH gateway runs on one thread; runtime.gateway_threads above 1 is ignored"
            );
        }
        1
    }

    fn bind(&mut self, settings: &Settings, ports: &mut BoundPorts) -> Result<(), StageError> {
        let config = gateway_config(settings);
        let listener = mio::net::TcpListener::bind(config.listen)
            .map_err(|error| format!("ouch.listen: cannot listen on {}: {error}", config.listen))?;
        ports.add("ouch", listener.local_addr()?);
        self.listener = Some(listener);
        self.config = Some(config);
        Ok(())
    }

    fn gateway_agent(&mut self, rings: GatewayRings) -> Result<GatewayAgent, StageError> {
        let (Some(listener), Some(mut config)) = (self.listener.take(), self.config.take()) else {
            return Err("the OUCH listener was not bound".into());
        };
        config.gateway_id = rings.gateway_id;
        Ok(GatewayAgent::with_listener(
            config,
            listener,
            rings.commands,
            rings.reports,
        )?)
    }
}

/// How long the gateway may block in its poll before checking timers.
const TIMER_SLICE: Duration = Duration::from_millis(20);

impl Agent for GatewayAgent {
    fn name(&self) -> &str {
        "gateway"
    }

    fn do_work(&mut self) -> usize {
        self.run_once(Some(Duration::ZERO))
    }

    fn on_close(&mut self) {
        self.shutdown();
    }

    fn park_hint(&self) -> Option<Duration> {
        Some(TIMER_SLICE)
    }

    fn wait_fd(&self) -> Option<std::os::fd::RawFd> {
        Some(self.poll_fd())
    }

    /// Blocks in `epoll` until a socket is ready or the timeout: the thread
    /// sleeps exactly until there is network work.
    fn park(&mut self, timeout: Duration) -> bool {
        self.run_once(Some(timeout));
        true
    }

    fn stats(&mut self) -> Vec<AgentStats> {
        let stats = GatewayAgent::stats(self);
        vec![AgentStats {
            agent: "gateway".to_string(),
            latencies: vec![
                stats.read_to_queued.clone(),
                stats.read_to_write.clone(),
                stats.engine_to_write.clone(),
            ],
            counters: vec![
                ("messages_in", stats.messages_in),
                ("messages_out", stats.messages_out),
                ("slow_consumers", stats.slow_consumers),
                ("protocol_errors", stats.protocol_errors),
            ],
        }]
    }
}
