//! The session layer persists through the file store: [`SessionStore`] for
//! [`FileMessageStore`]. A store error becomes a [`StoreFailure`], on which
//! the session disconnects (it cannot promise resends without its store).

use super::session::{SessionStore, StoreFailure};
use super::store::FileMessageStore;

impl SessionStore for FileMessageStore {
    fn next_sender_seq(&self) -> u64 {
        FileMessageStore::next_sender_seq(self)
    }

    fn next_target_seq(&self) -> u64 {
        FileMessageStore::next_target_seq(self)
    }

    fn set_next_sender_seq(&mut self, seq: u64) -> Result<(), StoreFailure> {
        FileMessageStore::set_next_sender_seq(self, seq).map_err(StoreFailure::new)
    }

    fn set_next_target_seq(&mut self, seq: u64) -> Result<(), StoreFailure> {
        FileMessageStore::set_next_target_seq(self, seq).map_err(StoreFailure::new)
    }

    fn append_sent(&mut self, seq: u64, message: &[u8]) -> Result<(), StoreFailure> {
        FileMessageStore::append_sent(self, seq, message).map_err(StoreFailure::new)
    }

    fn skip_sent(&mut self, seq: u64) -> Result<(), StoreFailure> {
        FileMessageStore::skip_sent(self, seq).map_err(StoreFailure::new)
    }

    fn for_each_sent(
        &mut self,
        begin: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<(), StoreFailure> {
        FileMessageStore::for_each_sent(self, begin, end, visit).map_err(StoreFailure::new)
    }

    fn reset(&mut self) -> Result<(), StoreFailure> {
        FileMessageStore::reset(self).map_err(StoreFailure::new)
    }

    fn creation_time_ns(&self) -> u64 {
        FileMessageStore::creation_time_ns(self)
    }
}
