//! Per-account and per-owner lists of resting orders, so mass cancels
//! visit exactly the orders they cancel without scanning the slab.
//!
//! An order joins when it first rests and leaves when it dies; a replace
//! keeps its place (touching the lists on every replace would cost three
//! cache lines on the hottest path), so the lists are not in reference
//! order and mass cancels sort what they collect.

use crate::slab::NIL;

/// Links of one slot in one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Link {
    /// Previous slot (`NIL` at the head).
    pub(crate) prev: u32,
    /// Next slot (`NIL` at the tail).
    pub(crate) next: u32,
}

/// Head and tail of one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ends {
    /// First slot.
    pub(crate) head: u32,
    /// Last slot.
    pub(crate) tail: u32,
}

const UNLINKED: Link = Link {
    prev: NIL,
    next: NIL,
};
const EMPTY: Ends = Ends {
    head: NIL,
    tail: NIL,
};

/// Which list.
const BY_ACCOUNT: usize = 0;
/// Which list.
const BY_OWNER: usize = 1;

/// Account and owner membership lists over the slab's slots.
#[derive(Debug)]
pub(crate) struct OwnershipLists {
    /// `links[slot][BY_ACCOUNT | BY_OWNER]`.
    links: Vec<[Link; 2]>,
    /// Per account.
    accounts: Vec<Ends>,
    /// Per owner.
    owners: Vec<Ends>,
}

impl OwnershipLists {
    /// Lists for `slots` slots, `accounts` accounts and `owners` owners.
    pub(crate) fn new(slots: u32, accounts: usize, owners: u32) -> OwnershipLists {
        OwnershipLists {
            links: vec![[UNLINKED; 2]; slots as usize],
            accounts: vec![EMPTY; accounts],
            owners: vec![EMPTY; owners as usize],
        }
    }

    /// Appends `slot` to its account's and owner's lists.
    #[inline]
    pub(crate) fn push_back(&mut self, slot: u32, account: u32, owner: u32) {
        push(
            &mut self.links,
            &mut self.accounts[account as usize],
            slot,
            BY_ACCOUNT,
        );
        push(
            &mut self.links,
            &mut self.owners[owner as usize],
            slot,
            BY_OWNER,
        );
    }

    /// Removes `slot` from both lists.
    #[inline]
    pub(crate) fn unlink(&mut self, slot: u32, account: u32, owner: u32) {
        unlink(
            &mut self.links,
            &mut self.accounts[account as usize],
            slot,
            BY_ACCOUNT,
        );
        unlink(
            &mut self.links,
            &mut self.owners[owner as usize],
            slot,
            BY_OWNER,
        );
    }

    /// First slot of an account's list.
    pub(crate) fn account_head(&self, account: u32) -> u32 {
        self.accounts[account as usize].head
    }

    /// First slot of an owner's list.
    pub(crate) fn owner_head(&self, owner: u32) -> u32 {
        self.owners
            .get(owner as usize)
            .map_or(NIL, |ends| ends.head)
    }

    /// Next slot in the account list.
    pub(crate) fn account_next(&self, slot: u32) -> u32 {
        self.links[slot as usize][BY_ACCOUNT].next
    }

    /// Next slot in the owner list.
    pub(crate) fn owner_next(&self, slot: u32) -> u32 {
        self.links[slot as usize][BY_OWNER].next
    }

    /// Number of accounts.
    pub(crate) fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// Number of owners.
    pub(crate) fn owner_count(&self) -> usize {
        self.owners.len()
    }
}

#[inline]
fn push(links: &mut [[Link; 2]], ends: &mut Ends, slot: u32, list: usize) {
    links[slot as usize][list] = Link {
        prev: ends.tail,
        next: NIL,
    };
    if ends.tail == NIL {
        ends.head = slot;
    } else {
        links[ends.tail as usize][list].next = slot;
    }
    ends.tail = slot;
}

#[inline]
fn unlink(links: &mut [[Link; 2]], ends: &mut Ends, slot: u32, list: usize) {
    let link = links[slot as usize][list];
    if link.prev == NIL {
        ends.head = link.next;
    } else {
        links[link.prev as usize][list].next = link.next;
    }
    if link.next == NIL {
        ends.tail = link.prev;
    } else {
        links[link.next as usize][list].prev = link.prev;
    }
    links[slot as usize][list] = UNLINKED;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account_slots(lists: &OwnershipLists, account: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut slot = lists.account_head(account);
        while slot != NIL {
            out.push(slot);
            slot = lists.account_next(slot);
        }
        out
    }

    #[test]
    fn push_unlink_keeps_insertion_order() {
        let mut lists = OwnershipLists::new(8, 2, 2);
        for slot in [3, 1, 5, 0] {
            lists.push_back(slot, 0, slot % 2);
        }
        lists.unlink(1, 0, 1);
        assert_eq!(account_slots(&lists, 0), vec![3, 5, 0]);
        lists.push_back(1, 0, 1);
        assert_eq!(account_slots(&lists, 0), vec![3, 5, 0, 1]);
        assert_eq!(lists.owner_head(1), 3);
        assert_eq!(lists.owner_next(3), 5);
        assert_eq!(lists.owner_head(7), NIL, "unknown owner has no orders");
    }
}
