//! matchcore 0.4: native amend (a same-price quantity decrease keeps
//! priority), order ids are the command sequence numbers.

use matchcore::{
    AmendCmd, AmendPatch, CancelCmd, Command, CommandKind, CommandMeta, CommandOutcome,
    CommandReport, LimitOrder, LimitOrderPatch, NewOrder, OrderBook, OrderFlags, OrderId,
    OrderKind, Price, Quantity, QuantityPolicy, SequenceNumber, Side, SubmitCmd, TimeInForce,
    Timestamp,
};
use rtes_benches::flow::FlowCommand;
use rtes_benches::outcome::{aggregate_levels, Fill, Levels};

use crate::Peer;

pub struct Matchcore {
    book: OrderBook,
    next_sequence: u64,
    /// Flow id → matchcore order id (the sequence number of its submit).
    order_of_flow: Vec<u64>,
    /// matchcore order id → flow id.
    flow_of_order: Vec<u64>,
}

fn side(side: rtes_engine::Side) -> Side {
    match side {
        rtes_engine::Side::Buy => Side::Buy,
        rtes_engine::Side::Sell => Side::Sell,
    }
}

impl Matchcore {
    fn execute(&mut self, kind: CommandKind) -> CommandOutcome {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let command = Command {
            meta: CommandMeta {
                sequence_number: SequenceNumber(sequence),
                timestamp: Timestamp(sequence),
            },
            kind,
        };
        self.book.execute(&command)
    }

    fn submit(
        &mut self,
        id: u64,
        order_side: rtes_engine::Side,
        price: i64,
        qty: u64,
        time_in_force: TimeInForce,
    ) -> CommandOutcome {
        let sequence = self.next_sequence;
        grow_to(&mut self.order_of_flow, id as usize);
        self.order_of_flow[id as usize] = sequence;
        grow_to(&mut self.flow_of_order, sequence as usize);
        self.flow_of_order[sequence as usize] = id;
        let order = LimitOrder::new(
            Price(price as u64),
            QuantityPolicy::Standard {
                quantity: Quantity(qty),
            },
            OrderFlags::new(side(order_side), false, time_in_force),
        );
        self.execute(CommandKind::Submit(SubmitCmd {
            order: NewOrder::Limit(order),
        }))
    }

    fn run(&mut self, command: &FlowCommand) -> CommandOutcome {
        match *command {
            FlowCommand::New {
                id,
                side,
                price,
                qty,
            } => self.submit(id, side, price, qty, TimeInForce::Gtc),
            FlowCommand::Ioc {
                id,
                side,
                price,
                qty,
            } => self.submit(id, side, price, qty, TimeInForce::Ioc),
            FlowCommand::Cancel { id } => {
                let order_id = OrderId(self.order_of_flow[id as usize]);
                self.execute(CommandKind::Cancel(CancelCmd {
                    order_id,
                    order_kind: OrderKind::Limit,
                }))
            }
            FlowCommand::Move { id, price, .. } => {
                let patch = LimitOrderPatch::new().with_price(Price(price as u64));
                self.amend(id, patch)
            }
            FlowCommand::Reduce { id, qty, .. } => {
                let patch = LimitOrderPatch::new().with_quantity_policy(QuantityPolicy::Standard {
                    quantity: Quantity(qty),
                });
                self.amend(id, patch)
            }
        }
    }

    fn amend(&mut self, id: u64, patch: LimitOrderPatch) -> CommandOutcome {
        let order_id = OrderId(self.order_of_flow[id as usize]);
        self.execute(CommandKind::Amend(AmendCmd {
            order_id,
            patch: AmendPatch::Limit(patch),
        }))
    }
}

fn grow_to(table: &mut Vec<u64>, index: usize) {
    if table.len() <= index {
        table.resize((index + 1).next_power_of_two(), u64::MAX);
    }
}

impl Peer for Matchcore {
    const NAME: &'static str = "matchcore 0.4";
    const NOTES: &'static str = "native amend; IOC qty capped (it trades through its limit)";

    fn new() -> Self {
        Matchcore {
            book: OrderBook::new("BENCH"),
            next_sequence: 0,
            order_of_flow: Vec::new(),
            flow_of_order: Vec::new(),
        }
    }

    #[inline]
    fn apply(&mut self, command: &FlowCommand) {
        let outcome = self.run(command);
        std::hint::black_box(&outcome);
    }

    fn apply_recording(&mut self, command: &FlowCommand, fills: &mut Vec<Fill>) {
        let outcome = self.run(command);
        let effects = match outcome {
            CommandOutcome::Applied(CommandReport::Submit(effects))
            | CommandOutcome::Applied(CommandReport::Amend(effects)) => effects,
            CommandOutcome::Applied(CommandReport::Cancel) => return,
            CommandOutcome::Rejected(failure) => panic!("matchcore refused {command:?}: {failure}"),
        };
        assert!(effects.triggered_orders().is_empty());
        if let Some(result) = effects.target_order().match_result() {
            for trade in result.trades() {
                fills.push(Fill {
                    maker: self.flow_of_order[trade.maker_order_id().0 as usize],
                    price: trade.price().0 as i64,
                    qty: trade.quantity().0,
                });
            }
        }
    }

    fn levels(&self) -> (Levels, Levels) {
        let limit = self.book.limit();
        let side = |levels: &std::collections::BTreeMap<Price, usize>| {
            levels
                .iter()
                .map(|(price, level)| (price.0 as i64, limit.levels()[*level].total_quantity().0))
                .collect::<Vec<_>>()
        };
        (
            aggregate_levels(side(limit.bids()), true),
            aggregate_levels(side(limit.asks()), false),
        )
    }
}
