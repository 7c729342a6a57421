//! Differential tests: long swarm-style random command streams go to both
//! the fast `rtes_engine::Engine` and the naive reference model; every
//! command's events must be identical (so a failure names the first
//! divergent command), the fast engine's invariants must hold after every
//! command, and the final books and trading states must be equal.
//!
//! `PROPTEST_CASES=n` runs more cases (default: `DEFAULT_CASES`).

mod support;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use rtes_engine::{Engine, InstrumentId, Side};
use support::reference::ReferenceEngine;
use support::stream::{case_strategy, Case, Generator, INSTRUMENTS};
use support::Recorder;

/// Cases per run when `PROPTEST_CASES` is not set; sized so the file runs
/// in well under a minute in the dev profile.
const DEFAULT_CASES: u32 = 24;

fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        // Shrinking long streams is slow; bound it so a failing CI run ends.
        max_shrink_time: 300_000,
        ..ProptestConfig::default()
    }
}

/// Feeds the case to both engines, comparing command by command.
fn run_case(case: &Case) -> Result<(), TestCaseError> {
    let config = case.setup.config();
    let mut engine = Engine::new(config.clone()).expect("generated configurations are valid");
    let mut reference = ReferenceEngine::new(config);
    let mut generator = Generator::new(&case.setup);
    let (mut fast_sink, mut reference_sink) = (Recorder::default(), Recorder::default());
    for (index, recipe) in case.recipes.iter().enumerate() {
        let command = generator.command(recipe, &reference);
        let fast_seq = engine.apply(&command, &mut fast_sink);
        engine.validate();
        let reference_seq = reference.apply(&command, &mut reference_sink);
        prop_assert_eq!(fast_seq, reference_seq);
        let (fast, expected) = (fast_sink.take(), reference_sink.take());
        prop_assert_eq!(
            &fast,
            &expected,
            "command #{} diverged: {:?}\nfast (left) vs reference (right)",
            index,
            command
        );
    }
    for instrument in (0..INSTRUMENTS).map(InstrumentId) {
        prop_assert_eq!(
            engine.trading_state(instrument),
            reference.trading_state(instrument)
        );
        for side in [Side::Buy, Side::Sell] {
            prop_assert_eq!(
                engine.resting_orders(instrument, side),
                reference.resting_orders(instrument, side),
                "book {:?} {:?}",
                instrument,
                side
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(DEFAULT_CASES))]

    /// Streams of a few hundred to 1,500 commands.
    #[test]
    fn fast_engine_matches_reference(case in case_strategy(200, 1_500)) {
        run_case(&case)?;
    }
}

proptest! {
    #![proptest_config(config(2))]

    /// A few long streams: deep books, many state cycles.
    #[test]
    fn fast_engine_matches_reference_long(case in case_strategy(3_000, 4_000)) {
        run_case(&case)?;
    }
}
