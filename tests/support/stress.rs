//! What the stress tests share: a seedable generator to pick shapes, and
//! the seed of a run (`ELIOT_STRESS_SEED=<n>` replays one).

/// splitmix64: small, seedable, good enough to pick shapes.
#[derive(Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn fork(&mut self) -> Rng {
        Rng(self.next())
    }
}

/// `ELIOT_STRESS_SEED`, or a fresh seed from the clock.
pub fn seed() -> u64 {
    match std::env::var("ELIOT_STRESS_SEED") {
        Ok(seed) => seed.parse().expect("ELIOT_STRESS_SEED is a number"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    }
}
