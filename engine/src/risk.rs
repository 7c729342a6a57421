//! Pre-trade risk: per-account limits and the per-(account, instrument)
//! exposure they are checked against. Dense arrays, no maps.

use crate::book::Book;
use crate::config::AccountConfig;
use crate::types::{RejectReason, SelfTradePrevention, Side};

/// The hot fields of an `AccountConfig` (no `String`), one per account.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AccountLimits {
    /// Largest order quantity.
    pub(crate) max_order_qty: u64,
    /// Largest notional (wire-price units × shares).
    pub(crate) max_notional: u128,
    /// Collar around the reference price, in basis points.
    pub(crate) price_collar_bps: u32,
    /// Largest number of resting orders.
    pub(crate) max_open_orders: u32,
    /// Largest absolute net position per instrument, counting open orders.
    pub(crate) max_position: u64,
    /// Self-trade prevention mode.
    pub(crate) self_trade_prevention: SelfTradePrevention,
}

impl AccountLimits {
    /// Copies the limits out of a configuration entry.
    pub(crate) fn from_config(config: &AccountConfig) -> AccountLimits {
        AccountLimits {
            max_order_qty: config.max_order_qty.0,
            max_notional: config.max_notional,
            price_collar_bps: config.price_collar_bps,
            max_open_orders: config.max_open_orders,
            max_position: config.max_position,
            self_trade_prevention: config.self_trade_prevention,
        }
    }
}

/// Exposure of one account on one instrument.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Exposure {
    /// Executed buys minus executed sells.
    pub(crate) position: i128,
    /// Sum of resting buy leaves.
    pub(crate) open_buy: u64,
    /// Sum of resting sell leaves.
    pub(crate) open_sell: u64,
}

impl Exposure {
    /// Open quantity on `side`, mutably.
    #[inline]
    pub(crate) fn open_mut(&mut self, side: Side) -> &mut u64 {
        match side {
            Side::Buy => &mut self.open_buy,
            Side::Sell => &mut self.open_sell,
        }
    }
}

/// Risk state of every account.
#[derive(Debug)]
pub(crate) struct RiskState {
    /// `exposures[account * instrument_count + instrument]`.
    exposures: Vec<Exposure>,
    /// Resting orders per account, across instruments.
    pub(crate) open_orders: Vec<u32>,
    /// Number of instruments (row length).
    instrument_count: usize,
}

impl RiskState {
    /// Zero exposure for `accounts × instruments`.
    pub(crate) fn new(accounts: usize, instruments: usize) -> RiskState {
        RiskState {
            exposures: vec![Exposure::default(); accounts * instruments],
            open_orders: vec![0; accounts],
            instrument_count: instruments,
        }
    }

    /// Exposure of an account on an instrument.
    #[inline]
    pub(crate) fn exposure(&self, account: u32, instrument: u32) -> &Exposure {
        &self.exposures[account as usize * self.instrument_count + instrument as usize]
    }

    /// Exposure of an account on an instrument, mutably.
    #[inline]
    pub(crate) fn exposure_mut(&mut self, account: u32, instrument: u32) -> &mut Exposure {
        &mut self.exposures[account as usize * self.instrument_count + instrument as usize]
    }

    /// Every exposure, account-major.
    pub(crate) fn exposures(&self) -> &[Exposure] {
        &self.exposures
    }
}

/// An order as the risk checks see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RiskOrder {
    /// Side.
    pub(crate) side: Side,
    /// Limit price, `None` for a market order.
    pub(crate) price: Option<i64>,
    /// Quantity.
    pub(crate) qty: u64,
    /// Open quantity of this same order already counted in the exposure
    /// (a replace's current leaves), excluded from the position check.
    pub(crate) already_open: u64,
}

/// Instrument quantity checks (contract step 5), `qty > 0` assumed checked
/// for zero by the caller's reason order: zero is `InvalidQuantity` too.
#[inline]
pub(crate) fn check_quantity(book: &Book, qty: u64) -> Result<(), RejectReason> {
    if qty == 0 || !book.lot.divides(qty) {
        return Err(RejectReason::InvalidQuantity);
    }
    if qty < book.min_qty {
        return Err(RejectReason::QuantityBelowMinimum);
    }
    if qty > book.max_qty {
        return Err(RejectReason::QuantityAboveMaximum);
    }
    Ok(())
}

