//! Group commit: concurrent callers of [`GroupFlush::flush`] share one
//! sled flush instead of each waiting for its own.
//!
//! Every caller takes a ticket after its writes, then waits its turn. A flush
//! covers every ticket taken before it started, so a caller whose ticket an
//! earlier flush covered returns at once. Under load there are at most two
//! flushes in a row however many callers wait: the one going on and the
//! next, which covers everyone who came during the first.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

use super::StoreError;

/// One database's shared flushes.
#[derive(Default)]
pub(super) struct GroupFlush {
    /// Tickets handed out so far.
    issued: AtomicU64,
    /// The highest ticket a finished flush covered; held while flushing, so
    /// that one flush runs at a time and the next waits its turn in order.
    covered: tokio::sync::Mutex<u64>,
    /// sled flushes made, for the tests.
    #[cfg(test)]
    performed: AtomicU64,
}

impl GroupFlush {
    /// Returns once everything this caller wrote before the call is on disk.
    pub(super) async fn flush(&self, db: &sled::Db) -> Result<(), StoreError> {
        let ticket = self.issued.fetch_add(1, Ordering::AcqRel) + 1;
        let mut covered = self.covered.lock().await;
        if *covered >= ticket {
            return Ok(());
        }
        // Every ticket up to here was taken after its caller's writes, and
        // this flush starts after it: it covers them all.
        let upto = self.issued.load(Ordering::Acquire);
        flush_blocking(db).await?;
        #[cfg(test)]
        self.performed.fetch_add(1, Ordering::Relaxed);
        *covered = upto;
        Ok(())
    }
}

/// Runs sled's blocking `flush` on tokio's blocking pool instead of awaiting
/// `flush_async`: in sled 0.34.7 `flush_async` runs on sled's own small IO
/// pool, and seven or more concurrent calls occupy all of its threads waiting
/// for a log write that is queued on that same pool: a deadlock (see the test
/// `concurrent_updates_lose_nothing`).
async fn flush_blocking(db: &sled::Db) -> Result<(), StoreError> {
    let db = db.clone();
    let flushed = tokio::task::spawn_blocking(move || db.flush()).await;
    flushed.map_err(|e| io::Error::other(format!("the flush task failed: {e}")))??;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn db(dir: &tempfile::TempDir) -> sled::Db {
        sled::Config::new()
            .path(dir.path())
            .flush_every_ms(None)
            .open()
            .unwrap()
    }

    /// Callers that come while a flush is going on share the next one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_waiting_behind_a_flush_share_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = db(&dir);
        let group = Arc::new(GroupFlush::default());
        let busy = group.covered.lock().await;
        let tasks: Vec<_> = (0..10u32)
            .map(|i| {
                let (db, group) = (db.clone(), group.clone());
                tokio::spawn(async move {
                    db.insert(i.to_be_bytes(), b"written".as_slice()).unwrap();
                    group.flush(&db).await.unwrap();
                })
            })
            .collect();
        while group.issued.load(Ordering::Acquire) < 10 {
            tokio::task::yield_now().await;
        }
        drop(busy);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(group.performed.load(Ordering::Relaxed), 1);
        assert_eq!(*group.covered.lock().await, 10);
    }

    /// A caller that comes after a flush finished gets a flush of its own.
    #[tokio::test]
    async fn a_later_caller_is_not_covered_by_an_earlier_flush() {
        let dir = tempfile::tempdir().unwrap();
        let db = db(&dir);
        let group = GroupFlush::default();
        group.flush(&db).await.unwrap();
        db.insert(b"later", b"written".as_slice()).unwrap();
        group.flush(&db).await.unwrap();
        assert_eq!(group.performed.load(Ordering::Relaxed), 2);
    }
}
