//! The order-entry front end `rtes` runs: the OUCH gateway on gateway
//! thread 0 and, when `[fix] enabled`, the FIX acceptor on thread 1, each
//! with its own pair of rings into the one engine.

use super::frontend::OuchFrontend;
use super::GatewayAgent;
use crate::config::Settings;
use crate::fix::acceptor::FixAcceptor;
use crate::fix::frontend::FixFrontend;
use crate::runtime::latency::AgentStats;
use crate::runtime::server::{BoundPorts, Frontend, StageError};
use crate::runtime::{Agent, GatewayRings};
use std::time::Duration;

/// OUCH plus optional FIX.
#[derive(Default)]
pub struct OrderEntryFrontend {
    ouch: OuchFrontend,
    fix: Option<FixFrontend>,
    built: usize,
}

/// One gateway thread's agent.
#[allow(clippy::large_enum_variant)]
pub enum GatewayThread {
    /// SoupBinTCP/OUCH.
    Ouch(GatewayAgent),
    /// FIX 4.4.
    Fix(FixAcceptor),
}

impl Frontend for OrderEntryFrontend {
    type Agent = GatewayThread;

    fn gateway_threads(&self, settings: &Settings) -> usize {
        self.ouch.gateway_threads(settings) + usize::from(settings.fix.enabled)
    }

    /// The FIX acceptor (gateway thread 1) serves market data itself.
    fn market_data_gateway(&self, settings: &Settings) -> Option<usize> {
        (settings.fix.enabled && settings.fix.market_data).then_some(1)
    }

    fn bind(&mut self, settings: &Settings, ports: &mut BoundPorts) -> Result<(), StageError> {
        self.ouch.bind(settings, ports)?;
        if settings.fix.enabled {
            let mut fix = FixFrontend::default();
            fix.bind(settings, ports)?;
            self.fix = Some(fix);
        }
        Ok(())
    }

    fn gateway_agent(&mut self, rings: GatewayRings) -> Result<GatewayThread, StageError> {
        self.built += 1;
        match (self.built, self.fix.as_mut()) {
            (1, _) => Ok(GatewayThread::Ouch(self.ouch.gateway_agent(rings)?)),
            (2, Some(fix)) => Ok(GatewayThread::Fix(fix.agent(rings)?)),
            _ => Err("more gateway threads than front ends".into()),
        }
    }
}

impl GatewayThread {
    fn agent(&self) -> &dyn Agent {
        match self {
            GatewayThread::Ouch(agent) => agent,
            GatewayThread::Fix(agent) => agent,
        }
    }

    fn agent_mut(&mut self) -> &mut dyn Agent {
        match self {
            GatewayThread::Ouch(agent) => agent,
            GatewayThread::Fix(agent) => agent,
        }
    }
}

impl Agent for GatewayThread {
    fn name(&self) -> &str {
        self.agent().name()
    }
    fn do_work(&mut self) -> usize {
        self.agent_mut().do_work()
    }
    fn on_close(&mut self) {
        self.agent_mut().on_close()
    }
    fn park_hint(&self) -> Option<Duration> {
        self.agent().park_hint()
    }
    fn park(&mut self, timeout: Duration) -> bool {
        self.agent_mut().park(timeout)
    }
    fn is_drained(&self) -> bool {
        self.agent().is_drained()
    }
    fn wait_fd(&self) -> Option<std::os::fd::RawFd> {
        self.agent().wait_fd()
    }
    fn stats(&mut self) -> Vec<AgentStats> {
        self.agent_mut().stats()
    }
}
