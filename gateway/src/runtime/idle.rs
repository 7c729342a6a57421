//! Idle strategies: what a thread does when its agents found no work.
//!
//! Agrona style: `BusySpin` owns a core for the lowest wake-up latency,
//! `Yielding` gives the core to other runnable threads, `Backoff` spins, then
//! yields, then parks with doubling sleeps so an idle exchange costs almost
//! no CPU. Which one a thread uses is configuration, never code.

use super::agent::Agent;
use std::time::Duration;

/// Parameters of [`IdleStrategy::Backoff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffParams {
    /// Idle rounds spent spinning before yielding.
    pub spins: u32,
    /// Idle rounds spent yielding before parking.
    pub yields: u32,
    /// First park duration.
    pub min_park: Duration,
    /// Longest park duration (parks double up to it).
    pub max_park: Duration,
}

impl Default for BackoffParams {
    fn default() -> Self {
        BackoffParams {
            spins: 100,
            yields: 10,
            min_park: Duration::from_micros(1),
            max_park: Duration::from_millis(1),
        }
    }
}

/// How a thread waits when it has no work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleStrategy {
    /// Spin on the CPU (`spin_loop` hint); lowest latency, burns a core.
    BusySpin,
    /// `thread::yield_now` every idle round.
    Yielding,
    /// Spin, then yield, then park with growing sleeps.
    Backoff(BackoffParams),
}

impl IdleStrategy {
    /// The names accepted in configuration and on the command line.
    pub const NAMES: [&'static str; 3] = ["busy-spin", "yielding", "backoff"];

    /// Parses `busy-spin`, `yielding` or `backoff` (the latter with `params`).
    ///
    /// ```
    /// use rtes_gateway::runtime::{BackoffParams, IdleStrategy};
    /// assert_eq!(IdleStrategy::from_name("busy-spin", BackoffParams::default()), Some(IdleStrategy::BusySpin));
    /// assert_eq!(IdleStrategy::from_name("sleepy", BackoffParams::default()), None);
    /// ```
    pub fn from_name(name: &str, params: BackoffParams) -> Option<IdleStrategy> {
        match name {
            "busy-spin" => Some(IdleStrategy::BusySpin),
            "yielding" => Some(IdleStrategy::Yielding),
            "backoff" => Some(IdleStrategy::Backoff(params)),
            _ => None,
        }
    }

    /// The configuration name of this strategy.
    pub fn name(&self) -> &'static str {
        match self {
            IdleStrategy::BusySpin => "busy-spin",
            IdleStrategy::Yielding => "yielding",
            IdleStrategy::Backoff(_) => "backoff",
        }
    }
}

/// One step an idler takes after an idle round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleAction {
    /// CPU spin hint.
    Spin,
    /// Yield the time slice.
    Yield,
    /// Sleep (or block in the agent's own poll) for at most this long.
    Park(Duration),
}

/// The state of one thread's idle strategy.
///
/// ```
/// use rtes_gateway::runtime::{IdleAction, IdleStrategy, Idler};
/// let mut idler = Idler::new(IdleStrategy::Yielding);
/// assert_eq!(idler.next_action(0), Some(IdleAction::Yield));
/// assert_eq!(idler.next_action(3), None); // work was done: no waiting
/// ```
#[derive(Debug, Clone)]
pub struct Idler {
    strategy: IdleStrategy,
    idle_rounds: u64,
    park: Duration,
}

impl Idler {
    /// A fresh idler.
    pub fn new(strategy: IdleStrategy) -> Idler {
        let park = match strategy {
            IdleStrategy::Backoff(params) => params.min_park,
            _ => Duration::ZERO,
        };
        Idler {
            strategy,
            idle_rounds: 0,
            park,
        }
    }

    /// The strategy.
    pub fn strategy(&self) -> IdleStrategy {
        self.strategy
    }

    /// What to do after a round that did `work_count` units of work: `None`
    /// when there was work (and the backoff starts over), else the next step.
    pub fn next_action(&mut self, work_count: usize) -> Option<IdleAction> {
        if work_count > 0 {
            self.reset();
            return None;
        }
        let action = match self.strategy {
            IdleStrategy::BusySpin => IdleAction::Spin,
            IdleStrategy::Yielding => IdleAction::Yield,
            IdleStrategy::Backoff(params) => self.backoff_action(params),
        };
        self.idle_rounds = self.idle_rounds.saturating_add(1);
        Some(action)
    }

    /// Performs the next step for `agent`. A park first asks the agent to
    /// block in its own poll ([`Agent::park`]), capped by its
    /// [`Agent::park_hint`]; if it cannot, the thread parks itself.
    pub fn idle(&mut self, work_count: usize, agent: &mut dyn Agent) {
        match self.next_action(work_count) {
            None => {}
            Some(IdleAction::Spin) => std::hint::spin_loop(),
            Some(IdleAction::Yield) => std::thread::yield_now(),
            Some(IdleAction::Park(duration)) => {
                let timeout = agent
                    .park_hint()
                    .map_or(duration, |hint| hint.min(duration));
                if !agent.park(timeout) {
                    // park_timeout, not sleep: a stop request can unpark us.
                    std::thread::park_timeout(timeout);
                }
            }
        }
    }

    fn backoff_action(&mut self, params: BackoffParams) -> IdleAction {
        let spins = u64::from(params.spins);
        let yields = u64::from(params.yields);
        if self.idle_rounds < spins {
            return IdleAction::Spin;
        }
        if self.idle_rounds < spins + yields {
            return IdleAction::Yield;
        }
        let park = self.park;
        self.park = (self.park * 2).min(params.max_park);
        IdleAction::Park(park)
    }

    fn reset(&mut self) {
        self.idle_rounds = 0;
        if let IdleStrategy::Backoff(params) = self.strategy {
            self.park = params.min_park;
        }
    }
}
