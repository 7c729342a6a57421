//! OUCH 4.2 one-byte code fields as enums. Each enum lists the values of the
//! Nasdaq OUCH 4.2 specification (including the values later 4.2 revisions
//! added), whether or not RTES acts on them; which ones RTES honours is
//! decided in [`convert`](super::convert).

/// Declares a `#[repr(u8)]` enum of wire codes with `from_byte`/`as_byte`.
macro_rules! wire_code {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $byte:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant = $byte, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code for a wire byte, `None` for a byte the spec does not define.
            pub const fn from_byte(byte: u8) -> Option<Self> {
                match byte {
                    $( $byte => Some($name::$variant), )+
                    _ => None,
                }
            }

            /// The wire byte.
            pub const fn as_byte(self) -> u8 {
                self as u8
            }
        }
    };
}

wire_code! {
    /// Buy/Sell Indicator.
    pub enum Side {
        /// `B` buy.
        Buy = b'B',
        /// `S` sell.
        Sell = b'S',
        /// `T` sell short.
        SellShort = b'T',
        /// `E` sell short exempt.
        SellShortExempt = b'E',
    }
}

wire_code! {
    /// Display: visibility and special handling of an order.
    pub enum Display {
        /// `A` attributable, price to display (shows the firm's MPID).
        Attributable = b'A',
        /// `Y` anonymous, price to comply: an ordinary displayed order.
        Anonymous = b'Y',
        /// `N` non-display: rests hidden.
        NonDisplay = b'N',
        /// `P` post-only: must not take liquidity on entry.
        PostOnly = b'P',
        /// `I` imbalance-only (crosses only).
        ImbalanceOnly = b'I',
        /// `M` mid-point peg.
        MidPoint = b'M',
        /// `W` mid-point peg, post-only.
        MidPointPostOnly = b'W',
        /// `L` post-only and attributable.
        PostOnlyAttributable = b'L',
        /// `O` retail order type 1.
        RetailOrderType1 = b'O',
        /// `T` retail order type 2.
        RetailOrderType2 = b'T',
        /// `Q` retail price improvement order.
        RetailPriceImprovement = b'Q',
        /// `m` mid-point (trade now).
        MidPointTradeNow = b'm',
        /// `n` non-display and mid-point.
        NonDisplayMidPoint = b'n',
    }
}

wire_code! {
    /// Capacity of the firm for this order.
    pub enum Capacity {
        /// `A` agency.
        Agency = b'A',
        /// `P` principal.
        Principal = b'P',
        /// `R` riskless principal.
        Riskless = b'R',
        /// `O` other.
        Other = b'O',
    }
}

wire_code! {
    /// Intermarket Sweep Eligibility.
    pub enum IntermarketSweep {
        /// `Y` eligible.
        Eligible = b'Y',
        /// `N` not eligible.
        NotEligible = b'N',
        /// `y` trade-at intermarket sweep.
        TradeAt = b'y',
    }
}

wire_code! {
    /// Cross Type: the cross an order takes part in (`N` = continuous market).
    pub enum CrossType {
        /// `N` no cross: continuous market.
        NoCross = b'N',
        /// `O` opening cross.
        Opening = b'O',
        /// `C` closing cross.
        Closing = b'C',
        /// `H` halt/IPO cross.
        HaltIpo = b'H',
        /// `I` intraday cross.
        Intraday = b'I',
        /// `R` retail.
        Retail = b'R',
        /// `S` supplemental order.
        Supplemental = b'S',
    }
}

wire_code! {
    /// Customer Type.
    pub enum CustomerType {
        /// `R` retail designated order.
        Retail = b'R',
        /// `N` not a retail designated order.
        NotRetail = b'N',
        /// space: the port's configured default.
        PortDefault = b' ',
    }
}

wire_code! {
    /// System Event code.
    pub enum EventCode {
        /// `S` start of day: the system is open for orders.
        StartOfDay = b'S',
        /// `E` end of day: no more orders today.
        EndOfDay = b'E',
    }
}

wire_code! {
    /// Order State in Accepted and Replaced.
    pub enum OrderState {
        /// `L` the order is live on the book.
        Live = b'L',
        /// `D` the order is already dead (executed or cancelled on entry).
        Dead = b'D',
    }
}

wire_code! {
    /// BBO Weight Indicator in Accepted and Replaced.
    pub enum BboWeightIndicator {
        /// `0` 0 to 0.2 %.
        UpToPoint2Percent = b'0',
        /// `1` 0.2 to 1 %.
        UpTo1Percent = b'1',
        /// `2` 1 to 2 %.
        UpTo2Percent = b'2',
        /// `3` more than 2 %.
        Over2Percent = b'3',
        /// space: unspecified (what RTES sends).
        Unspecified = b' ',
        /// `S` sets the QBBO while joining the NBBO.
        SetsQbboJoinsNbbo = b'S',
        /// `N` improves the NBBO on entry.
        ImprovesNbbo = b'N',
    }
}

