//! Fault injection: drops a fixed fraction of multicast packets, chosen by
//! a seeded generator so a run repeats exactly.

/// Decides, packet by packet, whether to drop it.
///
/// ```
/// let mut dropper = rtes_gateway::feed::PacketDropper::new(500_000, 7);
/// let dropped = (0..10_000).filter(|_| dropper.drop_next()).count();
/// assert!((4_500..5_500).contains(&dropped));
/// assert!(!rtes_gateway::feed::PacketDropper::new(0, 7).drop_next());
/// ```
#[derive(Debug, Clone)]
pub struct PacketDropper {
    per_million: u32,
    state: u64,
}

impl PacketDropper {
    /// Drops `per_million` packets in a million (0 = never).
    pub fn new(per_million: u32, seed: u64) -> PacketDropper {
        PacketDropper {
            per_million,
            // xorshift must not start at 0.
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// True if the next packet should be dropped.
    pub fn drop_next(&mut self) -> bool {
        if self.per_million == 0 {
            return false;
        }
        // xorshift64*: cheap, deterministic, good enough for a fault knob.
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let value = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (value >> 32) % 1_000_000 < u64::from(self.per_million)
    }
}
