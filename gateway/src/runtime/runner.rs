//! Runs an agent on its own thread until a stop flag is set.

use super::idle::{IdleStrategy, Idler};
use super::Agent;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

/// Most rounds of draining after stop: an agent whose input never runs dry
/// (a peer still producing) or whose output never drains (a peer that
/// stopped reading) cannot hold shutdown hostage.
const DRAIN_ROUNDS_MAX: usize = 1_000_000;

/// Why a runner could not start or ended badly.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The core id does not exist (or is not in this process's CPU set).
    #[error("{thread}: cannot pin to core {core}: available cores are {available:?}")]
    InvalidCore {
        /// Thread name.
        thread: String,
        /// Requested core.
        core: usize,
        /// Cores this process may use.
        available: Vec<usize>,
    },
    /// The operating system refused to pin the thread.
    #[error("{thread}: pinning to core {core} failed")]
    PinFailed {
        /// Thread name.
        thread: String,
        /// Requested core.
        core: usize,
    },
    /// The thread could not be spawned.
    #[error("{thread}: cannot spawn thread: {source}")]
    Spawn {
        /// Thread name.
        thread: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The agent panicked.
    #[error("{thread}: agent panicked")]
    Panicked {
        /// Thread name.
        thread: String,
    },
    /// The engine rejected its configuration.
    #[error("engine: {0}")]
    Engine(String),
    /// The network front end failed to bind or build its agents.
    #[error("front end: {0}")]
    Frontend(String),
}

/// Where and how a runner's thread runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerConfig {
    /// Thread name.
    pub name: String,
    /// What the thread does when idle.
    pub idle: IdleStrategy,
    /// Core to pin to, if any.
    pub core: Option<usize>,
}

/// Checks that `core` exists for this process, before any thread starts.
///
/// ```
/// use rtes_gateway::runtime::check_core;
/// assert!(check_core("engine", usize::MAX).is_err());
/// ```
pub fn check_core(thread: &str, core: usize) -> Result<core_affinity::CoreId, RuntimeError> {
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    cores
        .iter()
        .copied()
        .find(|id| id.id == core)
        .ok_or_else(|| RuntimeError::InvalidCore {
            thread: thread.to_string(),
            core,
            available: cores.iter().map(|id| id.id).collect(),
        })
}

/// A running agent thread. Dropping it without [`AgentRunner::stop_and_join`]
/// leaves the thread running until its stop flag is set.
pub struct AgentRunner<A> {
    name: String,
    stop: Arc<AtomicBool>,
    handle: JoinHandle<A>,
}

impl<A: Agent + Send + 'static> AgentRunner<A> {
    /// Starts `agent` on a new thread that loops until `stop` is set, then
    /// drains (calls `do_work` until it returns 0) and calls `on_close`.
    /// Returns only once the thread is running and pinned, so a bad core is
    /// an error here and no thread is left behind.
    pub fn start(
        config: RunnerConfig,
        agent: A,
        stop: Arc<AtomicBool>,
    ) -> Result<AgentRunner<A>, RuntimeError> {
        let core = config
            .core
            .map(|core| check_core(&config.name, core))
            .transpose()?;
        let (started_sender, started) = mpsc::sync_channel::<Result<(), RuntimeError>>(1);
        let thread_stop = Arc::clone(&stop);
        let name = config.name.clone();
        let handle = std::thread::Builder::new()
            .name(config.name.clone())
            .spawn(move || {
                let mut agent = agent;
                if let Some(core) = core {
                    if !core_affinity::set_for_current(core) {
                        let error = RuntimeError::PinFailed {
                            thread: name,
                            core: core.id,
                        };
                        let _ = started_sender.send(Err(error));
                        return agent;
                    }
                }
                let _ = started_sender.send(Ok(()));
                run_agent(&mut agent, config.idle, &thread_stop);
                agent
            })
            .map_err(|source| RuntimeError::Spawn {
                thread: config.name.clone(),
                source,
            })?;
        let runner = AgentRunner {
            name: config.name,
            stop,
            handle,
        };
        match started.recv() {
            Ok(Ok(())) => Ok(runner),
            Ok(Err(error)) => {
                let _ = runner.handle.join();
                Err(error)
            }
            Err(_) => Err(RuntimeError::Panicked {
                thread: runner.name,
            }),
        }
    }

    /// Thread name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True once the thread has ended (normally only after stop).
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Sets the stop flag, waits for the thread, and returns the agent.
    pub fn stop_and_join(self) -> Result<A, RuntimeError> {
        self.stop.store(true, Ordering::Release);
        self.handle.thread().unpark();
        self.handle
            .join()
            .map_err(|_| RuntimeError::Panicked { thread: self.name })
    }
}

/// The thread body: work, idle, repeat; then drain and close. Public so a
/// caller can run an agent on the current thread.
pub fn run_agent(agent: &mut dyn Agent, idle: IdleStrategy, stop: &AtomicBool) {
    let mut idler = Idler::new(idle);
    while !stop.load(Ordering::Acquire) {
        let work_count = agent.do_work();
        idler.idle(work_count, agent);
    }
    for _ in 0..DRAIN_ROUNDS_MAX {
        if agent.do_work() == 0 {
            if agent.is_drained() {
                break;
            }
            // Output waits for a downstream thread that is still running.
            std::thread::yield_now();
        }
    }
    agent.on_close();
}
