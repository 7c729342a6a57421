//! Plugs the FIX acceptor into the runtime: binds its listener before any
//! thread starts and builds its agent.

use std::time::Duration;

use super::acceptor::{AcceptorConfig, FixAcceptor};
use crate::config::Settings;
use crate::runtime::latency::AgentStats;
use crate::runtime::server::{BoundPorts, StageError};
use crate::runtime::{Agent, GatewayRings};
use crate::server::WireInstrument;

/// How long the acceptor may block in its poll before checking timers.
const TIMER_SLICE: Duration = Duration::from_millis(10);

/// Binds the FIX listener; later builds the acceptor around its rings.
#[derive(Default)]
pub struct FixFrontend {
    listener: Option<mio::net::TcpListener>,
    config: Option<AcceptorConfig>,
}

impl FixFrontend {
    /// Binds `fix.listen`, recording it as `"fix"` in `ports`.
    pub fn bind(&mut self, settings: &Settings, ports: &mut BoundPorts) -> Result<(), StageError> {
        let listen = settings.fix.listen;
        let listener = mio::net::TcpListener::bind(listen)
            .map_err(|error| format!("fix.listen: cannot listen on {listen}: {error}"))?;
        ports.add("fix", listener.local_addr()?);
        self.listener = Some(listener);
        self.config = Some(AcceptorConfig {
            fix: settings.fix.clone(),
            gateway_id: crate::runtime::GatewayId(0),
            instruments: settings
                .engine
                .instruments
                .iter()
                .map(|instrument| WireInstrument {
                    symbol: instrument.symbol.clone(),
                    tick_size: instrument.tick_size,
                })
                .collect(),
            account_names: settings
                .engine
                .accounts
                .iter()
                .map(|account| account.name.clone())
                .collect(),
            credentials: settings.credentials.clone(),
        });
        Ok(())
    }

    /// The acceptor for gateway thread `rings.gateway_id`.
    pub fn agent(&mut self, rings: GatewayRings) -> Result<FixAcceptor, StageError> {
        let (Some(listener), Some(mut config)) = (self.listener.take(), self.config.take()) else {
            return Err("the FIX listener was not bound".into());
        };
        config.gateway_id = rings.gateway_id;
        Ok(FixAcceptor::new(
            config,
            listener,
            rings.commands,
            rings.reports,
        )?)
    }
}

impl Agent for FixAcceptor {
    fn name(&self) -> &str {
        "fix"
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

    fn park(&mut self, timeout: Duration) -> bool {
        self.run_once(Some(timeout));
        true
    }

    fn wait_fd(&self) -> Option<std::os::fd::RawFd> {
        Some(self.poll_fd())
    }

    fn stats(&mut self) -> Vec<AgentStats> {
        let stats = FixAcceptor::stats(self);
        vec![AgentStats {
            agent: "fix".to_string(),
            latencies: vec![stats.read_to_queued.clone(), stats.engine_to_queued.clone()],
            counters: vec![
                ("messages_in", stats.messages_in),
                ("messages_out", stats.messages_out),
                ("slow_consumers", stats.slow_consumers),
                ("logons_refused", stats.logons_refused),
            ],
        }]
    }
}
