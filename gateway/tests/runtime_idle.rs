//! Idle strategies: the backoff goes spin → yield → park with doubling
//! parks, and work resets it. No timing is asserted.

use rtes_gateway::runtime::{Agent, BackoffParams, IdleAction, IdleStrategy, Idler};
use std::time::Duration;

fn backoff() -> IdleStrategy {
    IdleStrategy::Backoff(BackoffParams {
        spins: 3,
        yields: 2,
        min_park: Duration::from_micros(1),
        max_park: Duration::from_micros(4),
    })
}

fn micros(value: u64) -> Option<IdleAction> {
    Some(IdleAction::Park(Duration::from_micros(value)))
}

#[test]
fn backoff_progresses_spin_yield_park() {
    let mut idler = Idler::new(backoff());
    let actions: Vec<_> = (0..9).map(|_| idler.next_action(0)).collect();
    let spin = Some(IdleAction::Spin);
    let yield_now = Some(IdleAction::Yield);
    assert_eq!(
        actions,
        [
            spin,
            spin,
            spin,
            yield_now,
            yield_now,
            micros(1),
            micros(2),
            micros(4),
            micros(4)
        ]
    );
}

#[test]
fn work_resets_the_backoff() {
    let mut idler = Idler::new(backoff());
    for _ in 0..10 {
        idler.next_action(0);
    }
    assert_eq!(idler.next_action(5), None);
    assert_eq!(idler.next_action(0), Some(IdleAction::Spin));
    for _ in 0..4 {
        idler.next_action(0);
    }
    assert_eq!(
        idler.next_action(0),
        micros(1),
        "park restarts at the minimum"
    );
}

#[test]
fn busy_spin_and_yielding_never_park() {
    let mut spin = Idler::new(IdleStrategy::BusySpin);
    let mut yielding = Idler::new(IdleStrategy::Yielding);
    for _ in 0..1_000 {
        assert_eq!(spin.next_action(0), Some(IdleAction::Spin));
        assert_eq!(yielding.next_action(0), Some(IdleAction::Yield));
    }
}

#[test]
fn names_round_trip() {
    let params = BackoffParams::default();
    for name in IdleStrategy::NAMES {
        let strategy = IdleStrategy::from_name(name, params).unwrap();
        assert_eq!(strategy.name(), name);
    }
    assert_eq!(IdleStrategy::from_name("spin", params), None);
}

/// An agent that can block in its own poll and has a nearer deadline.
struct Pollable {
    hint: Duration,
    parked_for: Vec<Duration>,
}

impl Agent for Pollable {
    fn name(&self) -> &str {
        "pollable"
    }
    fn do_work(&mut self) -> usize {
        0
    }
    fn park_hint(&self) -> Option<Duration> {
        Some(self.hint)
    }
    fn park(&mut self, timeout: Duration) -> bool {
        self.parked_for.push(timeout);
        true
    }
}

#[test]
fn park_blocks_in_the_agent_capped_by_its_hint() {
    let strategy = IdleStrategy::Backoff(BackoffParams {
        spins: 0,
        yields: 0,
        min_park: Duration::from_millis(10),
        max_park: Duration::from_millis(10),
    });
    let mut idler = Idler::new(strategy);
    let mut agent = Pollable {
        hint: Duration::from_micros(5),
        parked_for: Vec::new(),
    };
    idler.idle(0, &mut agent);
    agent.hint = Duration::from_secs(1);
    idler.idle(0, &mut agent);
    assert_eq!(
        agent.parked_for,
        [Duration::from_micros(5), Duration::from_millis(10)]
    );
}