wire_code! {
    /// Canceled Reason: why shares were cancelled.
    pub enum CancelReason {
        /// `U` user requested: the answer to a Cancel Order message.
        UserRequested = b'U',
        /// `I` immediate or cancel: the unexecuted part of an IOC order.
        ImmediateOrCancel = b'I',
        /// `T` timeout: the order's time in force expired.
        Timeout = b'T',
        /// `S` supervisory: cancelled or reduced from a supervisory terminal.
        Supervisory = b'S',
        /// `D` regulatory restriction (e.g. trade-through rules).
        RegulatoryRestriction = b'D',
        /// `Q` self-match prevention: it would have executed against an order
        /// of the same firm.
        SelfMatchPrevention = b'Q',
        /// `Z` system cancel.
        SystemCancel = b'Z',
        /// `C` cross cancelled.
        CrossCanceled = b'C',
        /// `K` cannot be executed because of market collars.
        MarketCollars = b'K',
        /// `H` halted: an on-open order whose symbol stayed halted.
        Halted = b'H',
        /// `X` open protection threshold.
        OpenProtection = b'X',
        /// `E` closed: a day order received after the closing cross.
        Closed = b'E',
        /// `F` post-only cancel: it would have been price slid for NMS.
        PostOnlyNms = b'F',
        /// `G` post-only cancel: it would have been price slid because of a
        /// displayed contra order.
        PostOnlyContra = b'G',
    }
}

wire_code! {
    /// Reject Reason in Rejected: why an Enter Order was refused.
    pub enum RejectReason {
        /// `T` test mode: this port only accepts test symbols.
        TestMode = b'T',
        /// `H` halted: the symbol is halted.
        Halted = b'H',
        /// `Z` shares exceed the configured safety threshold.
        SharesExceedThreshold = b'Z',
        /// `S` invalid stock.
        InvalidStock = b'S',
        /// `D` invalid display type.
        InvalidDisplay = b'D',
        /// `C` the exchange is closed.
        Closed = b'C',
        /// `L` requested firm not authorized for the clearing type on this account.
        FirmNotAuthorized = b'L',
        /// `M` outside the permitted times for the clearing type.
        OutsidePermittedTimes = b'M',
        /// `R` not allowed in this type of cross (RTES: or in the current
        /// trading state).
        NotAllowedInCross = b'R',
        /// `X` invalid price.
        InvalidPrice = b'X',
        /// `N` invalid minimum quantity.
        InvalidMinimumQuantity = b'N',
        /// `O` other.
        Other = b'O',
        /// `a` reject-all enabled.
        RejectAllEnabled = b'a',
        /// `b` easy to borrow reject.
        EasyToBorrow = b'b',
        /// `c` restricted symbol list.
        RestrictedSymbol = b'c',
        /// `d` ISO order restriction.
        IsoRestriction = b'd',
        /// `e` odd-lot order restriction.
        OddLotRestriction = b'e',
        /// `f` mid-point order restriction.
        MidPointRestriction = b'f',
        /// `g` pre-market order restriction.
        PreMarketRestriction = b'g',
        /// `h` post-market order restriction.
        PostMarketRestriction = b'h',
        /// `i` short sale order restriction.
        ShortSaleRestriction = b'i',
        /// `j` on-open order restriction.
        OnOpenRestriction = b'j',
        /// `k` on-close order restriction.
        OnCloseRestriction = b'k',
        /// `l` two-sided quote reject.
        TwoSidedQuote = b'l',
        /// `m` exceeded shares limit.
        ExceededSharesLimit = b'm',
        /// `n` exceeded dollar value limit.
        ExceededDollarValueLimit = b'n',
    }
}

wire_code! {
    /// Liquidity Flag of an execution.
    pub enum LiquidityFlag {
        /// `A` added liquidity (the resting order).
        Added = b'A',
        /// `R` removed liquidity (the incoming order).
        Removed = b'R',
        /// `O` opening cross, billable.
        OpeningCross = b'O',
        /// `M` opening cross, non-billable.
        OpeningCrossNonBillable = b'M',
        /// `C` closing cross, billable.
        ClosingCross = b'C',
        /// `L` closing cross, non-billable.
        ClosingCrossNonBillable = b'L',
        /// `H` halt/IPO cross, billable.
        HaltIpoCross = b'H',
        /// `K` halt/IPO cross, non-billable.
        HaltIpoCrossNonBillable = b'K',
        /// `I` intraday or post-market cross.
        IntradayCross = b'I',
        /// `J` non-displayed order added liquidity.
        NonDisplayedAdded = b'J',
        /// `m` removed liquidity at the midpoint.
        MidPointRemoved = b'm',
        /// `k` added liquidity through a midpoint order.
        MidPointAdded = b'k',
        /// `0` supplemental order execution.
        Supplemental = b'0',
        /// `7` displayed adding order that improved the NBBO.
        ImprovedNbbo = b'7',
        /// `8` displayed adding order that set the QBBO while joining the NBBO.
        SetQbboJoinedNbbo = b'8',
        /// `d` retail designated execution that removed liquidity.
        RetailRemoved = b'd',
        /// `e` retail designated execution that added displayed liquidity.
        RetailAddedDisplayed = b'e',
        /// `f` retail designated execution that added non-displayed liquidity.
        RetailAddedNonDisplayed = b'f',
        /// `j` retail price improving order provided liquidity.
        RpiAdded = b'j',
        /// `r` retail order removed RPI liquidity.
        RetailRemovedRpi = b'r',
        /// `t` retail order removed non-RPI price-improving non-displayed liquidity.
        RetailRemovedPriceImproving = b't',
        /// `6` liquidity-removing order in designated securities.
        RemovedDesignated = b'6',
    }
}

wire_code! {
    /// Reason of a Broken Trade or a Price Correction.
    pub enum TradeCorrectionReason {
        /// `E` erroneous.
        Erroneous = b'E',
        /// `C` consent.
        Consent = b'C',
        /// `S` supervisory.
        Supervisory = b'S',
        /// `X` external.
        External = b'X',
    }
}
