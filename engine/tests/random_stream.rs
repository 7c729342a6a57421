//! A long random mixed stream with `validate()` after every command, plus
//! replay determinism (same commands → same events and state hash) and
//! basic accounting checks on the events themselves.

use rtes_engine::*;

mod random;
use random::*;

/// Folds every event into a hash and checks per-command numbering.
#[derive(Default)]
struct DigestSink {
    digest: u64,
    events: u64,
    seq: u64,
    fills: u64,
}

impl DigestSink {
    fn mix(&mut self, text: String) {
        for byte in text.bytes() {
            self.digest = (self.digest ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.events += 1;
    }
}

impl EventSink for DigestSink {
    fn report(&mut self, report: &Report) {
        assert_eq!(report.seq.0, self.seq, "report seq");
        if let ReportKind::Executed {
            liquidity: Liquidity::Removed,
            ..
        } = report.kind
        {
            self.fills += 1;
        }
        self.mix(format!("{report:?}"));
    }
    fn market(&mut self, event: &MarketEvent) {
        assert_eq!(event.seq.0, self.seq, "market seq");
        self.mix(format!("{event:?}"));
    }
}

fn config() -> EngineConfig {
    config_with(4_000)
}

fn run(seed: u64, commands: usize, validate_every: usize) -> (u64, u64, DigestSink) {
    run_with(config(), seed, commands, validate_every)
}

fn run_with(
    config: EngineConfig,
    seed: u64,
    commands: usize,
    validate_every: usize,
) -> (u64, u64, DigestSink) {
    let mut rng = Rng(seed);
    let mut engine = Engine::new(config).expect("valid config");
    let mut sink = DigestSink::default();
    let mut most_resting = 0;
    for i in 0..commands {
        let command = random_command(&mut rng, i as u64);
        sink.seq = i as u64 + 1;
        assert_eq!(engine.apply(&command, &mut sink).0, i as u64 + 1);
        if i % validate_every == 0 {
            engine.validate();
        }
        most_resting = most_resting.max(u64::from(engine.resting_order_count()));
    }
    engine.validate();
    (engine.state_hash(), most_resting, sink)
}

#[test]
fn random_stream_keeps_every_invariant() {
    for seed in [1u64, 0x9e37_79b9_7f4a_7c15, 42] {
        let (_, resting, sink) = run(seed, 20_000, 1);
        assert!(
            resting > 200,
            "seed {seed}: books populated ({resting} at most)"
        );
        assert!(
            sink.fills > 1_000,
            "seed {seed}: the stream trades ({} fills)",
            sink.fills
        );
    }
}

#[test]
fn replay_is_deterministic() {
    let (hash_a, _, sink_a) = run(7, 100_000, 10_000);
    let (hash_b, _, sink_b) = run(7, 100_000, 10_000);
    assert_eq!(hash_a, hash_b);
    assert_eq!(
        (sink_a.digest, sink_a.events),
        (sink_b.digest, sink_b.events)
    );
    let (hash_c, _, _) = run(8, 100_000, 10_000);
    assert_ne!(hash_a, hash_c);
}

/// Rebuilds the displayed book from market events alone, as a feed
/// subscriber would, and checks the execution reports pair up.
#[derive(Default)]
struct FeedShadow {
    /// `order_ref → (instrument, side, price, qty)`.
    displayed: std::collections::HashMap<u64, (u32, Side, i64, u64)>,
    /// Match numbers seen in reports, with the quantity of each side.
    last_match: u64,
    pending_fill: Option<(u64, u64)>,
}

impl FeedShadow {
    fn execute(&mut self, order_ref: OrderRef, qty: Qty) {
        let entry = self
            .displayed
            .get_mut(&order_ref.0)
            .expect("execution of an order the feed never added");
        assert!(entry.3 >= qty.0, "feed executes more than shown");
        entry.3 -= qty.0;
        if entry.3 == 0 {
            self.displayed.remove(&order_ref.0);
        }
    }
}

impl EventSink for FeedShadow {
    fn report(&mut self, report: &Report) {
        if let ReportKind::Executed {
            qty,
            match_number,
            liquidity,
            ..
        } = report.kind
        {
            match self.pending_fill.take() {
                None => {
                    assert!(
                        liquidity != Liquidity::Removed,
                        "taker report before maker report"
                    );
                    assert_eq!(
                        match_number.0,
                        self.last_match + 1,
                        "match numbers step by one"
                    );
                    self.last_match = match_number.0;
                    self.pending_fill = Some((match_number.0, qty.0));
                }
                Some((number, shares)) => {
                    assert_eq!(
                        (match_number.0, qty.0),
                        (number, shares),
                        "both sides of a fill agree"
                    );
                    assert!(liquidity != Liquidity::Added, "two makers in one fill");
                }
            }
        } else {
            assert!(self.pending_fill.is_none(), "a fill reported one side only");
        }
    }

    fn market(&mut self, event: &MarketEvent) {
        let instrument = event.instrument.0;
        match event.kind {
            MarketEventKind::Add {
                order_ref,
                side,
                price,
                qty,
            } => {
                let previous = self
                    .displayed
                    .insert(order_ref.0, (instrument, side, price.0, qty.0));
                assert!(previous.is_none(), "ref added twice");
            }
            MarketEventKind::Execute { order_ref, qty, .. }
            | MarketEventKind::ExecuteAtPrice { order_ref, qty, .. } => {
                self.execute(order_ref, qty)
            }
            MarketEventKind::Reduce { order_ref, qty } => {
                let entry = self
                    .displayed
                    .get_mut(&order_ref.0)
                    .expect("reduce of an unknown order");
                assert!(entry.3 > qty.0, "reduce must leave shares");
                entry.3 -= qty.0;
            }
            MarketEventKind::Delete { order_ref } => {
                assert!(
                    self.displayed.remove(&order_ref.0).is_some(),
                    "delete of an unknown order"
                );
            }
            MarketEventKind::Replace {
                old_order_ref,
                new_order_ref,
                price,
                qty,
            } => {
                let (instrument, side, _, _) = self
                    .displayed
                    .remove(&old_order_ref.0)
                    .expect("replace of an unknown order");
                self.displayed
                    .insert(new_order_ref.0, (instrument, side, price.0, qty.0));
            }
            MarketEventKind::CrossTrade { match_number, .. } => {
                assert_eq!(
                    match_number.0,
                    self.last_match + 1,
                    "the cross summary takes the next match number"
                );
                self.last_match = match_number.0;
            }
            MarketEventKind::HiddenTrade { .. } | MarketEventKind::TradingState { .. } => {}
        }
    }
}

#[test]
fn feed_rebuilds_the_displayed_book() {
    for seed in [3u64, 0xfeed_beef, 99] {
        let mut rng = Rng(seed);
        let mut engine = Engine::new(config()).expect("valid config");
        let mut shadow = FeedShadow::default();
        for i in 0..30_000u64 {
            let command = random_command(&mut rng, i);
            engine.apply(&command, &mut shadow);
            assert!(
                shadow.pending_fill.is_none(),
                "a fill reported one side only"
            );
            if i % 97 == 0 {
                let mut from_engine = std::collections::HashMap::new();
                for instrument in 0..INSTRUMENTS {
                    for side in [Side::Buy, Side::Sell] {
                        for order in engine.resting_orders(InstrumentId(instrument), side) {
                            if !order.hidden {
                                from_engine.insert(
                                    order.order_ref.0,
                                    (instrument, side, order.price.0, order.leaves.0),
                                );
                            }
                        }
                    }
                }
                assert_eq!(
                    from_engine, shadow.displayed,
                    "seed {seed} command {i}: feed book != engine book"
                );
            }
        }
        assert!(
            shadow.last_match > 1_000,
            "seed {seed}: the stream trades ({} matches)",
            shadow.last_match
        );
    }
}

/// A long stream with periodic validation. CI runs 200,000 commands per
/// seed; `RTES_LONG_STREAM_COMMANDS=2000000 cargo test -p rtes-engine
/// --release --test random_stream long` runs the multi-million version.
#[test]
fn long_random_stream() {
    let commands: usize = std::env::var("RTES_LONG_STREAM_COMMANDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(200_000);
    for seed in [11u64, 12, 13] {
        let (_, resting, sink) = run(seed, commands, 5_000);
        assert!(
            resting > 200 && sink.fills > commands as u64 / 20,
            "seed {seed}"
        );
    }
}

#[test]
fn tiny_slab_keeps_every_invariant_while_full() {
    // 40 slots for a flow that wants hundreds: BookFull and slot reuse all the time.
    let (_, resting, sink) = run_with(config_with(40), 5, 20_000, 1);
    assert_eq!(resting, 40, "the slab fills up");
    assert!(sink.fills > 1_000);
}
