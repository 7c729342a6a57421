//! Contract "Mass cancel" and cancel-owner-orders: collect the victims from
//! the account or owner list, then cancel them in ascending reference order.

use crate::engine::Engine;
use crate::slab::NIL;
use crate::types::*;

impl Engine {
    /// Contract "Mass cancel".
    pub(crate) fn mass_cancel(
        &mut self,
        owner: OwnerId,
        mass: &MassCancel,
        sink: &mut impl EventSink,
    ) {
        let account = mass.account.0;
        if account as usize >= self.accounts.len() {
            let kind = ReportKind::CancelRejected {
                reason: RejectReason::UnknownAccount,
            };
            return self.report(sink, owner.0, ClientOrderId(0), kind);
        }
        let mut victims = std::mem::take(&mut self.scratch);
        let mut slot = self.lists.account_head(account);
        while slot != NIL {
            let order = self.slab.get(slot);
            if mass.instrument.is_none_or_matches(order.instrument) {
                victims.push((order.order_ref.0, slot));
            }
            slot = self.lists.account_next(slot);
        }
        self.cancel_in_reference_order(&mut victims, CancelReason::MassCancel, sink);
        let count = victims.len() as u32;
        victims.clear();
        self.scratch = victims;
        self.report(
            sink,
            owner.0,
            ClientOrderId(0),
            ReportKind::MassCanceled { count },
        );
    }

    /// Contract "cancel-owner-orders".
    pub(crate) fn cancel_owner_orders(&mut self, owner: OwnerId, sink: &mut impl EventSink) {
        let mut victims = std::mem::take(&mut self.scratch);
        let mut slot = self.lists.owner_head(owner.0);
        while slot != NIL {
            victims.push((self.slab.get(slot).order_ref.0, slot));
            slot = self.lists.owner_next(slot);
        }
        self.cancel_in_reference_order(&mut victims, CancelReason::Disconnect, sink);
        let count = victims.len() as u32;
        victims.clear();
        self.scratch = victims;
        self.report(
            sink,
            owner.0,
            ClientOrderId(0),
            ReportKind::MassCanceled { count },
        );
    }

    /// Cancels `(order_ref, slot)` pairs in ascending reference order. The
    /// lists are in resting order, not reference order (a replace that
    /// loses priority keeps its list place, which saves list work on the
    /// hot path), so they are sorted here, in place.
    fn cancel_in_reference_order(
        &mut self,
        victims: &mut [(u64, u32)],
        reason: CancelReason,
        sink: &mut impl EventSink,
    ) {
        victims.sort_unstable();
        for &(_, slot) in victims.iter() {
            self.cancel_resting_fully(slot, reason, sink);
        }
    }
}

/// `Option<InstrumentId>` as a mass-cancel filter.
trait InstrumentFilter {
    /// `None` matches every instrument.
    fn is_none_or_matches(&self, instrument: u32) -> bool;
}

impl InstrumentFilter for Option<InstrumentId> {
    #[inline]
    fn is_none_or_matches(&self, instrument: u32) -> bool {
        match self {
            None => true,
            Some(wanted) => wanted.0 == instrument,
        }
    }
}
