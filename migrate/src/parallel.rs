//! Spreading a batch's verification and re-encoding over the machine's
//! cores: the store's work stays on one connection, the crypto does not
//! have to.

use std::num::NonZeroUsize;

/// Items per thread below which a batch stays on the calling thread.
const MIN_PER_THREAD: usize = 64;

/// How many threads to use when none were given: the machine's parallelism,
/// at most 8.
pub(crate) fn default_threads() -> NonZeroUsize {
    std::thread::available_parallelism()
        .unwrap_or(NonZeroUsize::MIN)
        .min(NonZeroUsize::new(8).unwrap_or(NonZeroUsize::MIN))
}

/// `items.into_iter().map(f).collect()`, in order, over up to `threads`
/// scoped threads (the calling thread takes the first share).
pub(crate) fn map<T: Send, U: Send>(
    items: Vec<T>,
    threads: NonZeroUsize,
    f: impl Fn(T) -> U + Sync,
) -> Vec<U> {
    let threads = threads.get().min(items.len() / MIN_PER_THREAD).max(1);
    if threads == 1 {
        return items.into_iter().map(f).collect();
    }
    let share = items.len().div_ceil(threads);
    let mut shares: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut rest = items;
    while rest.len() > share {
        let tail = rest.split_off(share);
        shares.push(rest);
        rest = tail;
    }
    shares.push(rest);
    let f = &f;
    std::thread::scope(|scope| {
        let mut shares = shares.into_iter();
        let first = shares.next().unwrap_or_default();
        let handles: Vec<_> = shares
            .map(|share| scope.spawn(move || share.into_iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut out: Vec<U> = first.into_iter().map(f).collect();
        for handle in handles {
            match handle.join() {
                Ok(part) => out.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_whatever_the_threads() {
        for n in [0, 1, 63, 64, 128, 1000, 1001] {
            let items: Vec<usize> = (0..n).collect();
            for threads in [1, 2, 3, 8] {
                let out = map(items.clone(), NonZeroUsize::new(threads).unwrap(), |i| {
                    i * 2
                });
                assert_eq!(
                    out,
                    (0..n).map(|i| i * 2).collect::<Vec<_>>(),
                    "{n} on {threads}"
                );
            }
        }
    }
}
