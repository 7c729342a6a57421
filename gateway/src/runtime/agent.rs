//! The unit of work of every thread: an [`Agent`].

use super::latency::AgentStats;
use std::time::Duration;

/// One stage's loop body (Agrona's `Agent`): the runner calls
/// [`Agent::do_work`] again and again and idles when it returns 0.
///
/// Agents never sleep or spin themselves; waiting is the runner's idle
/// strategy, so the same agent runs on its own core or shares a thread.
pub trait Agent {
    /// Name for logs and thread names.
    fn name(&self) -> &str;

    /// Does a bounded amount of work; returns how much (0 = nothing to do).
    fn do_work(&mut self) -> usize;

    /// Called once on the agent's thread after the last `do_work`.
    fn on_close(&mut self) {}

    /// The longest the thread may park before this agent must run again
    /// (its nearest timer: heartbeat, feed flush); `None` = no deadline.
    fn park_hint(&self) -> Option<Duration> {
        None
    }

    /// Blocks up to `timeout` waiting for this agent's own input (e.g. a
    /// gateway in `mio::Poll::poll`), returning true if it did. Returning
    /// false (the default) makes the runner park the thread instead. In
    /// shared mode this is how the one thread sleeps in the poll, as
    /// design §8 recommends.
    fn park(&mut self, timeout: Duration) -> bool {
        let _ = timeout;
        false
    }

    /// False while the agent holds output that waits for room downstream;
    /// after stop the runner keeps calling `do_work` (bounded) until it is
    /// true, so a shutdown does not strand staged events.
    fn is_drained(&self) -> bool {
        true
    }

    /// A descriptor that is readable while this agent has I/O work (its
    /// epoll instance). In shared mode the thread sleeps on all agents'
    /// descriptors at once ([`super::wait_set::WaitSet`]).
    fn wait_fd(&self) -> Option<std::os::fd::RawFd> {
        None
    }

    /// Latency histograms and counters, taken once after `on_close`.
    fn stats(&mut self) -> Vec<AgentStats> {
        Vec::new()
    }
}

impl<A: Agent + ?Sized> Agent for Box<A> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn do_work(&mut self) -> usize {
        (**self).do_work()
    }
    fn on_close(&mut self) {
        (**self).on_close()
    }
    fn park_hint(&self) -> Option<Duration> {
        (**self).park_hint()
    }
    fn park(&mut self, timeout: Duration) -> bool {
        (**self).park(timeout)
    }
    fn is_drained(&self) -> bool {
        (**self).is_drained()
    }
    fn wait_fd(&self) -> Option<std::os::fd::RawFd> {
        (**self).wait_fd()
    }
    fn stats(&mut self) -> Vec<AgentStats> {
        (**self).stats()
    }
}

/// Several agents run in turn on one thread (shared threading mode).
///
/// ```
/// use rtes_gateway::runtime::{Agent, CompositeAgent};
/// struct Counter(usize);
/// impl Agent for Counter {
///     fn name(&self) -> &str { "counter" }
///     fn do_work(&mut self) -> usize { self.0 += 1; 1 }
/// }
/// let mut shared = CompositeAgent::new("shared", vec![Box::new(Counter(0)), Box::new(Counter(0))]);
/// assert_eq!(shared.do_work(), 2);
/// ```
pub struct CompositeAgent {
    name: String,
    agents: Vec<Box<dyn Agent + Send>>,
    /// Set when two or more agents can block on a descriptor: parking then
    /// waits on all of them (built on the first park).
    wait_set: Option<super::wait_set::WaitSet>,
    wait_set_checked: bool,
}

impl CompositeAgent {
    /// Runs `agents` in the given order (pipeline order: gateway, engine, feed).
    pub fn new(name: impl Into<String>, agents: Vec<Box<dyn Agent + Send>>) -> CompositeAgent {
        CompositeAgent {
            name: name.into(),
            agents,
            wait_set: None,
            wait_set_checked: false,
        }
    }

    /// The agents, for inspection after the thread ended.
    pub fn agents_mut(&mut self) -> &mut [Box<dyn Agent + Send>] {
        &mut self.agents
    }
}

impl Agent for CompositeAgent {
    fn name(&self) -> &str {
        &self.name
    }

    fn do_work(&mut self) -> usize {
        self.agents.iter_mut().map(|agent| agent.do_work()).sum()
    }

    fn on_close(&mut self) {
        for agent in &mut self.agents {
            agent.on_close();
        }
    }

    fn park_hint(&self) -> Option<Duration> {
        self.agents
            .iter()
            .filter_map(|agent| agent.park_hint())
            .min()
    }

    /// The first agent able to block does so (with the nearest deadline of
    /// all agents already applied by the idler).
    fn park(&mut self, timeout: Duration) -> bool {
        if !self.wait_set_checked {
            self.wait_set_checked = true;
            let fds: Vec<_> = self
                .agents
                .iter()
                .filter_map(|agent| agent.wait_fd())
                .collect();
            if fds.len() > 1 {
                match super::wait_set::WaitSet::new(&fds) {
                    Ok(set) => self.wait_set = Some(set),
                    Err(error) => tracing::warn!(%error,
                        "cannot wait on several agents at once; parking in one agent's poll"),
                }
            }
        }
        if let Some(set) = &self.wait_set {
            set.wait(timeout);
            return true;
        }
        self.agents.iter_mut().any(|agent| agent.park(timeout))
    }

    fn is_drained(&self) -> bool {
        self.agents.iter().all(|agent| agent.is_drained())
    }

    fn stats(&mut self) -> Vec<AgentStats> {
        self.agents
            .iter_mut()
            .flat_map(|agent| agent.stats())
            .collect()
    }
}
