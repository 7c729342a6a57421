//! Small deterministic command sets for the criterion micro-benches. Each
//! returns [`FlowCommand`]s; [`crate::rtes::to_commands`] translates them.

use rtes_engine::Side;

use crate::flow::{FlowCommand, FlowOrderId};
use crate::rng::SplitMix64;
use crate::workload::{LOT, REFERENCE_PRICE};

/// A two-sided book of `levels` levels per side with `per_level` orders
/// each, bids from `REFERENCE_PRICE - 1` down, asks from `+ 1` up; ids from
/// `first_id`.
pub fn two_sided_book(levels: i64, per_level: u64, first_id: FlowOrderId) -> Vec<FlowCommand> {
    let mut commands = Vec::new();
    let mut id = first_id;
    for depth in 0..levels {
        for _ in 0..per_level {
            for (side, price) in [
                (Side::Buy, REFERENCE_PRICE - 1 - depth),
                (Side::Sell, REFERENCE_PRICE + 1 + depth),
            ] {
                commands.push(FlowCommand::New {
                    id,
                    side,
                    price,
                    qty: LOT,
                });
                id += 1;
            }
        }
    }
    commands
}

/// `count` non-marketable orders on random sides within `levels` ticks of
/// the touch of [`two_sided_book`]; ids from `first_id`.
pub fn passive_adds(
    count: usize,
    levels: i64,
    first_id: FlowOrderId,
    seed: u64,
) -> Vec<FlowCommand> {
    let mut rng = SplitMix64::new(seed);
    (0..count as u64)
        .map(|index| {
            let depth = rng.below(levels as u64) as i64;
            let (side, price) = if rng.below(2) == 0 {
                (Side::Buy, REFERENCE_PRICE - 1 - depth)
            } else {
                (Side::Sell, REFERENCE_PRICE + 1 + depth)
            };
            FlowCommand::New {
                id: first_id + index,
                side,
                price,
                qty: LOT * (1 + rng.below(10)),
            }
        })
        .collect()
}

/// Cancels of every `New` in `adds`, in a shuffled order.
pub fn cancels_of(adds: &[FlowCommand], seed: u64) -> Vec<FlowCommand> {
    let mut ids: Vec<FlowOrderId> = adds
        .iter()
        .filter_map(|command| match command {
            FlowCommand::New { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    let mut rng = SplitMix64::new(seed);
    for index in (1..ids.len()).rev() {
        ids.swap(index, rng.below(index as u64 + 1) as usize);
    }
    ids.into_iter()
        .map(|id| FlowCommand::Cancel { id })
        .collect()
}

/// Asks on `levels` consecutive levels above the reference with
/// `per_level` one-lot orders each (ids from `first_id`), and the IOC buy
/// (id after them) that takes all of them.
pub fn sweep(
    levels: i64,
    per_level: u64,
    first_id: FlowOrderId,
) -> (Vec<FlowCommand>, FlowCommand) {
    let mut setup = Vec::new();
    let mut id = first_id;
    for depth in 0..levels {
        for _ in 0..per_level {
            setup.push(FlowCommand::New {
                id,
                side: Side::Sell,
                price: REFERENCE_PRICE + 1 + depth,
                qty: LOT,
            });
            id += 1;
        }
    }
    let ioc = FlowCommand::Ioc {
        id,
        side: Side::Buy,
        price: REFERENCE_PRICE + levels,
        qty: LOT * levels as u64 * per_level,
    };
    (setup, ioc)
}