/// Account checks of contract step 8 before the open-order count:
/// order quantity, notional, price collar.
#[inline]
pub(crate) fn check_account_limits(
    limits: &AccountLimits,
    book: &Book,
    order: RiskOrder,
) -> Result<(), RejectReason> {
    if order.qty > limits.max_order_qty {
        return Err(RejectReason::RiskMaxOrderQty);
    }
    // Limit prices passed the band check and the reference is in the band,
    // so the notional price is positive.
    let notional_price = order.price.unwrap_or(book.reference) as u64;
    if notional(notional_price, book.tick_size as u64, order.qty) > limits.max_notional {
        return Err(RejectReason::RiskMaxNotional);
    }
    if let Some(price) = order.price {
        let distance = u128::from(price.abs_diff(book.reference));
        let allowed = u128::from(limits.price_collar_bps) * book.reference as u128;
        if distance * 10_000 > allowed {
            return Err(RejectReason::RiskPriceCollar);
        }
    }
    Ok(())
}

/// `price × tick_size × qty`, saturating at `u128::MAX` (above any limit).
#[inline]
fn notional(price: u64, tick_size: u64, qty: u64) -> u128 {
    match price.checked_mul(tick_size) {
        // A u64 × u64 product always fits in u128: one widening multiply.
        Some(per_share) => u128::from(per_share) * u128::from(qty),
        None => (u128::from(price) * u128::from(tick_size)).saturating_mul(u128::from(qty)),
    }
}

/// The position check of contract step 8 (after the open-order count).
#[inline]
pub(crate) fn check_position(
    limits: &AccountLimits,
    exposure: &Exposure,
    order: RiskOrder,
) -> Result<(), RejectReason> {
    let qty = i128::from(order.qty);
    let already_open = i128::from(order.already_open);
    let exposure_after = match order.side {
        Side::Buy => exposure.position + i128::from(exposure.open_buy) - already_open + qty,
        Side::Sell => -exposure.position + i128::from(exposure.open_sell) - already_open + qty,
    };
    if exposure_after > i128::from(limits.max_position) {
        return Err(RejectReason::RiskMaxPosition);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::TradingState;

    fn book() -> Book {
        Book::new(50, 150, 100, 100, 10, 10, 1_000, TradingState::Continuous)
    }

    fn limits() -> AccountLimits {
        AccountLimits {
            max_order_qty: 500,
            max_notional: 100 * 100 * 500,
            price_collar_bps: 1_000,
            max_open_orders: 10,
            max_position: 600,
            self_trade_prevention: SelfTradePrevention::Off,
        }
    }

    fn order(side: Side, price: Option<i64>, qty: u64) -> RiskOrder {
        RiskOrder {
            side,
            price,
            qty,
            already_open: 0,
        }
    }

    #[test]
    fn quantity_checks_in_contract_order() {
        assert_eq!(
            check_quantity(&book(), 0),
            Err(RejectReason::InvalidQuantity)
        );
        assert_eq!(
            check_quantity(&book(), 15),
            Err(RejectReason::InvalidQuantity)
        );
        assert_eq!(
            check_quantity(&book(), 1_010),
            Err(RejectReason::QuantityAboveMaximum)
        );
        assert_eq!(check_quantity(&book(), 10), Ok(()));
    }

    #[test]
    fn notional_saturates_instead_of_overflowing() {
        assert_eq!(notional(100, 100, 5), 50_000);
        assert_eq!(notional(u64::MAX, 2, 3), u128::from(u64::MAX) * 6);
        assert_eq!(notional(u64::MAX, u64::MAX, u64::MAX), u128::MAX);
    }

    #[test]
    fn account_checks() {
        let exposure = Exposure::default();
        let check = |order| {
            check_account_limits(&limits(), &book(), order)?;
            check_position(&limits(), &exposure, order)
        };
        assert_eq!(
            check(order(Side::Buy, Some(100), 510)),
            Err(RejectReason::RiskMaxOrderQty)
        );
        assert_eq!(
            check(order(Side::Buy, Some(101), 500)),
            Err(RejectReason::RiskMaxNotional)
        );
        assert_eq!(
            check(order(Side::Buy, None, 500)),
            Ok(()),
            "market notional uses the reference"
        );
        assert_eq!(
            check(order(Side::Buy, Some(111), 10)),
            Err(RejectReason::RiskPriceCollar)
        );
        assert_eq!(
            check(order(Side::Sell, Some(90), 10)),
            Ok(()),
            "collar is inclusive"
        );
        let long = Exposure {
            position: 200,
            open_buy: 350,
            open_sell: 0,
        };
        let check_long = |order| check_position(&limits(), &long, order);
        assert_eq!(
            check_long(order(Side::Buy, Some(100), 60)),
            Err(RejectReason::RiskMaxPosition)
        );
        assert_eq!(check_long(order(Side::Buy, Some(100), 50)), Ok(()));
        assert_eq!(
            check_long(RiskOrder {
                already_open: 10,
                ..order(Side::Buy, Some(100), 60)
            }),
            Ok(())
        );
        assert_eq!(check_long(order(Side::Sell, Some(100), 500)), Ok(()));
    }
}
