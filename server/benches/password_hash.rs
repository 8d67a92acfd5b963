//! How long one password hash and one verification take with the parameters sign-in
//! uses (argon2id, m = 19 MiB, t = 2, p = 1). Run: `cargo bench -p manna-server --bench password_hash`.
//! Sign-in cost and the brute-force budget both follow from this figure.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use std::time::{Duration, Instant};

fn main() {
    let argon = app::auth::ssr::argon();
    let runs = 20;
    let mut hashes = Vec::with_capacity(runs);
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let salt = SaltString::generate(&mut OsRng);
        let started = Instant::now();
        let hash = argon.hash_password(b"correct horse battery staple", &salt).map(|h| h.to_string());
        times.push(started.elapsed());
        hashes.push(hash.expect("hash"));
    }
    report("hash", &mut times);
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    for phc in &hashes {
        let parsed = PasswordHash::new(phc).expect("phc");
        let started = Instant::now();
        let ok = argon.verify_password(b"correct horse battery staple", &parsed).is_ok();
        times.push(started.elapsed());
        assert!(ok);
    }
    report("verify", &mut times);
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "argon2id m=19MiB t=2 p=1 {what}: p50 {:.1} ms, p90 {:.1} ms, min {:.1} ms, max {:.1} ms ({} runs)",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 9 / 10]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        times.len()
    );
}
