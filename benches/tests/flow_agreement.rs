//! The generated flow is valid for RTES (nothing refused) and RTES agrees
//! with the shadow book on every fill and on the final book.

use rtes_benches::flow::FlowMix;
use rtes_benches::{rtes, shadow, workload};

#[test]
fn rtes_agrees_with_the_shadow_book_on_the_mixed_flow() {
    let flow = workload::generate(&workload::FlowSpec::exchange_core_like(200_000));
    let mix = FlowMix::of(&flow.commands);
    println!(
        "{mix:?} live at end {} ioc levels swept {}",
        flow.live_orders_end, flow.ioc_levels_swept
    );
    let (expected, book) = shadow::replay(&flow.warmup, &flow.commands, true);
    assert_eq!(book.unknown_orders, 0);
    assert_eq!(book.ioc_unfilled_qty, 0, "IOCs are capped to what fills");
    let warmup = rtes::to_commands(&flow.warmup, 1);
    let commands = rtes::to_commands(&flow.commands, 1 + warmup.len() as u64);
    let (actual, refusals) = rtes::run_recorded(&warmup, &commands);
    assert!(
        refusals.is_empty(),
        "refused: {:?}",
        &refusals[..refusals.len().min(5)]
    );
    assert_eq!(expected.first_fill_difference(&actual), None);
    assert!(expected.compare(&actual).all());
    println!("fills {} volume {}", actual.fills.len(), actual.volume());
}
