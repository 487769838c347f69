//! An order-keeping parallel map on scoped threads, for the parts of a rule
//! load that are independent per item (parsing chunks of rule text,
//! compiling regexes). Rule loads happen at start and on reload, not on the
//! packet path, so plain scoped threads are enough: no pool lives on
//! between loads (rayon's global pool would keep a thread per core idle in
//! the sensor for its whole life).

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads a load uses: `configured`, or one per core for 0.
pub fn threads(configured: usize) -> usize {
    match configured {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// `items.iter().map(f).collect()`, computed on up to `threads` threads.
/// Items are handed out one at a time, so uneven items balance; results
/// come back in the order of `items` whatever thread computed them.
///
/// A panic in `f` is a bug, not bad input: it is re-raised on the calling
/// thread, as the sequential map would.
pub fn map_ordered<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            done.push((i, f(item)));
        }
        done
    };
    let mut slots: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        // The calling thread works too, so `threads` counts it.
        let own = work();
        let mut place = |done: Vec<(usize, R)>| {
            for (i, r) in done {
                if let Some(slot) = slots.get_mut(i) {
                    *slot = Some(r);
                }
            }
        };
        place(own);
        for h in helpers {
            match h.join() {
                Ok(done) => place(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    // Every index below items.len() was taken by exactly one thread, and
    // every thread returned (or the panic was re-raised above).
    slots.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u64> = (0..1000).collect();
        for threads in [0, 1, 2, 3, 8, 2000] {
            let out = map_ordered(&items, threads.max(1), |&x| {
                // Uneven work, so threads finish out of order.
                (0..(x % 17) * 100).fold(x, |a, b| a.wrapping_mul(31).wrapping_add(b)) ^ x.rotate_left(7)
            });
            let want: Vec<u64> = items
                .iter()
                .map(|&x| (0..(x % 17) * 100).fold(x, |a, b| a.wrapping_mul(31).wrapping_add(b)) ^ x.rotate_left(7))
                .collect();
            assert_eq!(out, want, "{threads} threads");
        }
        assert!(map_ordered(&[] as &[u8], 4, |&x| x).is_empty());
    }

    #[test]
    fn a_panic_reaches_the_caller() {
        let items: Vec<u32> = (0..64).collect();
        let r = std::panic::catch_unwind(|| map_ordered(&items, 4, |&x| if x == 40 { panic!("item 40") } else { x }));
        assert!(r.is_err());
    }
}
